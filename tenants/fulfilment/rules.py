"""Pure fulfilment rules (no I/O): which tracking state wins, retry backoff, lateness, receiver parts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pawpay.platform.crypto import mask

SHIP_BY = timedelta(hours=24)  # the store's target: shipped within 24 h of payment
POLL_EVERY = timedelta(hours=4)  # tracking poll when webhooks are missed (store clock)
SHIPPING_INFO_RETRY = timedelta(minutes=30)
# Waits before retrying a submission the warehouse did not take (busy, rate-limited, unreachable).
RETRY_BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
                 timedelta(hours=3), timedelta(hours=6))
QUERY_AFTER_UNKNOWN = timedelta(minutes=1)

PENDING = "pending"
EXCEPTION = "exception"
# Parcel states in the order a journey goes through them; a state never goes back to an earlier one
# at the same instant (ties between events at the same time are broken by this rank).
JOURNEY = ("accepted", "picked", "shipped", "in_transit", "out_for_delivery", "delivered", "problem", "returned",
           "cancelled")
RANK = {state: i for i, state in enumerate(JOURNEY)}
STATUSES = (PENDING, EXCEPTION, *JOURNEY)
# The parcel has left the warehouse once one of these is reached (carrier and waybill known).
LEFT_WAREHOUSE = frozenset({"shipped", "in_transit", "out_for_delivery", "delivered", "problem", "returned"})
FINAL = frozenset({"delivered", "returned", "cancelled"})


def latest_state(events: Iterable[tuple[datetime, str]]) -> str | None:
    """The state of the latest event by time (rank breaks ties): a late-arriving older event never
    moves the parcel back."""
    best: tuple[datetime, int, str] | None = None
    for at, state in events:
        key = (at, RANK.get(state, -1), state)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def first_at(events: Iterable[tuple[datetime, str]], states: frozenset[str]) -> datetime | None:
    times = [at for at, state in events if state in states]
    return min(times) if times else None


def retry_wait(auto_attempts: int) -> timedelta | None:
    """How long to wait before automatic attempt ``auto_attempts + 1``; ``None``: give up (exception)."""
    if auto_attempts < 1 or auto_attempts > len(RETRY_BACKOFF):
        return None
    return RETRY_BACKOFF[auto_attempts - 1]


def next_open(at: datetime, allowed_hours: tuple[time, time] | None, time_zone: str) -> datetime:
    """``at`` if the warehouse takes orders then, else the next opening (the start of its hours)."""
    if allowed_hours is None:
        return at
    start, end = allowed_hours
    local = at.astimezone(ZoneInfo(time_zone))
    if start <= local.time() < end or (end <= start and (local.time() >= start or local.time() < end)):
        return at
    opening = datetime.combine(local.date(), start, tzinfo=local.tzinfo)
    if opening <= local:
        opening = datetime.combine(local.date() + timedelta(days=1), start, tzinfo=local.tzinfo)
    return opening


def is_late(ship_by: datetime, shipped_at: datetime | None, now: datetime) -> bool:
    """Not shipped by ``ship_by`` (still waiting past it, or shipped after it)."""
    return shipped_at > ship_by if shipped_at is not None else now > ship_by


def mask_phone(phone: str) -> str:
    """``138****0000``: what a rail may see of the receiver's phone (the platform's masking)."""
    return mask(phone.strip())


_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
_PROVINCE = re.compile(r"^(.{2,8}?(?:省|自治区|特别行政区))")
_CITY = re.compile(r"^(.{2,10}?(?:自治州|地区|盟|市))")
_DISTRICT = re.compile(r"^(.{1,10}?(?:区|县|旗|市))")


def split_address(address: str) -> tuple[str, str, str, str]:
    """(province, city, district, rest) from a one-line Chinese address; parts not found are "".
    A district is only looked for after a province or city (a street name may end in 区)."""
    rest = address.strip()
    province = city = district = ""
    municipality = next((m for m in _MUNICIPALITIES if rest.startswith(m)), "")
    if municipality:
        province = city = municipality
        rest = rest[len(municipality):]
    else:
        if found := _PROVINCE.match(rest):
            province = found.group(1)
            rest = rest[len(province):]
        if found := _CITY.match(rest):
            city = found.group(1)
            rest = rest[len(city):]
    if (province or city) and (found := _DISTRICT.match(rest)):
        district = found.group(1)
        rest = rest[len(district):]
    return province, city, district, rest


def item_desc(lines: Sequence[dict[str, object]], limit: int = 120) -> str:
    """``幼猫粮 ×1；驱虫药 ×1`` cut to ``limit`` characters (WeChat's item_desc)."""
    text = "；".join(f"{line.get('name') or line.get('sku')} ×{line.get('quantity', 1)}" for line in lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"
