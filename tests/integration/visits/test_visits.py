"""Follow-up visits against the real database: a signed contract gets its day-7 and day-30 visits
(once), assigned to after-sales (else the manager), the form's bad input changes nothing, completion
and "could not reach" are audited, the due windows follow the store's clock, and another store's
visits are missing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.jobs.services import advance_tenant_clock
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.visits import services as visits
from pawpay.tenants.visits.errors import VisitClosed
from tests.integration.contracts.conftest import draft, setup
from tests.integration.visits.conftest import signed_for, store_with_after_sales

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def _audit(ctx: TenantContext, visit_id: object) -> list[str]:
    entries, _ = await list_entries(ctx, AuditFilter(target_type="visit", target_id=str(visit_id)))
    return [e.action for e in entries]


async def test_signing_plans_day_7_and_day_30_visits_once() -> None:
    s, (after_sales,) = await store_with_after_sales()
    w = await signed_for(s)  # no adoption date: counted from the signing day
    views, total = await visits.list_visits(s.ctx, contract_id=w.contract.id)
    assert total == 2
    assert [(v.day, v.due_on, v.adopted_on) for v in views] == [
        (7, w.contract.start_date + timedelta(days=7), w.contract.start_date),
        (30, w.contract.start_date + timedelta(days=30), w.contract.start_date)]
    assert {v.assignee_id for v in views} == {after_sales}
    assert {(v.status, v.pet_name, v.contract_no) for v in views} == {("open", "豆豆", w.contract.contract_no)}
    # The listener ran on signing; running the planning again (or the event twice) adds nothing.
    again = await visits.schedule_visits(s.ctx, w.contract.id)
    assert [v.id for v in again] == [v.id for v in views]
    assert (await visits.list_visits(s.ctx, contract_id=w.contract.id, status=None))[1] == 2
    for v in views:
        assert await _audit(s.ctx, v.id) == ["visits.planned"]


async def test_visits_count_from_the_adoption_date_and_never_before_signing() -> None:
    s = await setup(phone="13912342001")
    recent = await signed_for(s, adopted_days_ago=2, name="新来的")
    views, _ = await visits.list_visits(s.ctx, contract_id=recent.contract.id)
    adopted = recent.today - timedelta(days=2)
    assert [(v.day, v.due_on) for v in views] == [(7, adopted + timedelta(days=7)), (30, adopted + timedelta(days=30))]
    # Adopted long before signing: both visits are due on the signing day, not in the past.
    s2 = await setup(phone="13912342002")
    old = await signed_for(s2, adopted_days_ago=60, name="老朋友")
    views, _ = await visits.list_visits(s2.ctx, contract_id=old.contract.id)
    assert [(v.day, v.due_on) for v in views] == [(7, old.contract.start_date), (30, old.contract.start_date)]


async def test_without_after_sales_staff_the_manager_gets_them_and_load_is_balanced() -> None:
    s = await setup(phone="13912342003")
    w = await signed_for(s)
    views, _ = await visits.list_visits(s.ctx, contract_id=w.contract.id)
    assert {v.assignee_id for v in views} == {s.store.manager_id}
    s2, people = await store_with_after_sales(2, phone="13912342004")
    await signed_for(s2, name="甲")
    await signed_for(s2, name="乙")
    views, total = await visits.list_visits(s2.ctx)
    assert total == 4
    per_person = sorted([v.assignee_id for v in views].count(p) for p in people)
    assert per_person == [2, 2]


async def test_an_unsigned_contract_gets_no_visits() -> None:
    s = await setup(phone="13912342005")
    d = await draft(s)
    assert await visits.schedule_visits(s.ctx, d.id) == []
    assert (await visits.list_visits(s.ctx, contract_id=d.id, status=None))[1] == 0


@pytest.mark.parametrize(("form", "field"), [
    ({"settled": "maybe", "satisfaction": 5}, "settled"),
    ({"settled": "", "satisfaction": 5}, "settled"),
    ({"settled": "yes", "satisfaction": 0}, "satisfaction"),
    ({"settled": "yes", "satisfaction": 6}, "satisfaction"),
    ({"settled": "yes", "satisfaction": "5"}, "satisfaction"),
    ({"settled": "yes", "satisfaction": True}, "satisfaction"),
    ({"settled": "yes", "satisfaction": 4.5}, "satisfaction"),
    ({"settled": "yes", "satisfaction": 4, "notes": "x" * 2001}, "notes"),
    ({"settled": "yes", "satisfaction": 4, "feeding_questions": "问" * 2001}, "feeding_questions"),
])
async def test_a_bad_form_is_refused_with_its_field_and_changes_nothing(form: dict, field: str) -> None:
    s = await setup()
    w = await signed_for(s)
    visit = (await visits.list_visits(s.ctx, contract_id=w.contract.id))[0][0]
    with pytest.raises(ValidationFailed) as err:
        await visits.complete_visit(s.ctx, visit.id, feeding_questions=form.get("feeding_questions", ""),
                                    notes=form.get("notes", ""), settled=form["settled"],
                                    satisfaction=form["satisfaction"])
    assert (str(err.value.code), err.value.data["field"]) == ("VISIT_INVALID_FORM", field)
    assert await visits.get_visit(s.ctx, visit.id) == visit
    assert await _audit(s.ctx, visit.id) == ["visits.planned"]


async def test_completing_a_visit_records_the_form_once() -> None:
    s = await setup(phone="13912342006")
    w = await signed_for(s)
    visit = (await visits.list_visits(s.ctx, contract_id=w.contract.id))[0][0]
    done = await visits.complete_visit(s.ctx, visit.id, settled="somewhat", satisfaction=4,
                                       feeding_questions=" 幼猫粮每天喂几次？ ", notes="晚上会叫")
    assert (done.status, done.settled, done.satisfaction) == ("done", "somewhat", 4)
    assert (done.feeding_questions, done.notes, done.completed_by) == ("幼猫粮每天喂几次？", "晚上会叫", "test")
    assert done.completed_at is not None
    with pytest.raises(VisitClosed):
        await visits.complete_visit(s.ctx, visit.id, settled="yes", satisfaction=5, feeding_questions="")
    with pytest.raises(VisitClosed):
        await visits.could_not_reach(s.ctx, visit.id, reschedule_on=w.today)
    assert await visits.get_visit(s.ctx, visit.id) == done
    assert await _audit(s.ctx, visit.id) == ["visits.completed", "visits.planned"]
    # The done visit leaves the due lists.
    assert visit.id not in [v.id for v in (await visits.list_visits(s.ctx, contract_id=w.contract.id))[0]]


async def test_could_not_reach_moves_the_visit_and_counts_the_attempt() -> None:
    s = await setup(phone="13912342007")
    w = await signed_for(s)
    visit = (await visits.list_visits(s.ctx, contract_id=w.contract.id))[0][0]
    for bad in (w.today - timedelta(days=1), w.today + timedelta(days=31), None):
        with pytest.raises(ValidationFailed) as err:
            await visits.could_not_reach(s.ctx, visit.id, reschedule_on=bad)
        assert err.value.data["field"] == "reschedule_on"
    assert await visits.get_visit(s.ctx, visit.id) == visit
    moved = await visits.could_not_reach(s.ctx, visit.id, reschedule_on=w.today + timedelta(days=2), note="未接听")
    assert (moved.status, moved.due_on, moved.unreachable_count, moved.last_unreachable_note) == (
        "open", w.today + timedelta(days=2), 1, "未接听")
    assert await _audit(s.ctx, visit.id) == ["visits.unreachable", "visits.planned"]


async def test_due_windows_follow_the_store_clock_and_mine_filters_by_assignee() -> None:
    s, (person,) = await store_with_after_sales(phone="13912342008")
    w = await signed_for(s)
    _upcoming, n = await visits.list_visits(s.ctx, window="upcoming")
    assert n == 2
    assert (await visits.list_visits(s.ctx, window="today"))[1] == 0
    await advance_tenant_clock(s.ctx, 7 * 86400)
    today = [v.day for v in (await visits.list_visits(s.ctx, window="today"))[0]]
    assert today == [7]
    await advance_tenant_clock(s.ctx, 86400)
    overdue = (await visits.list_visits(s.ctx, window="overdue"))[0]
    assert [v.day for v in overdue] == [7]
    assert overdue[0].window(overdue[0].due_on + timedelta(days=1)) == "overdue"
    assert (await visits.list_visits(s.ctx, assignee_id=person))[1] == 2
    assert (await visits.list_visits(s.ctx, assignee_id=s.store.manager_id))[1] == 0
    with pytest.raises(ValidationFailed):
        await visits.list_visits(s.ctx, window="someday")
    moved = await visits.assign_visit(s.ctx, overdue[0].id, s.store.manager_id)
    assert moved.assignee_id == s.store.manager_id
    assert w.contract.id == moved.contract_id


async def test_another_stores_visit_is_missing() -> None:
    s = await setup(phone="13912342009")
    w = await signed_for(s)
    visit = (await visits.list_visits(s.ctx, contract_id=w.contract.id))[0][0]
    other = await create_store()
    octx = TenantContext(tenant_id=other.tenant_id, actor_id=other.manager_id, actor_label="test")
    with pytest.raises(NotFound):
        await visits.get_visit(octx, visit.id)
    with pytest.raises(NotFound):
        await visits.complete_visit(octx, visit.id, settled="yes", satisfaction=5, feeding_questions="")
    with pytest.raises(NotFound):
        await visits.schedule_visits(octx, w.contract.id)
    with pytest.raises(ValidationFailed):
        await visits.assign_visit(s.ctx, visit.id, other.manager_id)
    assert (await visits.list_visits(octx, status=None))[1] == 0
    assert await visits.get_visit(s.ctx, visit.id) == visit
    assert (await contracts.get_contract(s.ctx, w.contract.id)).state == "active"


async def test_the_hourly_catch_up_plans_the_visits_of_a_lost_signing_event(owner, jobs_stub) -> None:

    from piccolo.querystring import QueryString

    from pawpay.platform.clock import utcnow
    from pawpay.platform.db.engine import get_engine
    from pawpay.platform.tenancy.scope import platform_scope
    from pawpay.tenants.visits.due import PLAN_VISITS_JOB

    s = await setup(phone="13912342010")
    w = await signed_for(s)
    # As if the contract-signed listener had failed: the contract has no visits.
    await owner.execute("DELETE FROM visit WHERE tenant_id = $1", s.ctx.tenant_id)
    assert await visits.plan_missing(s.ctx) == 2
    assert await visits.plan_missing(s.ctx) == 0
    await owner.execute("DELETE FROM visit WHERE tenant_id = $1", s.ctx.tenant_id)
    # The periodic job, through the real scheduler and worker, does the same for every store.
    # One "now" for the due time and the tick: the process clock may be another test's frozen one.
    now = utcnow()
    async with platform_scope("test: make the visits catch-up due"):
        await PLAN_VISITS_JOB.seed(now)
        await get_engine().run_querystring(QueryString(
            "UPDATE scheduled_job SET next_run_at = {}, lease_until = NULL WHERE name = {}",
            now - timedelta(seconds=1), PLAN_VISITS_JOB.job_name))
    assert (await jobs_stub.scheduler([PLAN_VISITS_JOB]).tick(now)).sent == 1
    await jobs_stub.join("platform")
    views, total = await visits.list_visits(s.ctx, contract_id=w.contract.id)
    assert (total, [v.day for v in views]) == (2, [7, 30])
