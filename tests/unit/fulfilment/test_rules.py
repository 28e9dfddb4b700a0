"""Fulfilment's pure rules: the latest tracking state wins (re-ordered events never move a parcel
back), retry backoff then the exception queue, lateness against the 24 h target, receiver parts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pawpay.tenants.fulfilment import rules

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 10, 0, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_the_latest_event_by_time_wins_whatever_the_arrival_order() -> None:
    events = [(at(12), "in_transit"), (at(2), "picked"), (at(0), "accepted"), (at(6), "shipped")]
    assert rules.latest_state(events) == "in_transit"
    assert rules.latest_state(reversed(events)) == "in_transit"
    assert rules.latest_state([]) is None


def test_a_tie_at_the_same_instant_goes_to_the_later_stage() -> None:
    assert rules.latest_state([(at(6), "shipped"), (at(6), "picked")]) == "shipped"
    assert rules.latest_state([(at(40), "delivered"), (at(40), "out_for_delivery")]) == "delivered"


def test_first_time_a_parcel_left_the_warehouse() -> None:
    events = [(at(12), "in_transit"), (at(6), "shipped"), (at(0), "accepted")]
    assert rules.first_at(events, rules.LEFT_WAREHOUSE) == at(6)
    assert rules.first_at([(at(0), "accepted")], rules.LEFT_WAREHOUSE) is None


def test_backoff_grows_then_gives_up_to_the_exception_queue() -> None:
    waits = [rules.retry_wait(n) for n in range(1, len(rules.RETRY_BACKOFF) + 2)]
    assert waits[:-1] == list(rules.RETRY_BACKOFF)
    assert waits[-1] is None
    assert all(a < b for a, b in zip(rules.RETRY_BACKOFF, rules.RETRY_BACKOFF[1:], strict=False))
    assert rules.retry_wait(0) is None


@pytest.mark.parametrize(("shipped", "now", "late"), [
    (None, at(23), False), (None, at(25), True), (at(20), at(48), False), (at(25), at(26), True),
])
def test_late_means_not_shipped_within_24_hours(shipped: datetime | None, now: datetime, late: bool) -> None:
    assert rules.is_late(at(0) + rules.SHIP_BY, shipped, now) is late


def test_phone_masking_keeps_the_first_three_and_last_four_digits() -> None:
    assert rules.mask_phone("13912345678") == "139****5678"
    assert rules.mask_phone("12345") == "*****"


@pytest.mark.parametrize(("address", "parts"), [
    ("浙江省杭州市西湖区文三路 1 号", ("浙江省", "杭州市", "西湖区", "文三路 1 号")),
    ("上海市浦东新区1号", ("上海市", "上海市", "浦东新区", "1号")),
    ("广西壮族自治区南宁市青秀区民族大道", ("广西壮族自治区", "南宁市", "青秀区", "民族大道")),
    ("某个没有行政区的地址", ("", "", "", "某个没有行政区的地址")),
])
def test_an_address_is_split_for_the_warehouse(address: str, parts: tuple[str, str, str, str]) -> None:
    assert rules.split_address(address) == parts


def test_item_desc_is_cut_to_wechats_limit() -> None:
    assert rules.item_desc([{"name": "幼猫粮", "quantity": 2}, {"sku": "DW-1", "quantity": 1}]) == "幼猫粮 ×2；DW-1 ×1"
    assert len(rules.item_desc([{"name": "猫" * 200, "quantity": 1}])) == 120


def test_orders_wait_for_the_warehouses_opening_hours() -> None:
    hours = (time(9), time(18))
    shanghai = ZoneInfo("Asia/Shanghai")
    evening = datetime(2026, 12, 10, 20, 30, tzinfo=shanghai)
    assert rules.next_open(evening, hours, "Asia/Shanghai") == datetime(2026, 12, 11, 9, 0, tzinfo=shanghai)
    early = datetime(2026, 12, 10, 7, 0, tzinfo=shanghai)
    assert rules.next_open(early, hours, "Asia/Shanghai") == datetime(2026, 12, 10, 9, 0, tzinfo=shanghai)
    noon = datetime(2026, 12, 10, 12, 0, tzinfo=shanghai)
    assert rules.next_open(noon, hours, "Asia/Shanghai") == noon
    assert rules.next_open(evening, None, "Asia/Shanghai") == evening
    night_shift = (time(22), time(6))  # a window across midnight
    assert rules.next_open(datetime(2026, 12, 10, 23, 0, tzinfo=shanghai), night_shift, "Asia/Shanghai").hour == 23
    assert rules.next_open(noon, night_shift, "Asia/Shanghai") == datetime(2026, 12, 10, 22, 0, tzinfo=shanghai)
