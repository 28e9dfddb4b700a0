"""Tickets through the real services on a real database: the lifecycle (every action logged and audited,
the customer told at each step), photos through storage, the SLA on the store's test clock with the
escalation due work, pet-health coupons and the pause (proposed, agreed, applied through dunning), bad
input refused with nothing changed, and another store's tickets invisible."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.platform.storage import services as storage
from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.aftersales import services as aftersales
from pawpay.tenants.aftersales.errors import InvalidTransition, NotPetHealth, NotReshippable, PauseState
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.dunning import endings
from pawpay.tenants.dunning import services as dunning
from tests.integration.aftersales.conftest import bodies, inbox, photo, sla_tick, world
from tests.integration.contracts.conftest import add_customer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def _count(ctx: TenantContext) -> int:
    _tickets, total = await aftersales.list_tickets(ctx, limit=500)
    return total


async def test_lifecycle_is_logged_audited_and_the_customer_told_at_each_step() -> None:
    w = await world(phone="13912340701")
    ticket = await aftersales.open_ticket(w.ctx, kind="complaint", contract_id=w.contract.id,
                                          description="快递员态度差", photos=[photo()])
    assert ticket.state == "open"
    assert ticket.sla_goal == "solution"
    assert ticket.sla_deadline == ticket.sla_started_at + timedelta(hours=24)
    assert ticket.customer_id == w.contract.customer_id
    assert ticket.opened_by_kind == "staff"
    await aftersales.act(w.ctx, ticket.id, "start")
    await aftersales.act(w.ctx, ticket.id, "wait_customer", note="请提供快递单号")
    await aftersales.act(w.ctx, ticket.id, "start")
    done = await aftersales.act(w.ctx, ticket.id, "resolve", note="已向快递公司投诉并补偿10积分")
    assert done.state == "resolved"
    assert done.sla_outcome == "met"
    assert done.resolution.startswith("已向快递")
    closed = await aftersales.act(w.ctx, ticket.id, "close")
    assert closed.state == "closed"
    assert closed.closed_at is not None
    reopened = await aftersales.act(w.ctx, ticket.id, "reopen", note="客户仍不满意")
    assert reopened.state == "open"
    assert reopened.sla_outcome == ""
    assert reopened.resolved_at is None
    assert reopened.sla_deadline > ticket.sla_deadline

    log = await aftersales.events(w.ctx, ticket.id)
    assert [(e.kind, e.from_state, e.to_state) for e in log] == [
        ("opened", "open", "open"), ("start", "open", "in_progress"),
        ("wait_customer", "in_progress", "waiting_customer"), ("start", "waiting_customer", "in_progress"),
        ("resolve", "in_progress", "resolved"), ("close", "resolved", "closed"), ("reopen", "closed", "open")]
    assert all(e.actor == "test" and e.actor_kind == "staff" for e in log)
    assert log[-1].detail["previous_sla_outcome"] == "met"
    entries, _total = await list_entries(w.ctx, AuditFilter(target_type="aftersales_ticket",
                                                            target_id=str(ticket.id)))
    audited = [e.action for e in entries]
    assert sorted(audited) == sorted(f"aftersales.{e.kind}" for e in log)
    sent = await inbox(w.ctx, "13912340701")
    sms = sorted(m.template for m in sent if m.template.endswith("_SMS"))
    assert sms == sorted(["AFTERSALES_OPENED_SMS", "AFTERSALES_IN_PROGRESS_SMS", "AFTERSALES_WAITING_CUSTOMER_SMS",
                          "AFTERSALES_IN_PROGRESS_SMS", "AFTERSALES_RESOLVED_SMS", "AFTERSALES_CLOSED_SMS",
                          "AFTERSALES_OPEN_SMS"])
    said = await bodies(w.ctx, w.contract.customer_id)
    assert len(said) == 2 * len(sms)  # SMS + mini-program (the customer has an openid)
    assert any("请提供快递单号" in b for b in said)
    assert all(ticket.ticket_no in b and b.startswith("【") for b in said)


async def test_refused_transitions_and_bad_input_change_nothing() -> None:
    w = await world(phone="13912340702")
    before = await _count(w.ctx)
    with pytest.raises(ValidationFailed) as bad_kind:
        await aftersales.open_ticket(w.ctx, kind="broken", contract_id=w.contract.id, description="x")
    assert bad_kind.value.data["field"] == "kind"
    with pytest.raises(ValidationFailed):
        await aftersales.open_ticket(w.ctx, kind="damaged", contract_id=w.contract.id, description="  ")
    with pytest.raises(ValidationFailed) as not_image:
        await aftersales.open_ticket(w.ctx, kind="damaged", contract_id=w.contract.id, description="破损",
                                     photos=[photo(), aftersales.PhotoUpload(b"just text", "evil.jpg")])
    assert str(not_image.value.code) == "UPLOAD_TYPE_NOT_ALLOWED"
    with pytest.raises(NotFound):
        await aftersales.open_ticket(w.ctx, kind="damaged", contract_id=w.s.plan.id, description="破损")
    assert await _count(w.ctx) == before
    ticket = await aftersales.open_ticket(w.ctx, kind="damaged", contract_id=w.contract.id, description="破损")
    with pytest.raises(InvalidTransition):
        await aftersales.act(w.ctx, ticket.id, "reopen", note="x")
    with pytest.raises(ValidationFailed):
        await aftersales.act(w.ctx, ticket.id, "resolve")  # the resolution is required
    with pytest.raises(ValidationFailed):
        await aftersales.act(w.ctx, ticket.id, "close")  # closing unresolved needs the reason
    with pytest.raises(ValidationFailed):
        await aftersales.act(w.ctx, ticket.id, "fly")
    with pytest.raises(NotReshippable):
        await aftersales.reship(w.ctx, ticket.id, postage_fen=1200)  # no shipment on the ticket
    with pytest.raises(NotPetHealth):
        await aftersales.propose_pause(w.ctx, ticket.id, periods=1, reason="生病")
    after = await aftersales.get_ticket(w.ctx, ticket.id)
    assert after == ticket
    assert [e.kind for e in await aftersales.events(w.ctx, ticket.id)] == ["opened"]


async def test_photos_are_stored_re_encoded_and_served_by_signed_links() -> None:
    w = await world(phone="13912340703")
    ticket = await aftersales.open_ticket(w.ctx, kind="damaged", contract_id=w.contract.id, description="罐头压扁",
                                          photos=[photo("a.jpg"), photo("b.jpg", "blue")])
    stored = await aftersales.photos(w.ctx, ticket.id)
    assert [p.content_type for p in stored] == ["image/jpeg", "image/jpeg"]
    assert all(p.file_key.startswith("aftersales/") and p.uploaded_by_kind == "staff" for p in stored)
    assert (await storage.read_file(stored[0].file_key))[:3] == b"\xff\xd8\xff"
    assert stored[0].url().startswith("/files/")
    more = await aftersales.add_photos(w.ctx, ticket.id, [photo("c.jpg")])
    assert len(more) == 3
    with pytest.raises(ValidationFailed):
        await aftersales.add_photos(w.ctx, ticket.id, [photo(f"{i}.jpg") for i in range(7)])  # 10 > 9
    assert len(await aftersales.photos(w.ctx, ticket.id)) == 3


async def test_the_sla_escalates_to_the_manager_on_the_store_clock(jobs_stub: Any) -> None:
    # The scheduler ticks for every store of the session's database: look at this store's tickets only.
    w = await world(phone="13912340704")
    product = await aftersales.open_ticket(w.ctx, kind="missing", contract_id=w.contract.id, description="少了一袋")
    complaint = await aftersales.open_ticket(w.ctx, kind="complaint", contract_id=w.contract.id, description="慢")

    async def escalated() -> list[str]:
        await sla_tick(jobs_stub)
        return [t.kind for t in (await aftersales.list_tickets(w.ctx, escalated=True))[0]]

    assert await escalated() == []
    await advance_tenant_clock(w.ctx, 23 * 3600)
    assert await escalated() == []  # 23 h: nothing due yet
    await advance_tenant_clock(w.ctx, 3600 + 60)
    assert await escalated() == ["complaint"]  # the complaint's 24 h ran out
    breached = await aftersales.get_ticket(w.ctx, complaint.id)
    assert breached.sla_outcome == "breached"
    assert breached.escalated_at is not None
    assert breached.assignee_id == w.s.store.manager_id
    escalation = (await aftersales.events(w.ctx, complaint.id))[-1]
    assert escalation.kind == "escalated"
    assert escalation.actor_kind == "system"
    [task] = await dunning.list_tasks(w.ctx, assignee_id=w.s.store.manager_id)
    assert str(task.id) == escalation.detail["task_id"]
    assert complaint.ticket_no in task.note
    assert (await aftersales.get_ticket(w.ctx, product.id)).escalated_at is None
    # The product issue is resolved within its 48 h: met, never escalated.
    await advance_tenant_clock(w.ctx, 20 * 3600)
    resolved = await aftersales.act(w.ctx, product.id, "resolve", note="已补发")
    assert resolved.sla_outcome == "met"
    await advance_tenant_clock(w.ctx, 10 * 3600)
    assert await escalated() == ["complaint"]  # past the product issue's 48 h, but it was met
    assert await escalated() == ["complaint"]
    assert [e.kind for e in await aftersales.events(w.ctx, complaint.id)].count("escalated") == 1
    # Resolving after the breach keeps it breached.
    late = await aftersales.act(w.ctx, complaint.id, "resolve", note="道歉并赠送积分")
    assert late.sla_outcome == "breached"
    assert any(m.template == "AFTERSALES_ESCALATED_SMS" for m in await inbox(w.ctx, "13912340704"))
    summary = await aftersales.sla_summary(w.ctx)
    assert summary == {"open": 0, "escalated": 0, "met": 1, "breached": 1}


async def test_pet_health_coupon_and_pause_through_dunning() -> None:
    w = await world(phone="13912340705")
    ticket = await aftersales.open_ticket(w.ctx, kind="pet_health", contract_id=w.contract.id,
                                          description="猫咪腹泻，疑似换粮不适")
    today = (await tenant_now(w.ctx)).date()
    with pytest.raises(ValidationFailed):
        await aftersales.attach_coupon(w.ctx, ticket.id, clinic="瑞派", discount_kind="percent", discount_value=95,
                                       code="RP1", expires_on=today + timedelta(days=30))
    coupon = await aftersales.attach_coupon(w.ctx, ticket.id, clinic="瑞派宠物医院", discount_kind="percent",
                                            discount_value=20, code="RP-2026-001",
                                            expires_on=today + timedelta(days=30))
    assert coupon.send_status.startswith("mini_program:") or "sms:" in coupon.send_status
    after_coupon = await aftersales.get_ticket(w.ctx, ticket.id)
    assert after_coupon.sla_outcome == "met"
    assert after_coupon.state == "in_progress"
    assert any("RP-2026-001" in b and "立减20%" in b for b in await bodies(w.ctx, w.contract.customer_id))

    proposed = await aftersales.propose_pause(w.ctx, ticket.id, periods=1, reason="宠物生病")
    assert proposed.pause_proposal["status"] == "proposed"
    with pytest.raises(PauseState):
        await aftersales.propose_pause(w.ctx, ticket.id, periods=1, reason="again")
    assert await endings.list_pauses(w.ctx, w.contract.id) == []  # a proposal is not a pause
    with pytest.raises(ValidationFailed):
        await aftersales.apply_pause(w.ctx, ticket.id)  # no agreement recorded yet
    agreed = await aftersales.answer_pause(w.ctx, w.contract.customer_id, ticket.id, agree=True)
    assert agreed.pause_proposal["status"] == "agreed"
    assert "同意" in agreed.pause_proposal["agreement"]
    applied = await aftersales.apply_pause(w.ctx, ticket.id)
    assert applied.pause_proposal["status"] == "applied"
    pauses = await endings.list_pauses(w.ctx, w.contract.id)
    assert len(pauses) == 1
    assert pauses[0].kind == "illness"
    assert pauses[0].periods == 1
    assert str(pauses[0].id) == applied.pause_proposal["pause_id"]
    schedule = await contracts.installments(w.ctx, w.contract.id)
    assert [i.status for i in schedule].count("paused") == 1
    kinds = [e.kind for e in await aftersales.events(w.ctx, ticket.id)]
    assert kinds == ["opened", "coupon_sent", "pause_proposed", "pause_agreed", "pause_applied"]
    assert [e.actor_kind for e in await aftersales.events(w.ctx, ticket.id)][3] == "customer"


async def test_a_customer_sees_only_their_own_tickets_and_another_store_nothing() -> None:
    w = await world(phone="13912340706")
    other = await world(phone="13912340707")
    mine = await aftersales.open_customer_ticket(w.ctx, w.contract.customer_id, kind="wrong_item",
                                                 contract_id=w.contract.id, description="发成了狗粮")
    assert mine.opened_by_kind == "customer"
    # Another store's contract, through this store: not found.
    with pytest.raises(NotFound):
        await aftersales.open_customer_ticket(w.ctx, w.contract.customer_id, kind="damaged",
                                              contract_id=other.contract.id, description="x")
    with pytest.raises(NotFound):
        await aftersales.get_ticket(other.ctx, mine.id)
    with pytest.raises(NotFound):
        await aftersales.act(other.ctx, mine.id, "start")
    # Another customer of the same store: not found either.
    stranger, _pet = await add_customer(w.ctx, phone="13912340799")
    with pytest.raises(NotFound):
        await aftersales.customer_ticket(w.ctx, stranger.id, mine.id)
    with pytest.raises(NotFound):
        await aftersales.open_customer_ticket(w.ctx, stranger.id, kind="damaged", contract_id=w.contract.id,
                                              description="x")
    assert [t.id for t in (await aftersales.list_tickets(w.ctx, customer_id=stranger.id))[0]] == []
