"""The business calendar against the real database: overrides win, coverage, audit, admin-only
writes, reads in every scope, writes only in platform scope (RLS), and the operator API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
import pytest

from pawpay.platform.audit.services import list_entries
from pawpay.platform.business_calendar import services as calendar
from pawpay.platform.business_calendar.errors import CalendarNotCovered
from pawpay.platform.business_calendar.tables import BusinessDayOverride
from pawpay.platform.errors import NotFound, PermissionDenied, ValidationFailed
from pawpay.platform.identity.roles import OPS_ADMIN, OPS_REVIEWER
from pawpay.platform.identity.services import create_operator
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope
from pawpay.platform.testing.plugin import PASSWORD, login

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

ADMIN = PlatformContext(actor_label="ops-admin", roles=frozenset({OPS_ADMIN}))
READER = PlatformContext(actor_label="ops-reader", roles=frozenset({OPS_REVIEWER}))
TODAY = date(2026, 11, 22)


@pytest.mark.usefixtures("rollback")
async def test_the_library_classifies_and_an_override_wins() -> None:
    assert await calendar.is_business_day(date(2026, 11, 23)) is True
    assert await calendar.add_business_days(date(2026, 11, 20), 1) == date(2026, 11, 23)
    await calendar.set_override(ADMIN, date(2026, 11, 23), is_business_day=False, note="closure")
    assert await calendar.is_business_day(date(2026, 11, 23)) is False
    assert await calendar.add_business_days(date(2026, 11, 20), 1) == date(2026, 11, 24)
    assert await calendar.business_days_between(date(2026, 11, 20), date(2026, 11, 27)) == 4


@pytest.mark.usefixtures("rollback")
async def test_2027_is_not_guessed_until_the_operator_enters_and_confirms_it() -> None:
    with pytest.raises(CalendarNotCovered) as raised:
        await calendar.add_business_days(date(2026, 12, 30), 2)
    assert raised.value.day == date(2027, 1, 1)
    cov = await calendar.coverage(READER, today=TODAY)
    assert cov.next_year == 2027
    assert cov.next_year_covered is False
    assert cov.warning is not None
    assert "2027" in cov.warning
    assert cov.first_uncovered == date(2027, 1, 1)
    assert cov.first_uncovered_within_horizon == date(2027, 1, 1)
    assert 2026 in cov.covered_years
    assert 2027 not in cov.covered_years
    by_year = {y.year: y for y in cov.years}
    assert by_year[2026].source == "library"
    assert by_year[2027].source == "none"

    await calendar.set_overrides_bulk(ADMIN, "2027-01-01 holiday 元旦\n2027-02-06 workday 调休", year=2027)
    # Entered but not confirmed: the days without an override still cannot be classified.
    assert await calendar.is_business_day(date(2027, 1, 1)) is False
    with pytest.raises(CalendarNotCovered):
        await calendar.is_business_day(date(2027, 1, 4))
    assert (await calendar.coverage(READER, today=TODAY)).first_uncovered == date(2027, 1, 2)

    await calendar.confirm_year_complete(ADMIN, 2027, note="国务院办公厅通知")
    assert await calendar.add_business_days(date(2026, 12, 30), 2) == date(2027, 1, 4)
    assert await calendar.is_business_day(date(2027, 2, 6)) is True  # a Saturday make-up day
    cov = await calendar.coverage(READER, today=TODAY)
    assert cov.next_year_covered is True
    assert cov.warning is None
    y2027 = {y.year: y for y in cov.years}[2027]
    assert (y2027.source, y2027.override_count, y2027.holiday_count, y2027.workday_count) == ("operator", 2, 1, 1)

    await calendar.withdraw_year(ADMIN, 2027, reason="incomplete")
    with pytest.raises(CalendarNotCovered):
        await calendar.is_business_day(date(2027, 1, 4))


@pytest.mark.usefixtures("rollback")
async def test_bulk_input_is_all_or_nothing() -> None:
    with pytest.raises(ValidationFailed):
        await calendar.set_overrides_bulk(ADMIN, "2027-01-01 holiday ok\n2027-01-02 nonsense", year=2027)
    assert await calendar.list_overrides(READER, year=2027) == []


@pytest.mark.usefixtures("rollback")
async def test_changes_are_audited_and_editing_replaces() -> None:
    day = date(2026, 12, 31)
    await calendar.set_override(ADMIN, day, is_business_day=False, note="first")
    await calendar.set_override(ADMIN, day, is_business_day=True, note="second")
    [view] = await calendar.list_overrides(READER, year=2026)
    assert (view.day, view.is_business_day, view.note, view.created_by) == (day, True, "second", "ops-admin")
    assert (await calendar.get_override(READER, day)).note == "second"
    with pytest.raises(ValidationFailed) as raised:
        await calendar.delete_override(ADMIN, day, reason=" ")
    assert raised.value.data["field"] == "reason"
    await calendar.delete_override(ADMIN, day, reason="published list changed")
    with pytest.raises(NotFound):
        await calendar.get_override(READER, day)
    with pytest.raises(NotFound):
        await calendar.delete_override(ADMIN, day, reason="again")
    entries, _ = await list_entries(ADMIN)
    mine = [e for e in entries if e.target_id == day.isoformat()]
    assert [e.action for e in mine][:3] == ["business_calendar.override_deleted", "business_calendar.override_set",
                                            "business_calendar.override_set"]
    assert mine[1].before == {"day": "2026-12-31", "is_business_day": False, "note": "first"}


@pytest.mark.usefixtures("rollback")
async def test_only_an_admin_may_change_the_calendar() -> None:
    with pytest.raises(PermissionDenied):
        await calendar.set_override(READER, date(2026, 12, 31), is_business_day=False)
    with pytest.raises(PermissionDenied):
        await calendar.delete_override(READER, date(2026, 12, 31), reason="x")
    with pytest.raises(PermissionDenied):
        await calendar.set_overrides_bulk(READER, "2027-01-01 holiday", year=2027)
    with pytest.raises(PermissionDenied):
        await calendar.confirm_year_complete(READER, 2027)


@pytest.mark.usefixtures("rollback")
async def test_a_library_year_cannot_be_confirmed() -> None:
    with pytest.raises(ValidationFailed):
        await calendar.confirm_year_complete(ADMIN, 2026)


async def _in_store_scope(store: Any, query: Any) -> None:
    async with tenant_scope(TenantContext(tenant_id=store.tenant_id)):
        await query


async def test_every_scope_reads_and_only_the_platform_writes(store_a: Any, store_b: Any) -> None:
    """Reference data, not tenant data: both stores and no scope at all see the same override; a
    store's scope cannot write (RLS), whatever the service layer does."""
    day = date(2093, 3, 2 + uuid.uuid4().int % 20)
    await calendar.set_override(ADMIN, day, is_business_day=True, note="shared")
    try:
        assert await calendar.is_business_day(day) is True  # no scope
        for store in (store_a, store_b):
            async with tenant_scope(TenantContext(tenant_id=store.tenant_id)):
                assert await calendar.is_business_day(day) is True
        async with tenant_scope(TenantContext(tenant_id=store_a.tenant_id)):
            # An UPDATE from a store's scope silently matches nothing (the row is not writable there).
            await BusinessDayOverride.update({BusinessDayOverride.note: "hijack"}).where(BusinessDayOverride.day == day)
        insert = BusinessDayOverride.insert(BusinessDayOverride(day=date(2093, 12, 31), is_business_day=True))
        with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
            await _in_store_scope(store_a, insert)
        assert (await calendar.get_override(READER, day)).note == "shared"
        async with tenant_scope(TenantContext(tenant_id=store_b.tenant_id)):
            await BusinessDayOverride.delete().where(BusinessDayOverride.day == day)
        assert (await calendar.get_override(READER, day)).note == "shared"  # the delete matched nothing
    finally:
        await calendar.delete_override(ADMIN, day, reason="test cleanup")


async def test_tenant_scope_sees_the_override_table_but_platform_scope_is_needed_to_write(owner: Any) -> None:
    policies = await owner.fetch(
        "SELECT policyname, cmd FROM pg_policies WHERE tablename = 'business_day_override' ORDER BY policyname")
    assert {(p["policyname"], p["cmd"]) for p in policies} == {
        ("business_day_override_read_any_scope", "SELECT"),
        ("business_day_override_insert_platform", "INSERT"),
        ("business_day_override_update_platform", "UPDATE"),
        ("business_day_override_delete_platform", "DELETE"),
    }


async def test_the_operator_api(operator: Any, new_client: Any, signed_in: Any) -> None:
    day = date(2094, 5, 1 + uuid.uuid4().int % 28)
    reader_email = f"reader-{uuid.uuid4().hex[:6]}@pawpay.test"
    async with platform_scope("test"):
        await create_operator(ADMIN, email=reader_email, password=PASSWORD, roles=[OPS_REVIEWER])
    async with new_client() as anonymous:
        assert (await anonymous.get("/api/v1/ops/calendar/coverage")).status_code == 401
    async with signed_in(operator["email"]) as client:
        cov = (await client.get("/api/v1/ops/calendar/coverage")).json()
        assert cov["library_last_year"] == 2026
        assert "next_year_covered" in cov
        assert "first_uncovered" in cov
        put = await client.put(f"/api/v1/ops/calendar/overrides/{day}", json={"is_business_day": False, "note": "x"})
        assert put.status_code == 200, put.text
        assert put.json()["is_business_day"] is False
        listed = (await client.get("/api/v1/ops/calendar/overrides", params={"year": day.year})).json()
        assert [o["day"] for o in listed] == [day.isoformat()]
        assert (await client.get(f"/api/v1/ops/calendar/overrides/{day}")).json()["note"] == "x"
        refused = await client.delete(f"/api/v1/ops/calendar/overrides/{day}")
        assert refused.status_code == 422
        assert refused.json()["code"] == "CALENDAR_REASON_REQUIRED"
        async with new_client() as other:
            await login(other, reader_email)
            assert (await other.get("/api/v1/ops/calendar/overrides", params={"year": day.year})).status_code == 200
            assert (await other.put(f"/api/v1/ops/calendar/overrides/{day}",
                                    json={"is_business_day": True})).status_code == 403
            assert (await other.delete(f"/api/v1/ops/calendar/overrides/{day}",
                                       params={"reason": "x"})).status_code == 403
        gone = await client.delete(f"/api/v1/ops/calendar/overrides/{day}", params={"reason": "test"})
        assert gone.status_code == 204
        missing = await client.get(f"/api/v1/ops/calendar/overrides/{day}")
        assert missing.status_code == 404
        assert missing.json()["code"] == "CALENDAR_OVERRIDE_NOT_FOUND"


async def test_a_store_cannot_use_the_operator_api(store_a: Any, signed_in: Any) -> None:
    async with signed_in(store_a.manager_email) as client:
        assert (await client.get("/api/v1/ops/calendar/coverage")).status_code == 403
        assert (await client.put("/api/v1/ops/calendar/overrides/2094-01-01",
                                 json={"is_business_day": True})).status_code == 403


@pytest.mark.usefixtures("rollback")
async def test_a_year_without_holidays_cannot_be_confirmed() -> None:
    with pytest.raises(ValidationFailed) as raised:
        await calendar.confirm_year_complete(ADMIN, 2027)
    assert str(raised.value.code) == "CALENDAR_YEAR_EMPTY"
    await calendar.set_override(ADMIN, date(2027, 2, 6), is_business_day=True, note="make-up day only")
    with pytest.raises(ValidationFailed):
        await calendar.confirm_year_complete(ADMIN, 2027)
    with pytest.raises(ValidationFailed):  # the bulk form's confirmation is all or nothing too
        await calendar.set_overrides_bulk(ADMIN, "2027-02-07 workday 调休", year=2027, confirm_year=True)
