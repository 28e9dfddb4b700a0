"""The early-termination penalty: charged after the termination agreement is signed, before the debit
mandate ends at the provider (issue 7 item 5).

**Assessment.** When the signed termination completes (:func:`pawpay.tenants.dunning.endings.complete_termination`)
the penalty is owed: in the same transaction the contract is terminated (debits stop), a ``dunning_penalty``
row is written (due now) and the ledger books it (``penalty-assessed:<ending>``:
``customer_receivable:<contract_no>:penalty`` + amount, ``penalty_income`` - amount).

**Charging** (:func:`process_penalty`, actor ``charge_termination_penalty``, due work ``dunning.penalty`` on
``charge_at``): like a debit. The row is marked ``submitted`` and committed before the store's payments
provider is called with ``attempt_id`` = ``pen-<ending>`` (the idempotency key), funds held and the platform
fee (the contract's pinned merchant terms) split off. Only inside the rail's hours and outside 22:00-08:00
store time. ``UNKNOWN``/``PENDING``, or a crash after submitting, leaves the row ``submitted``/``unknown``:
the next run **queries** the provider with the same id before anything else (a charge the provider never
received is charged again with the same id).

* ``SUCCEEDED`` → ``settlement.record_collection`` (attempt ``pen-<ending>``, contract ref
  ``<contract_no>:penalty``: funds held, fee, the penalty receivable credited; released on T+N by the
  store's settlement batch like a debit) and a receipt message.
* ``FAILED`` → the penalty stays owed (the receivable keeps it) and a ``penalty_owed`` staff task goes to a
  manager; the termination still completes. A manager then settles it by hand (:func:`settle_owed`):
  ``paid_to_store`` (the customer paid the store directly: ``collected_by_store`` + amount, the receivable
  credited) or ``waived`` (the income taken back, the receivable credited), with a note; the task is done.

Either way the mandate is then terminated at the provider and the ending records the outcome. These
finishing steps are due work too (``charge_at`` stays set until they are done), so a crash resumes them.
Webhooks (``charge.*`` with a ``pen-`` reference) settle a late success once, or make the row due for a
query.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.hooks import ChargeRequest, ProviderError, ProviderResult, ProviderStatus, WebhookEvent
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.money import yuan
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.dunning import rules
from pawpay.tenants.dunning.errors import PenaltyNotOwed
from pawpay.tenants.dunning.tables import DunningEnding, DunningPenalty

log = logging.getLogger(__name__)

PENALTY_PREFIX = "pen-"
PENALTY_INCOME = "penalty_income"
UNKNOWN_RECHECK = timedelta(minutes=2)
NOT_SUBMITTED_RETRY = timedelta(minutes=1)
IN_FLIGHT = ("submitted", "unknown")
# Settled by hand (a declined, owed penalty): see settle_owed.
SETTLED_BY_HAND = ("waived", "paid_to_store")
FINAL = ("succeeded", "failed", *SETTLED_BY_HAND)
COLLECTED_BY_STORE = "collected_by_store"
MAX_NOTE = 500
AWAITING_PENALTY = "awaiting_penalty"
RECEIPT_SMS_TEMPLATE = "SMS_PENALTY_RECEIPT"
RECEIPT_MP_TEMPLATE = "penalty_receipt"


@dataclass(frozen=True, slots=True)
class PenaltyView:
    """One termination's penalty. ``attempt_id`` is the idempotency key sent to the provider."""

    id: uuid.UUID
    ending_id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    attempt_id: str
    amount_fen: int
    fee_fen: int
    status: str  # due | submitted | unknown | succeeded | failed (owed) | waived | paid_to_store
    error_code: str
    provider_reference: str
    tries: int
    task_id: uuid.UUID | None
    mandate: str
    charge_at: datetime | None
    submitted_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime

    @property
    def owed(self) -> bool:
        return self.status == "failed"


def attempt_id_for(ending_id: uuid.UUID) -> str:
    return f"{PENALTY_PREFIX}{ending_id.hex}"


def receivable_ref(contract_no: str) -> str:
    """The contract reference of the penalty's receivable and settlement item (kept apart from the
    installments' ``customer_receivable:<contract_no>``)."""
    return f"{contract_no}:penalty"


def _view(row: dict[str, Any]) -> PenaltyView:
    return PenaltyView(**{k: row[k] for k in PenaltyView.__dataclass_fields__})


async def _lock(ctx: TenantContext, penalty_id: uuid.UUID) -> dict[str, Any] | None:
    rows = await DunningPenalty.raw("SELECT * FROM dunning_penalty WHERE tenant_id = {} AND id = {} FOR UPDATE",
                                    ctx.tenant_id, penalty_id)
    return dict(rows[0]) if rows else None


async def _update(ctx: TenantContext, penalty_id: uuid.UUID, **values: Any) -> None:
    values["updated_at"] = utcnow()
    await DunningPenalty.update({getattr(DunningPenalty, k): v for k, v in values.items()}).where(
        (DunningPenalty.tenant_id == ctx.tenant_id) & (DunningPenalty.id == penalty_id))


async def get_penalty(ctx: TenantContext, penalty_id: uuid.UUID) -> PenaltyView:
    async with tenant_scope(ctx):
        row = await DunningPenalty.select().where(
            (DunningPenalty.tenant_id == ctx.tenant_id) & (DunningPenalty.id == penalty_id)).first()
    if row is None:
        raise NotFound("penalty not found")
    return _view(row)


async def penalty_for_ending(ctx: TenantContext, ending_id: uuid.UUID) -> PenaltyView | None:
    async with tenant_scope(ctx):
        row = await DunningPenalty.select().where(
            (DunningPenalty.tenant_id == ctx.tenant_id) & (DunningPenalty.ending_id == ending_id)).first()
    return _view(row) if row else None


async def list_penalties(ctx: TenantContext, *, contract_id: uuid.UUID | None = None) -> list[PenaltyView]:
    async with tenant_scope(ctx):
        where: Any = DunningPenalty.tenant_id == ctx.tenant_id
        if contract_id is not None:
            where = where & (DunningPenalty.contract_id == contract_id)
        rows = await DunningPenalty.select().where(where).order_by(DunningPenalty.created_at)
    return [_view(r) for r in rows]


async def assess(ctx: TenantContext, *, ending_id: uuid.UUID, contract: Any, amount_fen: int) -> uuid.UUID:
    """The signed termination made the penalty owed: the due row and the ledger's assessment, inside the
    caller's transaction. Idempotent on the ending."""
    from pawpay.platform.ledger import services as ledger

    now = await tenant_now(ctx)
    stamp = utcnow()
    await DunningPenalty.raw(
        "INSERT INTO dunning_penalty (id, tenant_id, ending_id, contract_id, contract_no, customer_id, attempt_id, "
        "amount_fen, fee_fen, status, error_code, provider_name, provider_reference, tries, task_id, mandate, "
        "charge_at, lease_until, submitted_at, resolved_at, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, "
        "{}, {}, 0, 'due', '', '', '', 0, NULL, '', {}, NULL, NULL, NULL, {}, {}) "
        "ON CONFLICT ON CONSTRAINT dunning_penalty_uq_tenant_ending DO NOTHING",
        uuid.uuid4(), ctx.tenant_id, ending_id, contract.id, contract.contract_no, contract.customer_id,
        attempt_id_for(ending_id), amount_fen, now, stamp, stamp)
    receivable = f"customer_receivable:{receivable_ref(contract.contract_no)}"
    await ledger.ensure_accounts(ctx, [receivable, PENALTY_INCOME])
    await ledger.post_entry(ctx, idempotency_key=f"penalty-assessed:{ending_id}",
                            description=f"early-termination penalty owed ({contract.contract_no})",
                            postings=[(receivable, amount_fen), (PENALTY_INCOME, -amount_fen)], effective_at=now)
    row = await DunningPenalty.select(DunningPenalty.id).where(
        (DunningPenalty.tenant_id == ctx.tenant_id) & (DunningPenalty.ending_id == ending_id)).first()
    assert row is not None
    return uuid.UUID(str(row["id"]))


async def _payments(ctx: TenantContext) -> tuple[Any, Any, Any]:
    from pawpay.platform.providers.services import guarded_provider_for

    provider, pctx = await guarded_provider_for(ctx, "payments")
    return provider, pctx, provider.rail_limits(pctx)


def _next_chance(limits: Any, at: datetime, zone: str) -> datetime:
    """The first moment at or after ``at`` inside the rail's hours and outside the quiet hours."""
    from pawpay.tenants.billing import services as billing

    moment = at
    for _ in range(4):  # the two windows settle within a couple of hops
        moment = rules.out_of_quiet_hours(billing.next_allowed(limits, moment), zone)
        if limits.allows_time(moment) and not rules.is_quiet(moment, zone):
            return moment
    return moment


async def process_penalty(ctx: TenantContext, penalty_id: uuid.UUID, *, force: bool = False) -> PenaltyView | None:
    """Charge (or first query) a due penalty, then finish: mandate ended, receipt sent. The actor's body.
    Idempotent: a row that is not due (a duplicate message) is left alone unless ``force``."""
    from pawpay.platform.merchants import services as merchants
    from pawpay.tenants.billing import services as billing
    from pawpay.tenants.contracts import services as contracts

    async with tenant_scope(ctx):  # the decision, committed before the provider is called
        row = await _lock(ctx, penalty_id)
        if row is None or (row["charge_at"] is None and not force):
            return None
        if row["status"] in FINAL:
            action = "finish"
        else:
            provider, pctx, limits = await _payments(ctx)
            zone = (await get_own_tenant(ctx)).time_zone
            now = await tenant_now(ctx)
            if row["status"] == "due":
                chance = _next_chance(limits, now, zone)
                if chance > now:
                    await _update(ctx, penalty_id, charge_at=chance, lease_until=None)
                    return _view({**row, "charge_at": chance})
                fee = int(row["fee_fen"])
                if row["submitted_at"] is None:
                    contract = await contracts.get_contract(ctx, row["contract_id"])
                    terms = await merchants.terms_version(ctx, contract.terms_version)
                    fee = billing.fee_for(int(row["amount_fen"]), terms.fee_rate_bp)
                await _update(ctx, penalty_id, status="submitted", submitted_at=row["submitted_at"] or now,
                              fee_fen=fee, provider_name=provider.provider_name, tries=int(row["tries"]) + 1)
                row["fee_fen"] = fee
                action = "charge"
            else:
                action = "query"
            evidence = await contracts.get_evidence(ctx, row["contract_id"])
            agreement_id = (evidence.payment_agreement_reference if evidence else "") or \
                f"agr-{row['contract_id'].hex[:24]}"
            request = ChargeRequest(attempt_id=row["attempt_id"], payment_id=str(row["ending_id"]),
                                    agreement_id=agreement_id, amount_fen=int(row["amount_fen"]),
                                    description="提前解约违约金", hold_funds=True,
                                    platform_fee_fen=int(row["fee_fen"]))
    if action != "finish":
        result: ProviderResult
        try:
            if action == "query":
                result = await provider.query_charge(pctx, row["attempt_id"])
                if result.status is ProviderStatus.NOT_SUBMITTED and result.error_code == "NOT_FOUND":
                    # Never received: charging with the same id is safe (inside the rail's hours).
                    result = (await provider.charge(pctx, request) if limits.allows_time(now) else
                              ProviderResult(ProviderStatus.NOT_SUBMITTED, error_code="OUTSIDE_ALLOWED_HOURS"))
            else:
                result = await provider.charge(pctx, request)
        except ProviderError as exc:
            # The outcome is not known: ask with the same id before anything else.
            result = ProviderResult(ProviderStatus.UNKNOWN, error_code=exc.code or "PROVIDER_ERROR")
        await apply_outcome(ctx, penalty_id, result, at=now)
    return await finish(ctx, penalty_id)


async def apply_outcome(ctx: TenantContext, penalty_id: uuid.UUID, result: ProviderResult, *,
                        at: datetime) -> PenaltyView:
    """Record the provider's answer (one transaction). A penalty already final is left as it is."""
    async with tenant_scope(ctx):
        row = await _lock(ctx, penalty_id)
        if row is None:
            raise NotFound("penalty not found")
        if row["status"] in FINAL:
            return _view(row)
        if result.status is ProviderStatus.SUCCEEDED:
            await _succeeded(ctx, row, result.provider_reference or "", at)
        elif result.status is ProviderStatus.FAILED:
            await _failed(ctx, row, result.error_code or "FAILED", at)
        elif result.status is ProviderStatus.NOT_SUBMITTED:
            await _update(ctx, penalty_id, status="due", error_code=(result.error_code or "")[:64],
                          charge_at=at + NOT_SUBMITTED_RETRY, lease_until=None)
        else:  # UNKNOWN / PENDING: query with the same id later, before anything else
            await _update(ctx, penalty_id, status="unknown", error_code=(result.error_code or "")[:64],
                          provider_reference=(result.provider_reference or row["provider_reference"])[:255],
                          charge_at=at + UNKNOWN_RECHECK, lease_until=None)
        fresh = await _lock(ctx, penalty_id)
        assert fresh is not None
        return _view(fresh)


async def _succeeded(ctx: TenantContext, row: dict[str, Any], reference: str, at: datetime) -> None:
    from pawpay.platform.merchants import services as merchants
    from pawpay.platform.settlement import services as settlement
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.dunning.services import _log_action

    # Still due (now): the finishing steps (mandate, receipt) run next, or after a crash.
    await _update(ctx, row["id"], status="succeeded", error_code="", provider_reference=reference[:255],
                  resolved_at=at, charge_at=at, lease_until=None)
    contract = await contracts.get_contract(ctx, row["contract_id"])
    terms = await merchants.terms_version(ctx, contract.terms_version)
    await _log_action(ctx, "penalty_collected", installment_id=None, contract_id=row["contract_id"],
                      detail={"attempt_id": row["attempt_id"], "amount_fen": int(row["amount_fen"]),
                              "fee_fen": int(row["fee_fen"])})
    # Last: the ledger's running balances lock the store's accounts until COMMIT.
    await settlement.record_collection(
        ctx, attempt_id=row["attempt_id"], contract_ref=receivable_ref(row["contract_no"]),
        amount_fen=int(row["amount_fen"]), fee_fen=int(row["fee_fen"]), collected_at=at,
        settlement_days=terms.settlement_days, provider_name=row["provider_name"] or "unknown")


async def _failed(ctx: TenantContext, row: dict[str, Any], error_code: str, at: datetime) -> None:
    from pawpay.tenants.dunning import services as dunning

    task = await dunning.create_task(
        ctx, kind="penalty_owed", installment_id=None, contract_id=row["contract_id"], due_at=at,
        assignee_id=await dunning._pick_assignee(ctx, "manager"),
        note=f"提前解约违约金 {yuan(int(row['amount_fen']))} 元扣款失败（{error_code}），请联系客户另行收取。")
    await _update(ctx, row["id"], status="failed", error_code=error_code[:64], resolved_at=at, task_id=task.id,
                  charge_at=at, lease_until=None)
    await dunning._log_action(ctx, "penalty_failed", installment_id=None, contract_id=row["contract_id"],
                              detail={"attempt_id": row["attempt_id"], "amount_fen": int(row["amount_fen"]),
                                      "error_code": error_code, "task_id": str(task.id)})


async def finish(ctx: TenantContext, penalty_id: uuid.UUID) -> PenaltyView | None:
    """A final penalty (paid or owed): end the mandate at the provider, send the receipt of a paid one,
    record the outcome on the ending and stop being due. Outside the quiet hours; idempotent."""
    from pawpay.tenants.dunning.endings import _terminate_mandate
    from pawpay.tenants.dunning.services import _log_action

    async with tenant_scope(ctx):
        row = await _lock(ctx, penalty_id)
        if row is None or row["status"] not in FINAL:
            return _view(row) if row else None
        if row["charge_at"] is None:
            return _view(row)
        now = await tenant_now(ctx)
        zone = (await get_own_tenant(ctx)).time_zone
        if rules.is_quiet(now, zone):  # the receipt waits for the morning; so does the mandate's end
            later = rules.out_of_quiet_hours(now, zone)
            await _update(ctx, penalty_id, charge_at=later, lease_until=None)
            return _view({**row, "charge_at": later})
    mandate = earlier = row["mandate"]
    if mandate not in ("succeeded", "no_agreement"):
        mandate = await _terminate_mandate(ctx, row["contract_id"], "early termination")
    if row["status"] == "succeeded":
        await _send_receipt(ctx, row)
    async with tenant_scope(ctx):
        done = mandate in ("succeeded", "no_agreement")
        await _update(ctx, penalty_id, mandate=mandate[:32],
                      charge_at=None if done else now + UNKNOWN_RECHECK, lease_until=None)
        await DunningEnding.update({DunningEnding.agreement_result: mandate[:32],
                                    DunningEnding.updated_at: utcnow()}).where(
            (DunningEnding.tenant_id == ctx.tenant_id) & (DunningEnding.id == row["ending_id"]))
        if earlier and earlier != mandate:
            await _log_action(ctx, "mandate_termination_retried", installment_id=None,
                              contract_id=row["contract_id"], detail={"mandate": mandate, "before": earlier})
        fresh = await _lock(ctx, penalty_id)
    return _view(fresh) if fresh else None


async def settle_owed(ctx: TenantContext, penalty_id: uuid.UUID, *, outcome: str, note: str) -> PenaltyView:
    """Settle a declined (owed) penalty by hand, once: ``paid_to_store`` — the customer paid the store
    directly (cash, a transfer; ``note`` says how, e.g. a receipt number) — or ``waived`` (``note``
    says why). Booked in one entry (``penalty-settled:<ending>``): the penalty receivable is credited
    against ``collected_by_store`` or, waived, against ``penalty_income``. The ``penalty_owed`` task
    is done, the action logged and audited. The mandate's end is not touched (it follows the charge).

    Raises:
        ValidationFailed: an unknown ``outcome``, or no ``note`` (422).
        PenaltyNotOwed: the penalty is not declined-and-owed (still charging, paid, settled; 409).
        NotFound: no such penalty in this store.
    """
    from pawpay.platform.ledger import services as ledger
    from pawpay.tenants.dunning import services as dunning

    if outcome not in SETTLED_BY_HAND:
        raise ValidationFailed("outcome must be paid_to_store or waived", field="outcome")
    note = (note or "").strip()
    if not note or len(note) > MAX_NOTE:
        raise ValidationFailed(f"a note of 1 to {MAX_NOTE} characters is required (how it was paid, or why "
                               "it is waived)", field="note")
    async with tenant_scope(ctx):
        row = await _lock(ctx, penalty_id)
        if row is None:
            raise NotFound("penalty not found")
        if row["status"] != "failed":
            raise PenaltyNotOwed("only a declined, owed penalty can be settled by hand", current=row["status"])
        amount = int(row["amount_fen"])
        receivable = f"customer_receivable:{receivable_ref(row['contract_no'])}"
        other = COLLECTED_BY_STORE if outcome == "paid_to_store" else PENALTY_INCOME
        now = await tenant_now(ctx)
        await ledger.ensure_accounts(ctx, [receivable, other])
        await ledger.post_entry(
            ctx, idempotency_key=f"penalty-settled:{row['ending_id']}",
            description=f"early-termination penalty {outcome.replace('_', ' ')} ({row['contract_no']})",
            postings=[(other, amount), (receivable, -amount)], effective_at=now)
        await _update(ctx, penalty_id, status=outcome)
        if row["task_id"] is not None:
            task = await dunning.get_task(ctx, row["task_id"])
            if task.status == "open":
                await dunning.complete_task(ctx, task.id, note=note)
        await dunning._log_action(ctx, f"penalty_{outcome}", installment_id=None, contract_id=row["contract_id"],
                                  detail={"attempt_id": row["attempt_id"], "amount_fen": amount, "note": note})
        fresh = await _lock(ctx, penalty_id)
    assert fresh is not None
    return _view(fresh)


async def _send_receipt(ctx: TenantContext, row: dict[str, Any]) -> None:
    """The penalty's receipt (SMS + mini-program); the key makes a repeat the same message. Never raises."""
    from pawpay.tenants.customers import services as customers

    try:
        store = (await get_own_tenant(ctx)).name
        amount = yuan(int(row["amount_fen"]))
        body = (f"【{store}】合同{row['contract_no']}提前解约违约金{amount}元已扣款成功，"
                f"解约已完成，后续不再代扣。")
        await customers.send_message(
            ctx, row["customer_id"], key=f"receipt-{row['attempt_id']}", sms_template=RECEIPT_SMS_TEMPLATE,
            mp_template=RECEIPT_MP_TEMPLATE, body=body, params={"contract_no": row["contract_no"], "amount": amount},
            page=f"pages/contracts/detail?no={row['contract_no']}", contract_id=row["contract_id"])
    except Exception:
        log.exception("penalty receipt could not be sent", extra={"attempt_id": row["attempt_id"]})


async def on_charge_event(ctx: TenantContext, event: WebhookEvent) -> None:
    """A verified ``charge.*`` event for a penalty (inside the webhook processor's transaction): a success
    settles it once (the finishing steps follow as due work); a failure makes it due for a query."""
    reference = event.reference or ""
    if not reference.startswith(PENALTY_PREFIX):
        return
    async with tenant_scope(ctx):
        found = await DunningPenalty.select(DunningPenalty.id).where(
            (DunningPenalty.tenant_id == ctx.tenant_id) & (DunningPenalty.attempt_id == reference)).first()
        if found is None:
            return
        row = await _lock(ctx, found["id"])
        assert row is not None
        if event.status is ProviderStatus.SUCCEEDED:
            if row["status"] in ("due", *IN_FLIGHT):
                await _succeeded(ctx, row, event.provider_reference or "", event.occurred_at)
            elif row["status"] in ("failed", *SETTLED_BY_HAND):
                # The provider says it collected what we recorded as declined (or settled by hand):
                # the customer may have paid twice. Logged for staff (the contract's actions, audit).
                from pawpay.tenants.dunning.services import _log_action

                log.error("a success event for a penalty recorded as %s", row["status"],
                          extra={"attempt_id": reference})
                await _log_action(ctx, "penalty_late_success", installment_id=None, contract_id=row["contract_id"],
                                  detail={"attempt_id": reference, "status": row["status"],
                                          "amount_fen": int(row["amount_fen"]),
                                          "provider_reference": event.provider_reference or ""})
        elif event.status is ProviderStatus.FAILED and row["status"] in IN_FLIGHT:
            await _update(ctx, row["id"], charge_at=await tenant_now(ctx), lease_until=None)


__all__ = [
    "PENALTY_INCOME", "PENALTY_PREFIX", "PenaltyView", "apply_outcome", "assess", "attempt_id_for", "finish",
    "get_penalty", "list_penalties", "on_charge_event", "penalty_for_ending", "process_penalty", "receivable_ref",
]
