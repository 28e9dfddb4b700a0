"""Contracts against the real database: the signing path (draft → pending → active), the schedule,
evidence, ledger, hook and messages; idempotent and concurrent activation; one open contract per
pet; cooling-off cancellation; the PDF; and one store never reaches another's contracts."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.hooks import ContractSigned, hookimpl
from pawpay.platform.hooks._manager import get_plugin_manager
from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.platform.ledger import services as ledger
from pawpay.platform.merchants import services as merchants
from pawpay.platform.tenancy.context import PlatformContext
from pawpay.tenants.contracts import rules
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.contracts.errors import CoolingOffOver, InvalidTransition, PetHasOpenContract, SigningsSuspended
from pawpay.tenants.customers import services as customers
from tests.integration.contracts.conftest import add_customer, draft, evidence, pdf_streams, pdf_text, setup, signed

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


class _Listener:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ContractSigned]] = []

    @hookimpl
    def pawpay_contract_signed(self, tenant_id: str, contract: ContractSigned) -> None:
        self.calls.append((tenant_id, contract))


class _AsyncListener:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    async def pawpay_contract_signed(self, contract: ContractSigned) -> None:
        self.seen.append(contract.contract_no)
        raise RuntimeError("a failing listener never undoes the signing")


async def test_an_async_listener_is_awaited_and_its_failure_is_contained() -> None:
    pm = get_plugin_manager()
    failing, other = _AsyncListener(), _Listener()
    pm.register(failing)
    pm.register(other)
    try:
        s = await setup()
        active = await signed(s)
    finally:
        pm.unregister(failing)
        pm.unregister(other)
    assert failing.seen == [active.contract_no]
    assert [c.contract_no for _, c in other.calls] == [active.contract_no]  # the failure did not stop it
    assert (await contracts.get_contract(s.ctx, active.id)).state == "active"


@pytest.fixture
def listener() -> Any:
    pm = get_plugin_manager()
    found = _Listener()
    pm.register(found)
    yield found
    pm.unregister(found)


async def test_the_signing_path_creates_schedule_evidence_and_ledger(listener: Any) -> None:
    s = await setup()
    d = await draft(s)
    assert d.state == "draft"
    assert d.total_fen == 12 * 29_800
    assert d.plan_version == s.plan.version
    assert d.contents["each_period"][0]["name"] == "幼猫粮"
    pending = await contracts.mark_pending_signature(s.ctx, d.id, documents=[("debit_authorisation", "a" * 64)])
    assert pending.state == "pending_signature"
    assert [doc["kind"] for doc in pending.documents] == ["contract_pdf", "debit_authorisation"]
    assert pending.pdf_key.startswith("contracts/")  # the bytes shown for signature are kept
    active = await contracts.activate(s.ctx, d.id, evidence=evidence())
    assert active.state == "active"
    today = (await tenant_now(s.ctx)).astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert active.start_date == today
    expected = rules.schedule(today, 10, active.cooling_off_days, 12, 29_800)
    schedule = await contracts.installments(s.ctx, d.id)
    assert [(i.sequence, i.due_on, i.amount_fen, i.status) for i in schedule] == [
        (seq, due, amount, "due") for seq, due, amount in expected]
    assert active.first_due_on == expected[0][1]
    assert active.end_on == expected[-1][1]
    assert all(i.due_on.day == 10 for i in schedule)
    assert (active.first_due_on - today).days >= rules.lead_days(active.cooling_off_days)
    ev = await contracts.get_evidence(s.ctx, d.id)
    assert ev is not None
    assert ev.ip == "203.0.113.7"
    assert ev.esign_reference == "esign_456"
    assert ev.consents["face_data"] is True
    assert ev.retention_until == rules.retention_until(active.end_on)
    assert ev.pdf_sha256 == pending.documents[0]["sha256"]
    import hashlib

    assert hashlib.sha256(await contracts.render_pdf(s.ctx, d.id)).hexdigest() == ev.pdf_sha256
    assert await ledger.balance(s.ctx, f"customer_receivable:{active.contract_no}") == active.total_fen
    assert [c.contract_id for t, c in listener.calls if t == str(s.ctx.tenant_id)] == [str(d.id)]
    broadcast = listener.calls[-1][1]
    assert (broadcast.total_fen, broadcast.periods, broadcast.first_due_on) == (
        active.total_fen, 12, active.first_due_on)


async def test_activation_is_idempotent(listener: Any) -> None:
    s = await setup()
    first = await signed(s)
    again = await contracts.activate(s.ctx, first.id, evidence=evidence(ip="198.51.100.9"))
    assert again == first
    assert len(await contracts.installments(s.ctx, first.id)) == 12
    _entries, total = await ledger.entries(s.ctx, account_code=f"customer_receivable:{first.contract_no}")
    assert total == 1
    assert len([c for t, c in listener.calls if c.contract_id == str(first.id)]) == 1
    ev = await contracts.get_evidence(s.ctx, first.id)
    assert ev is not None
    assert ev.ip == "203.0.113.7"  # the first signing's evidence stays


async def test_concurrent_activations_make_one_schedule() -> None:
    s = await setup()
    d = await draft(s)
    await contracts.mark_pending_signature(s.ctx, d.id)
    a, b = await asyncio.gather(contracts.activate(s.ctx, d.id, evidence=evidence()),
                                contracts.activate(s.ctx, d.id, evidence=evidence()))
    assert a.state == b.state == "active"
    assert a.id == b.id
    assert [i.sequence for i in await contracts.installments(s.ctx, d.id)] == list(range(1, 13))
    assert (await ledger.entries(s.ctx, account_code=f"customer_receivable:{a.contract_no}"))[1] == 1


async def test_the_same_pet_twice_is_409() -> None:
    s = await setup()
    one = await draft(s)
    two = await draft(s)  # drafts may coexist; the signature is what counts
    await contracts.mark_pending_signature(s.ctx, one.id)
    with pytest.raises(PetHasOpenContract) as err:
        await contracts.mark_pending_signature(s.ctx, two.id)
    assert err.value.http_status == 409
    with pytest.raises(PetHasOpenContract):
        await draft(s)
    # another pet of the same customer is fine
    other = await customers.add_pet(s.ctx, s.customer.id, name="花花", species="cat", birthday=s.pet.birthday)
    assert (await draft(s, pet=other)).state == "draft"


async def test_two_signings_of_the_same_pet_at_once_one_wins() -> None:
    s = await setup()
    one, two = await draft(s), await draft(s)
    results = await asyncio.gather(contracts.mark_pending_signature(s.ctx, one.id),
                                   contracts.mark_pending_signature(s.ctx, two.id), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["ContractView", "PetHasOpenContract"]
    states = {(await contracts.get_contract(s.ctx, c.id)).state for c in (one, two)}
    assert states == {"draft", "pending_signature"}


async def test_steps_out_of_order_are_refused() -> None:
    s = await setup()
    d = await draft(s)
    with pytest.raises(InvalidTransition):
        await contracts.activate(s.ctx, d.id, evidence=evidence())  # skipped the signature step
    with pytest.raises(InvalidTransition):
        await contracts.cancel_in_cooling_off(s.ctx, d.id, reason="x")
    await contracts.mark_pending_signature(s.ctx, d.id)
    with pytest.raises(ValidationFailed) as err:
        await contracts.activate(s.ctx, d.id, evidence=evidence(esign_reference=""))
    assert err.value.data["field"] == "esign_reference"
    with pytest.raises(ValidationFailed):
        await contracts.activate(s.ctx, d.id, evidence=evidence(consents={"contract_terms": False}))
    assert (await contracts.get_contract(s.ctx, d.id)).state == "pending_signature"
    assert await contracts.installments(s.ctx, d.id) == []
    abandoned = await contracts.abandon(s.ctx, d.id, reason="customer left")
    assert abandoned.state == "cancelled"
    with pytest.raises(InvalidTransition):
        await contracts.activate(s.ctx, d.id, evidence=evidence())


async def test_draft_input_is_checked() -> None:
    s = await setup()
    other_customer, other_pet = await add_customer(s.ctx, phone="13512345678", name="李四")
    with pytest.raises(ValidationFailed) as err:
        await draft(s, pet=other_pet)  # not this customer's pet
    assert str(err.value.code) == "CONTRACT_PET_NOT_CUSTOMERS"
    with pytest.raises(ValidationFailed) as err:
        await draft(s, debit_day=20)
    assert err.value.data["field"] == "debit_day"
    with pytest.raises(NotFound):
        await contracts.create_draft(s.ctx, customer_id=s.customer.id, pet_id=s.pet.id, plan_id=s.plan.id,
                                     plan_version=99, debit_day=10, channel="h5", started_by="x")
    assert other_customer.id != s.customer.id


async def test_a_suspended_store_cannot_activate() -> None:
    s = await setup()
    d = await draft(s)
    await contracts.mark_pending_signature(s.ctx, d.id)
    await merchants.suspend_store(PlatformContext(actor_label="test"), s.store.tenant_id, reason="test")
    with pytest.raises(SigningsSuspended):
        await contracts.activate(s.ctx, d.id, evidence=evidence())
    assert (await contracts.get_contract(s.ctx, d.id)).state == "pending_signature"
    assert await contracts.installments(s.ctx, d.id) == []


async def test_cancel_in_cooling_off_cancels_schedule_and_reverses_the_ledger() -> None:
    s = await setup()
    active = await signed(s)
    cancelled = await contracts.cancel_in_cooling_off(s.ctx, active.id, reason="客户反悔")
    assert cancelled.state == "cancelled"
    assert cancelled.end_reason == "客户反悔"
    assert {i.status for i in await contracts.installments(s.ctx, active.id)} == {"cancelled"}
    assert await ledger.balance(s.ctx, f"customer_receivable:{active.contract_no}") == 0
    with pytest.raises(InvalidTransition):
        await contracts.cancel_in_cooling_off(s.ctx, active.id, reason="again")
    # the pet is free again
    assert (await draft(s)).state == "draft"


async def test_cancel_after_cooling_off_is_refused() -> None:
    s = await setup()
    active = await signed(s)
    await advance_tenant_clock(s.ctx, int(timedelta(days=active.cooling_off_days + 1).total_seconds()))
    with pytest.raises(CoolingOffOver) as err:
        await contracts.cancel_in_cooling_off(s.ctx, active.id, reason="too late")
    assert err.value.http_status == 422
    assert (await contracts.get_contract(s.ctx, active.id)).state == "active"


async def test_signing_messages_are_sent_and_stored() -> None:
    s = await setup(openid="ox_customer_1")
    active = await signed(s)
    messages = await customers.list_messages(s.ctx, s.customer.id)
    assert {(m.channel, m.status) for m in messages} == {("sms", "succeeded"), ("mini_program", "succeeded")}
    sms = next(m for m in messages if m.channel == "sms")
    assert sms.contract_id == active.id
    assert f"{active.first_due_on:%Y年%m月%d日}" in sms.body
    assert "幼猫粮 ×2袋" in sms.body
    assert "3,576.00" in sms.body


async def test_a_failing_message_never_undoes_the_signing() -> None:
    s = await setup(phone="13800000008", openid="sbx_unsubscribed_1")  # sandbox: SMS fault, not subscribed
    active = await signed(s)
    assert (await contracts.get_contract(s.ctx, active.id)).state == "active"
    messages = await customers.list_messages(s.ctx, s.customer.id)
    assert {m.channel for m in messages} == {"sms", "mini_program"}
    assert all(m.status != "succeeded" for m in messages)
    assert next(m for m in messages if m.channel == "mini_program").error_code == "NOT_SUBSCRIBED"


async def test_the_pdf_is_chinese_with_the_total_and_an_embedded_font() -> None:
    s = await setup()
    d = await draft(s)
    data = await contracts.render_pdf(s.ctx, d.id)
    assert data.startswith(b"%PDF-")
    assert b"NotoSansCJK" in data
    assert b"/FontFile" in data
    assert any(b" 2 Tr" in st for st in pdf_streams(data))  # the key terms are drawn fill + stroke (bold)
    text = pdf_text(data)
    assert "宠物领养协议" in text
    assert "月付代扣授权协议" in text
    assert "总价：人民币 3,576.00 元" in text
    assert "每期金额：人民币 298.00 元" in text
    assert "每月 10 日" in text
    assert "冷静期" in text
    assert "10% 作为违约金" in text
    assert "张三" in text
    assert data == await contracts.render_pdf(s.ctx, d.id)  # deterministic: its hash is evidence


async def test_evidence_is_append_only(owner: Any) -> None:
    s = await setup()
    active = await signed(s)
    with pytest.raises(Exception, match="append-only"):
        await owner.execute("UPDATE contract_evidence SET ip = 'x' WHERE contract_id = $1", active.id)


async def test_lists_filter_by_state_and_customer() -> None:
    s = await setup()
    active = await signed(s)
    other = await customers.add_pet(s.ctx, s.customer.id, name="花花", species="cat", birthday=s.pet.birthday)
    d = await draft(s, pet=other)
    assert [v.id for v in (await contracts.list_contracts(s.ctx, state="active"))[0]] == [active.id]
    assert [v.id for v in (await contracts.list_contracts(s.ctx, state="draft"))[0]] == [d.id]
    views, total = await contracts.list_contracts(s.ctx, customer_id=s.customer.id)
    assert total == 2
    assert {v.id for v in views} == {active.id, d.id}
    assert (await contracts.get_by_number(s.ctx, active.contract_no)).id == active.id
    with pytest.raises(ValidationFailed):
        await contracts.list_contracts(s.ctx, state="bogus")


async def test_another_store_gets_not_found_everywhere() -> None:
    s, t = await setup(), await setup()
    active = await signed(s)
    for call in (contracts.get_contract(t.ctx, active.id), contracts.installments(t.ctx, active.id),
                 contracts.get_evidence(t.ctx, active.id), contracts.render_pdf(t.ctx, active.id),
                 contracts.cancel_in_cooling_off(t.ctx, active.id, reason="x"),
                 contracts.activate(t.ctx, active.id, evidence=evidence()),
                 contracts.mark_pending_signature(t.ctx, active.id),
                 contracts.abandon(t.ctx, active.id, reason="x"),
                 contracts.get_by_number(t.ctx, active.contract_no)):
        with pytest.raises(NotFound):
            await call
    # a draft in store T with store S's customer and pet is refused too
    with pytest.raises(NotFound):
        await contracts.create_draft(t.ctx, customer_id=s.customer.id, pet_id=s.pet.id, plan_id=t.plan.id,
                                     plan_version=t.plan.version, debit_day=10, channel="h5", started_by="x")
    assert (await contracts.list_contracts(t.ctx))[1] == 0


async def test_collections_move_installments_and_the_last_payment_completes() -> None:
    s = await setup()
    active = await signed(s)
    schedule = await contracts.installments(s.ctx, active.id)
    due = await contracts.due_installments(s.ctx, on_or_before=schedule[0].due_on)
    assert [i.id for i in due] == [schedule[0].id]
    paid_at = await tenant_now(s.ctx)
    with pytest.raises(ValidationFailed):
        await contracts.set_installment_status(s.ctx, schedule[0].id, "paid")
    failed = await contracts.set_installment_status(s.ctx, schedule[0].id, "failed")
    assert failed.status == "failed"
    first = await contracts.set_installment_status(s.ctx, schedule[0].id, "paid", paid_at=paid_at)
    assert first.paid_at == paid_at
    assert await contracts.set_installment_status(s.ctx, schedule[0].id, "paid", paid_at=paid_at) == first
    with pytest.raises(InvalidTransition):
        await contracts.set_installment_status(s.ctx, schedule[0].id, "failed")
    for item in schedule[1:-1]:
        await contracts.set_installment_status(s.ctx, item.id, "paid", paid_at=paid_at)
    assert (await contracts.get_contract(s.ctx, active.id)).state == "active"
    await contracts.set_installment_status(s.ctx, schedule[-1].id, "waived", reason="goodwill")
    assert (await contracts.get_contract(s.ctx, active.id)).state == "completed"


async def test_terminate_cancels_the_rest_and_quotes_the_penalty() -> None:
    s = await setup()
    active = await signed(s)
    schedule = await contracts.installments(s.ctx, active.id)
    paid_at = await tenant_now(s.ctx)
    for item in schedule[:2]:
        await contracts.set_installment_status(s.ctx, item.id, "paid", paid_at=paid_at)
    view, penalty = await contracts.terminate(s.ctx, active.id, reason="客户搬家")
    assert view.state == "terminated"
    assert penalty == rules.penalty_fen(10, 29_800, 1000) == 29_800
    assert [i.status for i in await contracts.installments(s.ctx, active.id)] == ["paid"] * 2 + ["cancelled"] * 10
    assert await ledger.balance(s.ctx, f"customer_receivable:{active.contract_no}") == 2 * 29_800
    with pytest.raises(InvalidTransition):
        await contracts.terminate(s.ctx, active.id, reason="again")
    other = await setup()
    with pytest.raises(NotFound):
        await contracts.set_installment_status(other.ctx, schedule[2].id, "paid", paid_at=paid_at)
    with pytest.raises(NotFound):
        await contracts.terminate(other.ctx, active.id, reason="x")
