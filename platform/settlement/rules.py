"""Settlement's pure rules: store-local dates, deterministic release ids, a line's amounts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pawpay.platform.errors import ValidationFailed

MIN_SETTLEMENT_DAYS = 1
MAX_SETTLEMENT_DAYS = 30
# The daily batch runs at this store-local time (the day's releases are instructed in the morning).
DAILY_RUN_AT = time(6, 0)


def local_date(moment: datetime, time_zone: str) -> date:
    """The store-local calendar date of an aware instant."""
    if moment.tzinfo is None:
        raise ValidationFailed("times must be timezone-aware", field="collected_at")
    return moment.astimezone(ZoneInfo(time_zone)).date()


def next_daily_run(now: datetime, time_zone: str) -> datetime:
    """The next store-local ``DAILY_RUN_AT`` strictly after ``now`` (aware UTC)."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), DAILY_RUN_AT, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), DAILY_RUN_AT, tzinfo=zone)
    return candidate.astimezone(ZoneInfo("UTC"))


def release_id(item_id: uuid.UUID, business_day: date) -> str:
    """The provider idempotency key of one item's release in the batch of ``business_day``:
    the same item in the same day's batch always asks with the same id (never released twice)."""
    return f"stl-{item_id.hex}-{business_day:%Y%m%d}"


def deposit_release_id(item_id: uuid.UUID) -> str:
    """A withheld item's funds are released (from the deposit) once: one id per item."""
    return f"dep-{item_id.hex}"


@dataclass(frozen=True, slots=True)
class LineAmounts:
    gross_fen: int
    fee_fen: int
    refund_fen: int
    deposit_fen: int
    release_fen: int
    split_fen: int = 0


def net_fen(amount_fen: int, fee_fen: int, refunded_fen: int) -> int:
    """What is still held for the store from one debit: the fee was split off when it was
    collected and refunds were taken from the held funds."""
    return amount_fen - fee_fen - refunded_fen


def line_amounts(amount_fen: int, fee_fen: int, refunded_fen: int, withhold_fen: int,
                 split_fen: int = 0) -> LineAmounts:
    """A statement line. The provider holds and releases whole debits, so a debit is either
    released (``withhold_fen`` = 0) or kept whole as deposit (``withhold_fen`` = its net). A
    released debit may first split ``split_fen`` to a financing partner (advance repayment)."""
    net = net_fen(amount_fen, fee_fen, refunded_fen)
    if net < 0:
        raise ValueError("fee and refunds exceed the debit")
    if withhold_fen not in (0, net):
        raise ValueError("a debit is withheld whole or not at all")
    if split_fen < 0 or (withhold_fen and split_fen) or split_fen > net:
        raise ValueError("a split comes out of a released debit's net")
    return LineAmounts(gross_fen=amount_fen, fee_fen=fee_fen, refund_fen=refunded_fen, deposit_fen=withhold_fen,
                       release_fen=net - withhold_fen - split_fen, split_fen=split_fen)


def check_collection(*, attempt_id: str, contract_ref: str, amount_fen: int, fee_fen: int, collected_at: datetime,
                     settlement_days: int, provider_name: str) -> None:
    for field, value in (("attempt_id", attempt_id), ("contract_ref", contract_ref), ("provider_name", provider_name)):
        if not isinstance(value, str) or not value.strip() or len(value) > 128:
            raise ValidationFailed(f"{field} must be 1 to 128 characters", field=field)
    numbers: tuple[tuple[str, object], ...] = (
        ("amount_fen", amount_fen), ("fee_fen", fee_fen), ("settlement_days", settlement_days))
    for name, number in numbers:
        if type(number) is not int:
            raise ValidationFailed(f"{name} must be an integer", field=name)
    if amount_fen <= 0:
        raise ValidationFailed("the amount must be positive", field="amount_fen")
    if not 0 <= fee_fen <= amount_fen:
        raise ValidationFailed("the fee must be between 0 and the amount", field="fee_fen")
    if not MIN_SETTLEMENT_DAYS <= settlement_days <= MAX_SETTLEMENT_DAYS:
        raise ValidationFailed("settlement days out of range", field="settlement_days")
    if not isinstance(collected_at, datetime) or collected_at.tzinfo is None:
        raise ValidationFailed("times must be timezone-aware", field="collected_at")
