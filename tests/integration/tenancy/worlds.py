"""Store worlds: realistic rows of one store in every domain's tables, made through the domain
services (the way the product makes them), for the isolation tests.

One factory per domain, cached per store (a second call returns the first world): ``await
catalog_world(store)`` etc. ``TABLE_WORLDS`` maps every tenant table a world fills to its
factory; the table-by-table isolation test uses it, the route isolation test takes the ids.

Use a store of its own (``create_store()``): the worlds give it a merchant profile, terms,
providers, contracts, settlement batches... which the session's shared stores should not carry.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from stdnum.cn import ric

from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.identity.roles import MANAGER
from pawpay.platform.tenancy.context import PlatformContext, TenantContext

T = TypeVar("T")

OPS = PlatformContext(actor_label="isolation fixture")
_serial = itertools.count(1)
_cache: dict[tuple[str, uuid.UUID], Any] = {}


def store_ctx(store: Any) -> TenantContext:
    return TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, roles=frozenset({MANAGER}),
                         actor_label=store.manager_email)


def _cached(name: str) -> Callable[[Callable[[Any], Awaitable[T]]], Callable[[Any], Awaitable[T]]]:
    def wrap(build: Callable[[Any], Awaitable[T]]) -> Callable[[Any], Awaitable[T]]:
        async def world(store: Any) -> T:
            key = (name, store.tenant_id)
            if key not in _cache:
                try:
                    _cache[key] = await build(store)
                except Exception as exc:
                    # Built once: a world that failed half-way fails the same way for every table
                    # it maps, instead of a retry tripping over its own half-made rows.
                    _cache[key] = exc
            if isinstance(_cache[key], Exception):
                raise _cache[key]
            return _cache[key]  # type: ignore[no-any-return]

        world.__name__ = world.__qualname__ = f"{name}_world"
        world.__doc__ = build.__doc__
        return world

    return wrap


def resident_id(born: date = date(1990, 3, 7), sequence: int | None = None) -> str:
    """A valid resident ID (Beijing Dongcheng). For the sandbox credit bureau the sequence code is the
    score (550 and above pass)."""
    body = f"110101{born:%Y%m%d}{(sequence if sequence is not None else 700 + next(_serial) % 200):03d}"
    return body + ric.calc_check_digit(body + "0")


def a_phone() -> str:
    return f"139{uuid.uuid4().int % 100_000_000:08d}"


async def _store_offset(store: Any) -> timedelta:
    """How far the store's test clock is ahead of the process clock."""
    from pawpay.platform.jobs.services import get_tenant_clock

    return timedelta(seconds=(await get_tenant_clock(store_ctx(store))).offset_seconds)


@_cached("daytime")
async def daytime_world(store: Any) -> None:
    """Move the (test-mode) store's clock to the next 10:00 in Beijing: debits run 07:00-22:00."""
    from zoneinfo import ZoneInfo

    from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now

    ctx = store_ctx(store)
    here = (await tenant_now(ctx)).astimezone(ZoneInfo("Asia/Shanghai"))
    target = here.replace(hour=10, minute=0, second=0, microsecond=0)
    if not 8 <= here.hour < 20:
        if target <= here:
            target += timedelta(days=1)
        await advance_tenant_clock(ctx, int((target - here).total_seconds()) + 1)


# --- merchants: terms, profile, an expiry reminder ------------------------------------------------

@dataclass
class MerchantsWorld:
    terms: Any
    profile: Any
    reminders: int


@_cached("merchants")
async def merchants_world(store: Any) -> MerchantsWorld:
    """Terms (a new version: T+1, advances allowed from the sandbox partner), the merchant profile,
    and the 1-day expiry reminder of its certificate (the daily reminder job, run at a moment only
    this store's certificate is due)."""
    from pawpay.platform.merchants import services as merchants
    from pawpay.platform.onboarding.testing import a_uscc

    terms = await merchants.set_terms(OPS, store.tenant_id, dataclasses.replace(
        merchants.default_terms(), settlement_days=1, advances_allowed=True, advance_ratio_bp=4500,
        advance_fee_bp=600), reason="isolation fixture")
    # A far, store-specific expiry: run "the day before" it, no other store's document is due.
    expires = date(2060, 1, 1) + timedelta(days=uuid.UUID(str(store.tenant_id)).int % 3000)
    profile = await merchants.create_profile(OPS, store.tenant_id, merchants.StoreProfileInput(
        legal_name=f"{store.name}有限公司", uscc=a_uscc(), legal_rep_name="张三",
        legal_rep_id_number=resident_id(date(1980, 5, 1)), contact_name="李四", contact_phone="13812345678",
        contact_email=f"owner@{store.slug}.test", region="北京市朝阳区", address="建国路 1 号",
        opened_on=date(2025, 1, 1), certificate_number="京动防 2025-001", certificate_expires_on=expires))
    day_before = datetime(expires.year, expires.month, expires.day, 4, tzinfo=UTC) - timedelta(days=1)
    sent = await merchants.send_expiry_reminders(day_before)
    assert sent >= 1
    return MerchantsWorld(terms, profile, sent)


# --- providers: the sandbox payment rail ----------------------------------------------------------

@_cached("providers")
async def providers_world(store: Any) -> None:
    """The store's payments provider: the sandbox rail (debits, held funds, releases)."""
    from pawpay.platform.providers.services import set_store_provider

    await set_store_provider(store_ctx(store), "payments", "sandbox", {
        "merchant_id": f"m_{store.slug}"[:32], "webhook_secret": "whsec-isolation-" + uuid.uuid4().hex})


# --- catalog and plans ----------------------------------------------------------------------------

@dataclass
class CatalogWorld:
    sku: Any
    service: Any


@_cached("catalog")
async def catalog_world(store: Any) -> CatalogWorld:
    from pawpay.tenants.catalog import services as catalog

    ctx = store_ctx(store)
    sku = await catalog.create_sku(ctx, catalog.SkuInput(code=f"F{uuid.uuid4().hex[:6]}", name="幼猫粮",
                                                         kind="food", unit="袋", specification="1.5kg"))
    service = await catalog.create_service(ctx, catalog.ServiceInput(code=f"S{uuid.uuid4().hex[:6]}",
                                                                     name="驱虫", kind="deworming"))
    return CatalogWorld(sku, service)


@dataclass
class PlansWorld:
    plan: Any
    stage_boundaries: Any


@_cached("plans")
async def plans_world(store: Any) -> PlansWorld:
    """A cat plan with a SKU and a service (plan, plan_version), and the store's stage settings."""
    from pawpay.tenants.plans import services as plans

    ctx = store_ctx(store)
    await providers_world(store)  # a plan's amount is checked against the payment rail's limits
    items = await catalog_world(store)
    plan = await plans.create_plan(ctx, plans.PlanInput(
        name="幼猫月付套餐", species="cat", stage="kitten", periods=12, monthly_amount_fen=29_800,
        contents=[plans.ContentInput(item_type="sku", item_id=items.sku.id, quantity=2),
                  plans.ContentInput(item_type="service", item_id=items.service.id, quantity=1)],
        gift_text="价值100元新手礼包", debit_days=(5, 10, 15)), confirm_amount_warning=True)
    boundaries = await plans.set_stage_boundaries(ctx, 4, 12)
    return PlansWorld(plan, boundaries)


# --- customers, contracts ---------------------------------------------------------------------------

@dataclass
class CustomersWorld:
    customer: Any
    pet: Any
    message: Any


@_cached("customers")
async def customers_world(store: Any) -> CustomersWorld:
    from pawpay.platform.hooks import ProviderResult, ProviderStatus
    from pawpay.tenants.customers import services as customers

    ctx = store_ctx(store)
    customer = await customers.upsert_customer(ctx, name="张三", phone=a_phone(), id_number=resident_id(),
                                               region="上海市", address="浦东新区1号", wechat_openid="")
    pet = await customers.add_pet(ctx, customer.id, name="咪咪", species="cat", breed="英短",
                                  birthday=date(2026, 3, 1), adoption_date=date(2026, 6, 1))
    message = await customers.record_message(
        ctx, customer.id, "sms", "welcome", "欢迎来到本店",
        ProviderResult(status=ProviderStatus.SUCCEEDED, provider_reference=f"sms-{uuid.uuid4().hex[:8]}"))
    return CustomersWorld(customer, pet, message)


@dataclass
class ContractsWorld:
    contract: Any
    installments: list[Any]
    evidence: Any


@_cached("contracts")
async def contracts_world(store: Any) -> ContractsWorld:
    """An active contract (draft, documents presented, signed with evidence) and its schedule,
    under the store's terms (advances allowed: signing it asks the partner for the advance)."""
    from pawpay.tenants.contracts import services as contracts

    ctx = store_ctx(store)
    await merchants_world(store)
    await providers_world(store)
    plan = (await plans_world(store)).plan
    people = await customers_world(store)
    draft = await contracts.create_draft(ctx, customer_id=people.customer.id, pet_id=people.pet.id, plan_id=plan.id,
                                         plan_version=plan.version, debit_day=10, channel="h5",
                                         started_by="customer")
    await contracts.mark_pending_signature(ctx, draft.id)
    contract = await contracts.activate(ctx, draft.id, evidence=contracts.EvidenceInput(
        ip="203.0.113.7", user_agent="Mozilla/5.0 (iPhone)", device="iPhone 15", identity_reference="idv_123",
        esign_reference="esign_456", face_check_reference="face_789", payment_agreement_reference="agr_1",
        consents={"contract_terms": True, "debit_authorisation": True, "face_data": True}))
    # Signing fires the contract-signed hook (the advance request). Its listeners are awaited after
    # the signing committed; where a version still runs them in the background, wait for them, so
    # that the world is settled before a test compares the store's rows.
    from pawpay.platform.advances import services as advances

    drain = getattr(advances, "drain", None)
    if drain is not None:
        await drain()
    schedule = await contracts.installments(ctx, contract.id)
    evidence = await contracts.get_evidence(ctx, contract.id)
    assert schedule
    assert evidence is not None
    return ContractsWorld(contract, schedule, evidence)


# --- signing: phone code, session, the steps up to the risk decision ------------------------------

@dataclass
class SigningWorld:
    session: Any
    signing: Any


@_cached("signing")
async def signing_world(store: Any) -> SigningWorld:
    """A customer signs in with a phone code (signing_otp, signing_session) and walks the steps to
    the risk decision (signing, risk_decision), against the sandbox identity and credit providers."""
    from pawpay.platform.providers.services import provider_for
    from pawpay.tenants.signing import services as signing

    ctx = store_ctx(store)
    plan = (await plans_world(store)).plan
    phone = a_phone()
    await signing.request_code(ctx, phone, ip="203.0.113.9")
    notifications, nctx = await provider_for(ctx, "notifications")
    sent = [m for m in notifications.inbox(nctx, recipient=phone) if m.template == signing.SMS_CODE_TEMPLATE]
    code = str(max(sent, key=lambda m: m.sent_at).params["code"])
    _token, session = await signing.verify_code(ctx, phone, code, ip="203.0.113.9")
    view = await signing.start_signing(ctx, session, plan.id)
    view = await signing.submit_plan(ctx, session, view.id, plan_id=plan.id, debit_day=10)
    view = await signing.submit_pet(ctx, session, view.id, name="咪咪", species="cat", breed="英短",
                                    birthday=date(2026, 3, 1), adoption_date=None)
    view = await signing.submit_details(ctx, session, view.id, name="王小明", id_number=resident_id(sequence=700),
                                        address="上海市浦东新区1号", occupation="employed", income="stable",
                                        residence="owned")
    view = await signing.start_identity(ctx, session, view.id, face_consent=True)
    identity, ictx = await provider_for(ctx, "identity")
    identity.complete_face_check(ictx, view.action_urls["face"].rstrip("/").rsplit("/", 1)[-1])
    view = await signing.finish_identity(ctx, session, view.id)
    view = await signing.run_risk(ctx, session, view.id)
    assert await signing.decisions(ctx, view.id)
    return SigningWorld(session, view)


# --- settlement and deposits ------------------------------------------------------------------------

COLLECTED_AT = datetime(2026, 9, 11, 4, tzinfo=UTC)  # Friday 12:00 in Beijing
RELEASE_DAY = date(2026, 9, 14)  # T+1: the Monday


@dataclass
class SettlementWorld:
    item: Any
    refund: Any
    batch: Any


@_cached("settlement")
async def settlement_world(store: Any) -> SettlementWorld:
    """The contract's first installment debited at the sandbox with funds held (settlement_item),
    partly refunded (settlement_refund), released by the T+1 batch (settlement_batch, its line)."""
    from pawpay.platform.hooks import ChargeRequest, ProviderStatus, RefundRequest
    from pawpay.platform.providers.services import provider_for
    from pawpay.platform.settlement import services as settlement

    ctx = store_ctx(store)
    contract = (await contracts_world(store)).contract
    await deposits_world(store)  # a deposit target: the batch withholds towards it
    amount, fee = contract.monthly_amount_fen, 600
    attempt = f"att-{uuid.uuid4().hex[:12]}"
    offset = await _store_offset(store)  # the sandbox charges on the store's clock
    previous = set_clock(FrozenClock(COLLECTED_AT - offset))
    try:
        payments, pctx = await provider_for(ctx, "payments")
        charged = await payments.charge(pctx, ChargeRequest(
            attempt_id=attempt, payment_id=f"pay-{attempt}", agreement_id=f"agr-{attempt}", amount_fen=amount,
            description="installment 1", hold_funds=True, platform_fee_fen=fee))
        assert charged.status is ProviderStatus.SUCCEEDED, charged
        item = await settlement.record_collection(
            ctx, attempt_id=attempt, contract_ref=contract.contract_no, amount_fen=amount, fee_fen=fee,
            collected_at=COLLECTED_AT, settlement_days=1, provider_name="sandbox")
        refunded_at = COLLECTED_AT + timedelta(hours=1)
        set_clock(FrozenClock(refunded_at - offset))
        refunded = await payments.refund(pctx, RefundRequest(refund_id=f"rf-{attempt}", attempt_id=attempt,
                                                             amount_fen=1_000, charge_amount_fen=amount))
        assert refunded.status is ProviderStatus.SUCCEEDED, refunded
        refund = await settlement.record_refund(ctx, refund_id=f"rf-{attempt}", attempt_id=attempt, amount_fen=1_000,
                                                refunded_at=refunded_at)
    finally:
        set_clock(previous)
    batch = await settlement.run_settlement_batch(ctx, RELEASE_DAY)
    assert batch.item_count == 1, batch
    return SettlementWorld(item, refund, batch)


@dataclass
class DepositsWorld:
    deposit: Any


@_cached("deposits")
async def deposits_world(store: Any) -> DepositsWorld:
    """The store's deposit target from its monthly fulfilment (deposit_account, deposit_event)."""
    from pawpay.platform.deposits import services as deposits

    view = await deposits.set_monthly_fulfilment(store_ctx(store), 29_800, reason="isolation fixture: C-1 signed")
    return DepositsWorld(view)


@dataclass
class AdvancesWorld:
    advance: Any


@_cached("advances")
async def advances_world(store: Any) -> AdvancesWorld:
    """The contract's advance from the sandbox financing partner: requested by the contract-signed
    hook in the background (awaited here); asking again is idempotent and returns it."""
    from pawpay.platform.advances import services as advances

    ctx = store_ctx(store)
    contract = (await contracts_world(store)).contract
    assert contract.first_due_on is not None
    advance = await advances.request_advance_for_contract(
        ctx, contract_ref=contract.contract_no, total_fen=contract.total_fen, terms_version=contract.terms_version,
        periods=contract.periods, first_due_on=contract.first_due_on)
    return AdvancesWorld(advance)


@dataclass
class ReconciliationWorld:
    run: Any
    differences: list[Any]


@_cached("reconciliation")
async def reconciliation_world(store: Any) -> ReconciliationWorld:
    """The collection day reconciled against the sandbox's statement (recon_run), the statement
    scripted to show the debit 1 fen short (recon_difference)."""
    from pawpay.platform.providers.services import provider_for
    from pawpay.platform.reconciliation import services as reconciliation

    ctx = store_ctx(store)
    item = (await settlement_world(store)).item
    payments, _ = await provider_for(ctx, "payments")
    payments.script_statement(str(store.tenant_id), alter={item.attempt_id: -1})
    run = await reconciliation.reconcile_day(ctx, item.collected_on)
    differences = await reconciliation.store_differences(ctx, item.collected_on)
    assert differences, run
    return ReconciliationWorld(run, differences)


async def _signed_contract(store: Any, *, monthly_amount_fen: int) -> Any:
    """Another customer signs a contract for another cat, on a plan of its own."""
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.customers import services as customers
    from pawpay.tenants.plans import services as plans

    ctx = store_ctx(store)
    sku = (await catalog_world(store)).sku
    plan = await plans.create_plan(ctx, plans.PlanInput(
        name=f"幼猫月付套餐 {monthly_amount_fen}", species="cat", stage="kitten", periods=12,
        monthly_amount_fen=monthly_amount_fen, contents=[plans.ContentInput(item_type="sku", item_id=sku.id)],
        debit_days=(5, 10, 15)), confirm_amount_warning=True)
    customer = await customers.upsert_customer(ctx, name="李四", phone=a_phone(), id_number=resident_id(),
                                               region="上海市", address="徐汇区2号", wechat_openid="")
    pet = await customers.add_pet(ctx, customer.id, name="橘子", species="cat", breed="橘猫",
                                  birthday=date(2026, 4, 1), adoption_date=date(2026, 7, 1))
    draft = await contracts.create_draft(ctx, customer_id=customer.id, pet_id=pet.id, plan_id=plan.id,
                                         plan_version=plan.version, debit_day=10, channel="store",
                                         started_by="front desk")
    await contracts.mark_pending_signature(ctx, draft.id)
    return await contracts.activate(ctx, draft.id, evidence=contracts.EvidenceInput(
        ip="203.0.113.8", user_agent="Mozilla/5.0 (iPad)", identity_reference="idv_321", esign_reference="esign_654",
        payment_agreement_reference=f"agr-{draft.id.hex[:12]}",
        consents={"contract_terms": True, "debit_authorisation": True}))


@dataclass
class BillingWorld:
    attempt: Any
    reminder: Any
    retry_hours: list[int]


@_cached("billing")
async def billing_world(store: Any) -> BillingWorld:
    """The contract's debits and pre-debit reminders, planned when it was signed (debit_attempt,
    debit_reminder); the first installment charged by staff at the sandbox (paid: points_entry);
    its reminder sent; the store's retry schedule (billing_settings)."""
    from pawpay.tenants.billing import services as billing

    ctx = store_ctx(store)
    first = (await contracts_world(store)).installments[0]
    await daytime_world(store)
    assert await billing.installment_debits(ctx, first.id), "signing planned no debit"
    attempt = await billing.process_attempt(ctx, billing.attempt_id_for(first.id, 1), staff=True)
    assert attempt is not None
    assert attempt.status == "succeeded", attempt
    reminders = await billing.installment_reminders(ctx, first.id)
    assert reminders
    reminder = await billing.process_reminder(ctx, reminders[0].id, force=True)
    retry_hours = await billing.set_retry_schedule(ctx, [24, 72], reason="isolation fixture")
    return BillingWorld(attempt, reminder, retry_hours)


@dataclass
class DunningWorld:
    contract: Any
    case: Any
    call: Any
    pause: Any
    ending: Any


@_cached("dunning")
async def dunning_world(store: Any) -> DunningWorld:
    """A second contract whose first debit the sandbox declines (amounts ending in 01): billing opens
    the dunning case, the ladder runs its first step (step run, contact), a call with a promise to pay
    (contact, follow-up task, action), a forbidden phrase and a template of the store's own, an
    illness pause and a termination started (pause, ending)."""
    from pawpay.tenants.billing import services as billing
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.dunning import endings
    from pawpay.tenants.dunning import services as dunning

    ctx = store_ctx(store)
    await daytime_world(store)
    contract = await _signed_contract(store, monthly_amount_fen=29_801)
    first = (await contracts.installments(ctx, contract.id))[0]
    declined = await billing.process_attempt(ctx, billing.attempt_id_for(first.id, 1), staff=True)
    assert declined is not None
    case = await dunning.get_case(ctx, first.id)
    assert case is not None, declined
    await dunning.run_case(ctx, case.id)
    call = await dunning.record_call(ctx, first.id, note="客户说下周一还款", outcome="promised",
                                     promised_on=first.due_on + timedelta(days=7))
    await dunning.add_forbidden_phrase(ctx, "上门催收")
    templates = await dunning.list_templates(ctx)
    await dunning.save_template(ctx, templates[0].code, templates[0].body)
    pause = await endings.pause_for_illness(ctx, contract.id, periods=1, reason="猫咪生病住院",
                                            agreement="客户与店长电话约定暂停一期")
    ending = await endings.start_termination(ctx, contract.id, reason="客户搬家，申请解约")
    return DunningWorld(contract, await dunning.get_case(ctx, first.id), call, pause, ending)


@_cached("dunning_penalty")
async def dunning_penalty_world(store: Any) -> Any:
    """A third contract terminated early after the signed termination agreement: its penalty is charged
    (dunning_penalty)."""
    from pawpay.platform.providers.services import provider_for
    from pawpay.tenants.dunning import endings, penalty

    ctx = store_ctx(store)
    await daytime_world(store)
    contract = await _signed_contract(store, monthly_amount_fen=29_800)
    ending = await endings.start_termination(ctx, contract.id, reason="客户搬家，申请解约")
    await endings.decline_retention(ctx, ending.id)
    signing = await endings.start_termination_signing(ctx, ending.id)
    identity, ipctx = await provider_for(ctx, "identity")
    identity.complete_sign_flow(ipctx, signing.sign_url.rstrip("/").rsplit("/", 1)[-1])
    await endings.complete_termination(ctx, ending.id)
    found = await penalty.penalty_for_ending(ctx, ending.id)
    assert found is not None
    return found


@dataclass
class AftersalesWorld:
    contract: Any
    ticket: Any
    coupon: Any


@_cached("aftersales")
async def aftersales_world(store: Any) -> AftersalesWorld:
    """A pet-health ticket opened on a contract of its own, with a photo (stored through storage), a
    partner-clinic coupon sent and a pause proposed (ticket, events, photo, coupon)."""
    import io

    from PIL import Image

    from pawpay.platform.jobs.services import tenant_now
    from pawpay.tenants.aftersales import services as aftersales

    ctx = store_ctx(store)
    await contracts_world(store)  # the store set up to sign (merchant, payments provider)
    await daytime_world(store)
    contract = await _signed_contract(store, monthly_amount_fen=29_803)
    image = io.BytesIO()
    Image.new("RGB", (16, 16), "orange").save(image, format="JPEG")
    ticket = await aftersales.open_ticket(ctx, kind="pet_health", contract_id=contract.id, description="猫咪腹泻",
                                          photos=[aftersales.PhotoUpload(image.getvalue(), "cat.jpg")])
    coupon = await aftersales.attach_coupon(ctx, ticket.id, clinic="瑞派宠物医院", discount_kind="percent",
                                            discount_value=20, code=f"RP-{ticket.ticket_no}",
                                            expires_on=(await tenant_now(ctx)).date() + timedelta(days=30))
    await aftersales.propose_pause(ctx, ticket.id, periods=1, reason="宠物生病")
    return AftersalesWorld(contract, await aftersales.get_ticket(ctx, ticket.id), coupon)


@dataclass
class FulfilmentWorld:
    contract: Any
    shipment: Any
    reship: Any


@_cached("fulfilment")
async def fulfilment_world(store: Any) -> FulfilmentWorld:
    """A contract of its own whose first period is paid: released for shipping, accepted by the sandbox
    warehouse (shipment, its first tracking event), and a reship of it for a damaged box."""
    from pawpay.platform.hooks import InstallmentPaid
    from pawpay.platform.jobs.services import tenant_now
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.customers import services as customers
    from pawpay.tenants.fulfilment import services as fulfilment

    ctx = store_ctx(store)
    await daytime_world(store)
    for _ in range(5):  # a customer whose phone scripts no warehouse failure (sandbox: endings 91-98)
        contract = await _signed_contract(store, monthly_amount_fen=29_804)
        if not 91 <= int((await customers.contact(ctx, contract.customer_id)).phone[-2:]) <= 98:
            break
    first = (await contracts.installments(ctx, contract.id))[0]
    released = await fulfilment.release_period(ctx, InstallmentPaid(
        installment_id=str(first.id), contract_id=str(contract.id), contract_no=contract.contract_no,
        sequence=first.sequence, amount_fen=first.amount_fen, paid_at=await tenant_now(ctx),
        attempt_id=f"dbt-{first.id.hex[:20]}"))
    status = await fulfilment.submit_shipment(ctx, released.id)
    assert status == "accepted", await fulfilment.get_shipment(ctx, released.id)
    reship = await fulfilment.reship(ctx, released.id, reason="外箱破损", ticket_id=uuid.uuid4(), postage_fen=1_000)
    return FulfilmentWorld(contract, await fulfilment.get_shipment(ctx, released.id), reship)


@dataclass
class StagesWorld:
    override: Any
    switch: Any


@_cached("stages")
async def stages_world(store: Any) -> StagesWorld:
    """A contract of its own on a kitten plan whose next stage is a junior plan, for a pet already
    junior: its first period is a stage switch, noted (plan_stage_switch, the customer told); and a
    store override for the customers world's pet (pet_plan_override)."""
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.customers import services as customers
    from pawpay.tenants.plans import services as plans
    from pawpay.tenants.plans import stages

    ctx = store_ctx(store)
    sku = (await catalog_world(store)).sku
    await plans_world(store)  # the store's stage boundaries (junior from 4 months)

    def plan_input(stage: str, next_stage: Any = None) -> Any:
        return plans.PlanInput(name=f"阶段套餐 {stage}", species="cat", stage=stage, periods=12,
                               monthly_amount_fen=29_806, contents=[plans.ContentInput("sku", sku.id)],
                               debit_days=(5, 10, 15), next_stage_plan_id=next_stage)

    junior = await plans.create_plan(ctx, plan_input("junior"), confirm_amount_warning=True)
    kitten = await plans.create_plan(ctx, plan_input("kitten", junior.id), confirm_amount_warning=True)
    customer = await customers.upsert_customer(ctx, name="王五", phone=a_phone(), id_number=resident_id(),
                                               region="上海市", address="静安区3号", wechat_openid="")
    pet = await customers.add_pet(ctx, customer.id, name="年糕", species="cat", birthday=date(2026, 4, 1))
    draft = await contracts.create_draft(ctx, customer_id=customer.id, pet_id=pet.id, plan_id=kitten.id,
                                         plan_version=kitten.version, debit_day=10, channel="store",
                                         started_by="front desk")
    await contracts.mark_pending_signature(ctx, draft.id)
    contract = await contracts.activate(ctx, draft.id, evidence=contracts.EvidenceInput(
        ip="203.0.113.9", user_agent="Mozilla/5.0 (iPad)", identity_reference="idv_987", esign_reference="esign_987",
        payment_agreement_reference=f"agr-{draft.id.hex[:12]}",
        consents={"contract_terms": True, "debit_authorisation": True}))
    first = (await contracts.installments(ctx, contract.id))[0]
    contents = await stages.period_contents(ctx, contract_id=contract.id, sequence=1, ship_on=first.due_on)
    assert contents.switched_from_stage == "kitten"
    assert await stages.note_stage_switch(ctx, contract_id=contract.id, sequence=1, contents=contents)
    override = await stages.set_override(ctx, (await customers_world(store)).pet.id,
                                         plan_id=(await plans_world(store)).plan.id, reason="肠胃敏感")
    return StagesWorld(override, (await stages.list_switches(ctx, contract_id=contract.id))[0])


@dataclass
class VisitsWorld:
    visits: list[Any]


@_cached("visits")
async def visits_world(store: Any) -> VisitsWorld:
    """The contracts world's follow-up visits (planned when it was signed), the day-7 one completed."""
    from pawpay.tenants.visits import services as visits

    ctx = store_ctx(store)
    planned = await visits.schedule_visits(ctx, (await contracts_world(store)).contract.id)
    assert [v.day for v in planned] == [7, 30]
    done = await visits.complete_visit(ctx, planned[0].id, settled="yes", satisfaction=5,
                                       feeding_questions="换粮要过渡几天？")
    return VisitsWorld([done, planned[1]])


# Every tenant table a world fills, and the world that fills it.
TABLE_WORLDS: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "merchant_terms": merchants_world,
    "merchant_profile": merchants_world,
    "merchant_reminder": merchants_world,
    "tenant_provider": providers_world,
    "catalog_sku": catalog_world,
    "catalog_service": catalog_world,
    "plan": plans_world,
    "plan_version": plans_world,
    "plan_settings": plans_world,
    "customer": customers_world,
    "pet": customers_world,
    "customer_message": customers_world,
    "contract": contracts_world,
    "installment": contracts_world,
    "contract_evidence": contracts_world,
    "signing_otp": signing_world,
    "signing_session": signing_world,
    "signing": signing_world,
    "risk_decision": signing_world,
    "settlement_item": settlement_world,
    "settlement_refund": settlement_world,
    "settlement_batch": settlement_world,
    "settlement_line": settlement_world,
    "settlement_schedule": settlement_world,
    "deposit_account": deposits_world,
    "deposit_event": deposits_world,
    "advance": advances_world,
    "recon_run": reconciliation_world,
    "recon_difference": reconciliation_world,
    "debit_attempt": billing_world,
    "debit_reminder": billing_world,
    "points_entry": billing_world,
    "billing_settings": billing_world,
    "dunning_ladder_step": dunning_world,
    "dunning_template": dunning_world,
    "dunning_forbidden_phrase": dunning_world,
    "dunning_case": dunning_world,
    "dunning_step_run": dunning_world,
    "dunning_contact": dunning_world,
    "dunning_task": dunning_world,
    "dunning_action": dunning_world,
    "dunning_pause": dunning_world,
    "dunning_ending": dunning_world,
    "dunning_penalty": dunning_penalty_world,
    "aftersales_ticket": aftersales_world,
    "aftersales_ticket_event": aftersales_world,
    "aftersales_ticket_photo": aftersales_world,
    "aftersales_clinic_coupon": aftersales_world,
    "fulfilment_shipment": fulfilment_world,
    "fulfilment_tracking_event": fulfilment_world,
    "pet_plan_override": stages_world,
    "plan_stage_switch": stages_world,
    "visit": visits_world,
}
