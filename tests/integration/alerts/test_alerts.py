"""Operator alerts: idempotent by key while open, resolved with a reason (audited), listed and
filtered, operators only (RLS and routes); the calendar's daily coverage job raises and resolves one."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from piccolo.querystring import QueryString

from pawpay.platform.alerts import services as alerts
from pawpay.platform.alerts.tables import OperatorAlert
from pawpay.platform.audit.services import list_entries
from pawpay.platform.business_calendar import services as calendar
from pawpay.platform.business_calendar.errors import CalendarNotCovered
from pawpay.platform.business_calendar.periodic import CHECK_CALENDAR_COVERAGE, CHECK_CALENDAR_COVERAGE_JOB
from pawpay.platform.clock import utcnow
from pawpay.platform.db.engine import get_engine
from pawpay.platform.errors import Conflict, NotFound, ScopeViolation, ValidationFailed
from pawpay.platform.identity.roles import OPS_ADMIN, OPS_REVIEWER
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

OPS = PlatformContext(actor_label="ops", roles=frozenset({OPS_REVIEWER}))
ADMIN = PlatformContext(actor_label="ops-admin", roles=frozenset({OPS_ADMIN}))


def unique_key(prefix: str = "test") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


@pytest.mark.usefixtures("rollback")
async def test_raising_an_open_key_again_updates_instead_of_duplicating() -> None:
    key = unique_key()
    first = await alerts.raise_alert(OPS, key=key, kind="test.kind", message="one", data={"n": 1})
    again = await alerts.raise_alert(OPS, key=key, kind="test.kind", message="two", data={"n": 2})
    assert again.id == first.id
    assert again.occurrences == 2
    assert again.message == "two"
    assert again.data == {"n": 2}
    assert again.last_seen_at >= first.last_seen_at
    listed, total = await alerts.list_alerts(OPS, kind="test.kind")
    assert total == 1
    assert [a.key for a in listed] == [key]
    raised = [e for e in (await list_entries(OPS))[0] if e.action == "alert.raised" and e.target_id == str(first.id)]
    assert len(raised) == 1  # the refresh is not a new event


@pytest.mark.usefixtures("rollback")
async def test_resolving_needs_a_reason_and_a_resolved_key_raises_anew(store_a: Any) -> None:
    key = unique_key()
    alert = await alerts.raise_alert(OPS, key=key, kind="test.resolve", message="m", tenant_id=store_a.tenant_id)
    assert alert.tenant_id == store_a.tenant_id
    assert await alerts.open_alert_count(OPS) >= 1
    with pytest.raises(ValidationFailed) as raised:
        await alerts.resolve_alert(OPS, alert.id, reason="  ")
    assert raised.value.data["field"] == "reason"
    resolved = await alerts.resolve_alert(OPS, alert.id, reason="handled by phone")
    assert (resolved.status, resolved.resolved_by, resolved.resolution_reason) == ("resolved", "ops",
                                                                                  "handled by phone")
    assert resolved.resolved_at is not None
    with pytest.raises(Conflict):
        await alerts.resolve_alert(OPS, alert.id, reason="again")
    with pytest.raises(NotFound):
        await alerts.resolve_alert(OPS, uuid.uuid4(), reason="x")
    audit = [e for e in (await list_entries(OPS))[0] if e.target_id == str(alert.id)]
    assert [e.action for e in audit][:2] == ["alert.resolved", "alert.raised"]
    fresh = await alerts.raise_alert(OPS, key=key, kind="test.resolve", message="back")
    assert fresh.id != alert.id
    assert fresh.occurrences == 1
    open_now, _ = await alerts.list_alerts(OPS, kind="test.resolve")
    done, _ = await alerts.list_alerts(OPS, open_only=False, kind="test.resolve")
    assert [a.id for a in open_now] == [fresh.id]
    assert [a.id for a in done] == [alert.id]
    by_store, _ = await alerts.list_alerts(OPS, open_only=False, tenant_id=store_a.tenant_id, kind="test.resolve")
    assert [a.id for a in by_store] == [alert.id]
    assert "test.resolve" in await alerts.alert_kinds(OPS)
    assert (await alerts.resolve_open(OPS, key=key, reason="gone")) is not None
    assert (await alerts.resolve_open(OPS, key=key, reason="gone")) is None


@pytest.mark.usefixtures("rollback")
async def test_keys_and_kinds_are_checked() -> None:
    with pytest.raises(ValidationFailed):
        await alerts.raise_alert(OPS, key="", kind="k", message="m")
    with pytest.raises(ValidationFailed):
        await alerts.raise_alert(OPS, key="x" * 201, kind="k", message="m")


async def test_no_store_ever_sees_an_alert(store_a: Any) -> None:
    """A platform table: a store's scope sees nothing, not even an alert about that store, and
    cannot raise one."""
    alert = await alerts.raise_alert(OPS, key=unique_key(), kind="test.rls", message="m",
                                     tenant_id=store_a.tenant_id)
    try:
        async with tenant_scope(TenantContext(tenant_id=store_a.tenant_id)):
            assert await OperatorAlert.count().where(OperatorAlert.id == alert.id) == 0
        with pytest.raises(ScopeViolation):
            async with tenant_scope(TenantContext(tenant_id=store_a.tenant_id)):
                await alerts.raise_alert(OPS, key=unique_key(), kind="test.rls", message="m")
        assert await OperatorAlert.count().where(OperatorAlert.id == alert.id) == 0  # no scope: nothing
    finally:
        await alerts.resolve_alert(OPS, alert.id, reason="test cleanup")


async def test_the_alerts_api(operator: Any, store_a: Any, signed_in: Any, new_client: Any) -> None:
    kind = f"test.api.{uuid.uuid4().hex[:6]}"
    alert = await alerts.raise_alert(OPS, key=unique_key(), kind=kind, message="api", tenant_id=store_a.tenant_id)
    async with new_client() as anonymous:
        assert (await anonymous.get("/api/v1/ops/alerts")).status_code == 401
    async with signed_in(store_a.manager_email) as store_client:
        assert (await store_client.get("/api/v1/ops/alerts")).status_code == 403
    async with signed_in(operator["email"]) as client:
        page = (await client.get("/api/v1/ops/alerts", params={"kind": kind})).json()
        assert page["total"] == 1
        assert page["items"][0]["tenant_id"] == str(store_a.tenant_id)
        assert (await client.get("/api/v1/ops/alerts/count")).json()["open"] >= 1
        assert (await client.get(f"/api/v1/ops/alerts/{alert.id}")).json()["message"] == "api"
        refused = await client.post(f"/api/v1/ops/alerts/{alert.id}/resolve", json={"reason": ""})
        assert refused.status_code == 422
        assert refused.json()["code"] == "ALERT_REASON_REQUIRED"
        done = await client.post(f"/api/v1/ops/alerts/{alert.id}/resolve", json={"reason": "fixed"})
        assert done.status_code == 200
        assert done.json()["status"] == "resolved"
        again = await client.post(f"/api/v1/ops/alerts/{alert.id}/resolve", json={"reason": "fixed"})
        assert again.status_code == 409
        resolved = (await client.get("/api/v1/ops/alerts", params={"kind": kind, "status": "resolved"})).json()
        assert [a["id"] for a in resolved["items"]] == [str(alert.id)]
        missing = await client.get(f"/api/v1/ops/alerts/{uuid.uuid4()}")
        assert missing.status_code == 404


# --- the calendar's coverage job -----------------------------------------------------------------


@pytest.mark.usefixtures("rollback")
async def test_the_coverage_check_alerts_within_60_days_and_resolves_once_covered() -> None:
    # 2026-10-01: the next 60 days are all in 2026 (covered by chinese_calendar): no alert.
    assert await calendar.check_coverage(datetime(2026, 10, 1, 4, tzinfo=UTC)) is None
    assert await _coverage_alerts() == []
    # 2026-11-22: 2027-01-01 is within 60 days and 2027 is not covered yet.
    now = datetime(2026, 11, 22, 1, tzinfo=UTC)
    assert await calendar.check_coverage(now) == date(2027, 1, 1)
    assert await calendar.check_coverage(now) == date(2027, 1, 1)  # daily re-runs refresh the same alert
    [alert] = await _coverage_alerts()
    assert alert.key == "calendar.coverage.2027"
    assert alert.occurrences == 2
    assert alert.data == {"first_uncovered": "2027-01-01", "year": 2027}
    assert "2027" in alert.message
    await calendar.set_overrides_bulk(ADMIN, "2027-01-01 holiday 元旦", year=2027, confirm_year=True)
    assert await calendar.check_coverage(now) is None
    assert await _coverage_alerts() == []
    resolved, _ = await alerts.list_alerts(OPS, open_only=False, kind="calendar.coverage")
    assert alert.id in [a.id for a in resolved]


async def _coverage_alerts() -> list[alerts.AlertView]:
    return (await alerts.list_alerts(OPS, kind="calendar.coverage"))[0]


async def test_the_daily_job_runs_through_the_scheduler_and_a_worker(jobs_stub: Any) -> None:
    from pawpay.platform.jobs.actors import PLATFORM_QUEUE

    async with platform_scope("test: make due"):
        await CHECK_CALENDAR_COVERAGE_JOB.seed(utcnow())
        await get_engine().run_querystring(QueryString(
            "UPDATE scheduled_job SET next_run_at = {}, lease_until = NULL WHERE name = {}",
            utcnow() - timedelta(seconds=1), CHECK_CALENDAR_COVERAGE))
    result = await jobs_stub.scheduler([CHECK_CALENDAR_COVERAGE_JOB]).tick()
    assert result.sent == 1
    await jobs_stub.join(PLATFORM_QUEUE)
    async with platform_scope("test: job row"):
        rows = await get_engine().run_querystring(QueryString(
            "SELECT * FROM scheduled_job WHERE name = {}", CHECK_CALENDAR_COVERAGE))
    assert rows[0]["last_error"] == ""
    assert rows[0]["next_run_at"] == rows[0]["last_run_at"] + timedelta(days=1)
    today = utcnow().astimezone(calendar.CALENDAR_TIME_ZONE).date()
    expected = await calendar.first_unclassifiable(today, calendar.ALERT_HORIZON_DAYS)
    found = await _coverage_alerts()
    if expected is None:
        assert found == []
    else:
        assert [a.key for a in found] == [f"calendar.coverage.{expected.year}"]
        await alerts.resolve_alert(OPS, found[0].id, reason="test cleanup")


def test_the_job_is_contributed_through_the_hooks() -> None:
    from pawpay.platform.hooks import _manager

    work = [w for ws in _manager.get_plugin_manager().hook.pawpay_due_work() for w in ws]
    assert CHECK_CALENDAR_COVERAGE_JOB in work
    modules = [m for ms in _manager.get_plugin_manager().hook.pawpay_actor_modules() for m in ms]
    assert "pawpay.platform.business_calendar.actors" in modules


async def test_a_store_job_that_hits_an_uncovered_day_alerts_after_its_commit(store_a: Any) -> None:
    day = date(2188, 3, 3)
    async with tenant_scope(TenantContext(tenant_id=store_a.tenant_id)):
        with pytest.raises(CalendarNotCovered):
            await calendar.is_business_day(day)
        await calendar.alert_not_covered(day)  # deferred: alerts are platform data
    [alert] = [a for a in await _coverage_alerts() if a.key == "calendar.coverage.2188"]
    assert alert.data["first_uncovered"] == "2188-03-03"
    await calendar.alert_not_covered(day)  # outside any scope: raised at once (refreshes the open one)
    assert (await alerts.get_alert(OPS, alert.id)).occurrences == 2
    await alerts.resolve_alert(OPS, alert.id, reason="test cleanup")
