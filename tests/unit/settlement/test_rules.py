"""Settlement's pure rules: store-local dates, daily run times, release ids, a line's amounts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.platform.settlement import rules

pytestmark = pytest.mark.unit


def test_the_local_date_is_the_stores() -> None:
    late_utc = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # 01:00 on 1 October in Beijing
    assert rules.local_date(late_utc, "Asia/Shanghai") == date(2026, 10, 1)
    assert rules.local_date(late_utc, "UTC") == date(2026, 9, 30)
    with pytest.raises(ValidationFailed):
        rules.local_date(datetime(2026, 9, 30, 12, 0), "Asia/Shanghai")  # noqa: DTZ001 - naive on purpose


def test_the_daily_run_is_the_next_local_morning() -> None:
    before = datetime(2026, 9, 14, 21, 0, tzinfo=UTC)  # 05:00 Beijing on the 15th
    assert rules.next_daily_run(before, "Asia/Shanghai") == datetime(2026, 9, 14, 22, 0, tzinfo=UTC)
    after = datetime(2026, 9, 14, 22, 0, tzinfo=UTC)  # exactly 06:00: the next one is tomorrow
    assert rules.next_daily_run(after, "Asia/Shanghai") == datetime(2026, 9, 15, 22, 0, tzinfo=UTC)


def test_release_ids_are_deterministic_per_item_and_day() -> None:
    item = uuid.uuid4()
    assert rules.release_id(item, date(2026, 10, 8)) == rules.release_id(item, date(2026, 10, 8))
    assert rules.release_id(item, date(2026, 10, 8)) != rules.release_id(item, date(2026, 10, 9))
    assert rules.release_id(item, date(2026, 10, 8)) != rules.release_id(uuid.uuid4(), date(2026, 10, 8))
    assert len(rules.release_id(item, date(2026, 10, 8))) <= 64
    assert rules.deposit_release_id(item) != rules.release_id(item, date(2026, 10, 8))


def test_a_line_releases_the_net_or_keeps_the_whole_debit() -> None:
    released = rules.line_amounts(30_000, 600, 1_000, 0)
    assert (released.deposit_fen, released.release_fen) == (0, 28_400)
    kept = rules.line_amounts(30_000, 600, 1_000, 28_400)
    assert (kept.deposit_fen, kept.release_fen) == (28_400, 0)
    for line in (released, kept):
        assert line.gross_fen == line.fee_fen + line.refund_fen + line.deposit_fen + line.release_fen
    with pytest.raises(ValueError, match="whole"):
        rules.line_amounts(30_000, 600, 0, 100)
    with pytest.raises(ValueError, match="exceed"):
        rules.line_amounts(1_000, 600, 500, 0)


@pytest.mark.parametrize(("field", "value"), [
    ("amount_fen", 0), ("amount_fen", 1.5), ("amount_fen", True), ("fee_fen", -1), ("fee_fen", 30_001),
    ("settlement_days", 0), ("settlement_days", 31), ("attempt_id", ""), ("contract_ref", "x" * 129),
    ("collected_at", datetime(2026, 9, 1)),  # noqa: DTZ001 - naive on purpose
])
def test_a_collection_is_checked(field: str, value: object) -> None:
    good: dict[str, object] = {"attempt_id": "a", "contract_ref": "C", "amount_fen": 30_000, "fee_fen": 600,
                               "collected_at": datetime(2026, 9, 1, tzinfo=UTC), "settlement_days": 1,
                               "provider_name": "sandbox"}
    rules.check_collection(**good)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as caught:
        rules.check_collection(**{**good, field: value})  # type: ignore[arg-type]
    assert caught.value.data["field"] == field
