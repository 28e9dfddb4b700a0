"""Declaring due work: the claim statement, periodic jobs, the scheduler's checks, clocks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from dramatiq.brokers.stub import StubBroker

from pawpay.platform.clock import FrozenClock, OffsetClock
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.hooks.types import DueWork
from pawpay.platform.jobs.due import LeasedRowWork, PeriodicJob, _json_safe
from pawpay.platform.jobs.periodic import PURGE_EXPIRED_SESSIONS_JOB
from pawpay.platform.jobs.scheduler import Scheduler

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def work(**kwargs: object) -> LeasedRowWork:
    defaults: dict[str, object] = {
        "name": "billing.charge", "actor_name": "charge", "table": "installment",
        "due_column": "due_at", "lease": timedelta(minutes=5),
    }
    return LeasedRowWork(**{**defaults, **kwargs})  # type: ignore[arg-type]


def test_a_tenant_table_claim_locks_skips_and_follows_the_tenant_clock() -> None:
    query = work(match={"status": "pending"}).claim_query(NOW, 50)
    sql = str(query.template)
    assert "FOR UPDATE OF w SKIP LOCKED" in sql
    assert "LEFT JOIN tenant_clock AS c ON c.tenant_id = w.tenant_id" in sql
    assert "COALESCE(c.offset_seconds, 0) * interval '1 second'" in sql
    assert "w.status = {}" in sql
    assert "max(offset_seconds)" in sql  # an index-friendly upper bound
    # Placeholders in order: two due bounds, the lease check, the filter, the limit, the new lease.
    assert list(query.args) == [NOW, NOW, NOW, "pending", 50, NOW + timedelta(minutes=5)]


def test_a_platform_table_claim_has_no_tenant_clock() -> None:
    query = work(tenant_column=None).claim_query(NOW, 10)
    assert "tenant_clock" not in str(query.template)
    assert work(tenant_column=None).arguments() == ("id",)
    assert work().arguments() == ("tenant_id", "id")


@pytest.mark.parametrize(
    "bad", [{"table": "installment; DROP TABLE tenant"}, {"due_column": "due at"}, {"match": {"1x": 1}},
            {"args_columns": ("id", "x--")}]
)
def test_identifiers_must_be_plain(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="identifier"):
        work(**bad)


def test_leased_row_work_is_due_work() -> None:
    assert isinstance(work().name, str)
    assert isinstance(work().actor_name, str)
    assert callable(work().claim)
    due: DueWork = work()  # type-checked by mypy too
    assert due.name == "billing.charge"


def test_periodic_jobs_are_rows_of_scheduled_job() -> None:
    job = PeriodicJob.every(timedelta(minutes=15), job_name="tidy", actor_name="tidy_up")
    assert (job.name, job.table, job.key_column, job.tenant_column) == ("periodic:tidy", "scheduled_job", "name", None)
    assert job.arguments() == ("name",)
    assert job.match == {"name": "tidy"}
    with pytest.raises(ValueError, match="job_name"):
        PeriodicJob(name="x", actor_name="y", table="scheduled_job", due_column="next_run_at")
    with pytest.raises(ValueError, match="positive interval"):
        PeriodicJob.every(timedelta(0), job_name="tidy", actor_name="tidy_up")


def test_the_jobs_component_contributes_the_session_clean_up() -> None:
    pm = build_plugin_manager(load_entry_points=False)
    assert PURGE_EXPIRED_SESSIONS_JOB in pm.due_work()
    assert "pawpay.platform.jobs.actors" in pm.actor_modules()
    assert "pawpay.platform.jobs.piccolo_app" in pm.piccolo_apps()
    assert PURGE_EXPIRED_SESSIONS_JOB.actor_name == "purge_expired_sessions"
    assert PURGE_EXPIRED_SESSIONS_JOB.interval == timedelta(hours=1)


def test_due_work_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Scheduler(StubBroker(), [work(), work()])


def test_message_arguments_are_json_safe() -> None:
    ident = uuid.uuid4()
    assert _json_safe(ident) == str(ident)
    assert _json_safe(Decimal("1.50")) == "1.50"
    assert _json_safe(NOW) == "2026-03-01T08:00:00+00:00"
    assert _json_safe(42) == 42


def test_an_offset_clock_moves_with_its_base() -> None:
    base = FrozenClock(NOW)
    clock = OffsetClock(base, timedelta(days=30))
    assert clock.now() == NOW + timedelta(days=30)
    base.advance(timedelta(seconds=5))
    assert clock.now() == NOW + timedelta(days=30, seconds=5)
