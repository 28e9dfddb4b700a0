"""Debit batches: the scheduler's claim of a store's due attempts runs as ONE actor message.

How a batch runs (:func:`run_batch`, actor ``run_debit_batch``; docs/billing.md):

1. **One transaction to submit.** The attempts are locked (id order) and checked together. The
   plain case — attempt 1 of a ``due`` installment, planned, never sent, inside the rail's hours and
   after its debit moment, not paid by another attempt — is marked ``submitted`` for all of them
   in one UPDATE and committed *before* any provider call (the id stays the idempotency key,
   :func:`~pawpay.tenants.billing.services.attempt_id_for`). Any other attempt (a retry, an
   unknown outcome to query, a paused or closed installment, too early, outside the rail's hours)
   goes through :func:`~pawpay.tenants.billing.services.process_attempt`, one by one, unchanged.
2. **The provider calls**, concurrently (the call guard keeps the store's rate limit; batches of
   one store run one at a time in a process, so one batch never starves another of tokens).
3. **One transaction to record the successes**: the attempts, the installments paid (contracts'
   batch), points, the other planned attempts cancelled, the audit entries, the ledger collections
   (settlement's batch: the store's accounts locked once, in code order) and the receipts' outbox.
   Any other answer (declined, unknown, not submitted) and any installment closed or failed
   meanwhile are recorded by :func:`~pawpay.tenants.billing.services.apply_outcome` one by one,
   each in its own transaction, after that.
4. After commit, ``pawpay_installments_paid`` once for the batch, then ``pawpay_installment_paid``
   once per installment, the listeners sharing one transaction of the store's scope, see
   :func:`~pawpay.tenants.billing.services.announce_paid`.

Receipts leave the critical path: a success sets ``receipt_due_at``; the same due work claims due
receipts with what is left of a tick once no debit is waiting, and :func:`send_receipts` sends
them (idempotent at the provider on ``receipt-<attempt id>``) and clears the outbox.

A crash anywhere leaves the rows leased: they are claimed again when the lease runs out, and a
``submitted`` attempt is then queried before anything else (exactly as for a single attempt).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pawpay.platform.audit.services import AuditRecord, record_many
from pawpay.platform.clock import utcnow
from pawpay.platform.hooks import ChargeRequest, InstallmentPaid, ProviderResult, ProviderStatus
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import after_commit, tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.billing import services
from pawpay.tenants.billing.tables import DebitAttempt

log = logging.getLogger(__name__)

# One batch of a store at a time per process (per event loop): the call guard's token bucket is
# per process, and two batches of one store would wait on each other's tokens (and on the
# store's ledger accounts, locked by whichever records first).
_store_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[uuid.UUID, asyncio.Lock]] = (
    weakref.WeakKeyDictionary())


def _store_lock(tenant_id: uuid.UUID) -> asyncio.Lock:
    locks = _store_locks.setdefault(asyncio.get_running_loop(), {})
    lock = locks.get(tenant_id)
    if lock is None:
        lock = locks[tenant_id] = asyncio.Lock()
    return lock


@dataclass(slots=True)
class _Submitted:
    row: dict[str, Any]
    inst: Any
    contract: Any
    request: ChargeRequest
    settlement_days: int


class _ChangedMeanwhile(Exception):
    """An installment of the batch changed between the checks and the payment: record one by one."""


async def run_batch(ctx: TenantContext, attempt_ids: Sequence[str], receipt_ids: Sequence[str] = ()) -> None:
    """The body of the ``run_debit_batch`` actor: debit the store's due attempts, then send the
    due receipts it was given."""
    if attempt_ids:
        async with _store_lock(ctx.tenant_id):
            await debit_batch(ctx, attempt_ids)
    if receipt_ids:
        await send_receipts(ctx, receipt_ids)


async def debit_batch(ctx: TenantContext, attempt_ids: Sequence[str]) -> None:
    """Run due attempts of one store together (see the module's docstring); idempotent like
    :func:`~pawpay.tenants.billing.services.process_attempt` (an attempt no longer due is left alone)."""
    submitted, one_by_one, provider, pctx, limits, now = await _submit(ctx, attempt_ids)
    if submitted:
        await _charge_and_record(ctx, submitted, provider, pctx, limits, now)
    # After the plain ones (submitted, so charged first: a slow query here cannot hold them up).
    for attempt_id in one_by_one:
        try:
            await services.process_attempt(ctx, attempt_id)
        except Exception:  # its lease runs out and it is claimed again; the others go on
            log.exception("debit attempt failed", extra={"attempt_id": attempt_id})


async def _charge_and_record(ctx: TenantContext, submitted: list[_Submitted], provider: Any, pctx: Any,
                             limits: Any, now: datetime) -> None:
    answers = await asyncio.gather(*(provider.charge(pctx, s.request) for s in submitted), return_exceptions=True)
    results: dict[str, ProviderResult] = {}
    for s, answer in zip(submitted, answers, strict=True):
        if isinstance(answer, BaseException):  # the guard answers UNKNOWN rather than raise; never guess
            log.error("a guarded charge raised", extra={"attempt_id": s.row["id"], "error": type(answer).__name__})
            results[s.row["id"]] = ProviderResult(ProviderStatus.UNKNOWN, error_code="CALL_FAILED")
        else:
            results[s.row["id"]] = answer
    try:
        rest = await _record(ctx, submitted, results, now)
    except _ChangedMeanwhile:  # rolled back: every answer is recorded on its own, with all its checks
        rest = [s.row["id"] for s in submitted]
    for attempt_id in rest:
        try:
            await services.apply_outcome(ctx, attempt_id, results[attempt_id], at=now, limits=limits)
        except Exception:
            log.exception("debit outcome could not be recorded", extra={"attempt_id": attempt_id})


async def _submit(
    ctx: TenantContext, attempt_ids: Sequence[str]
) -> tuple[list[_Submitted], list[str], Any, Any, Any, datetime]:
    """Transaction 1: lock, sort the plain attempts from the others, mark the plain ones submitted."""
    from pawpay.platform.merchants import services as merchants
    from pawpay.tenants.contracts import services as contracts

    async with tenant_scope(ctx):
        provider, pctx, limits = await services._payments(ctx)
        zone = await services._time_zone(ctx)
        now = await tenant_now(ctx)
        rows = await DebitAttempt.raw(
            "SELECT * FROM debit_attempt WHERE tenant_id = {} AND id = ANY({}) ORDER BY id FOR UPDATE",
            ctx.tenant_id, sorted(set(attempt_ids)))
        rows = [r for r in rows if r["next_attempt_at"] is not None]  # not due any more: a duplicate
        insts = await contracts.get_installments(ctx, [r["installment_id"] for r in rows])
        collected = {r["installment_id"] for r in await DebitAttempt.raw(
            "SELECT installment_id FROM debit_attempt WHERE tenant_id = {} AND installment_id = ANY({}) "
            "AND status = 'succeeded'", ctx.tenant_id, [r["installment_id"] for r in rows])}
        plain: list[tuple[dict[str, Any], Any]] = []
        one_by_one: list[str] = []
        allowed_now = limits.allows_time(now)
        for r in rows:
            inst = insts.get(r["installment_id"])
            # Attempt 1 of a due installment has never failed, so dunning has no case (no staff pause)
            # for it; everything else takes the single-attempt path with all its checks.
            if (r["status"] != "planned" or r["submitted_at"] is not None or int(r["attempt_no"]) != 1
                    or inst is None or inst.status != "due" or r["installment_id"] in collected or not allowed_now
                    or now < services.debit_moment(inst.due_on, zone, limits)):
                one_by_one.append(r["id"])
            else:
                plain.append((r, inst))
        if not plain:
            return [], one_by_one, provider, pctx, limits, now
        by_contract = await contracts.get_contracts(ctx, [r["contract_id"] for r, _i in plain])
        agreements = await contracts.payment_agreements(ctx, list(by_contract))
        terms: dict[int, Any] = {}
        submitted: list[_Submitted] = []
        for r, inst in plain:
            contract = by_contract[r["contract_id"]]
            if contract.terms_version not in terms:
                terms[contract.terms_version] = await merchants.terms_version(ctx, contract.terms_version)
            # Never sent yet: charge what the installment owes now (a prepayment may have reduced it).
            amount = int(inst.amount_fen)
            fee = services.fee_for(amount, terms[contract.terms_version].fee_rate_bp)
            r.update(amount_fen=amount, fee_fen=fee, submitted_at=now, provider_name=provider.provider_name,
                     status="submitted")
            request = ChargeRequest(
                attempt_id=r["id"], payment_id=str(r["installment_id"]),
                agreement_id=agreements.get(contract.id) or f"agr-{contract.id.hex[:24]}", amount_fen=amount,
                description=f"月付第{inst.sequence}期", hold_funds=True, platform_fee_fen=fee)
            submitted.append(_Submitted(r, inst, contract, request, terms[contract.terms_version].settlement_days))
        await DebitAttempt.raw(
            "UPDATE debit_attempt AS a SET status = 'submitted', submitted_at = {}, provider_name = {}, "
            "fee_fen = u.fee_fen, amount_fen = u.amount_fen, updated_at = {} "
            "FROM unnest({}::text[], {}::bigint[], {}::bigint[]) AS u(id, fee_fen, amount_fen) "
            "WHERE a.tenant_id = {} AND a.id = u.id",
            now, provider.provider_name, utcnow(), [s.row["id"] for s in submitted],
            [s.row["fee_fen"] for s in submitted], [s.row["amount_fen"] for s in submitted], ctx.tenant_id)
    return submitted, one_by_one, provider, pctx, limits, now


async def _record(
    ctx: TenantContext, submitted: list[_Submitted], results: dict[str, ProviderResult], now: datetime
) -> list[str]:
    """Transaction 2: record the successes of due installments together; returns the attempts to
    record one by one (other answers, installments that changed meanwhile)."""
    from pawpay.platform.settlement import services as settlement
    from pawpay.tenants.contracts import services as contracts

    by_id = {s.row["id"]: s for s in submitted}
    rest: list[str] = []
    events: list[InstallmentPaid] = []
    async with tenant_scope(ctx):
        rows = await DebitAttempt.raw(
            "SELECT * FROM debit_attempt WHERE tenant_id = {} AND id = ANY({}) ORDER BY id FOR UPDATE",
            ctx.tenant_id, sorted(by_id))
        fresh = await contracts.get_installments(ctx, [r["installment_id"] for r in rows])
        settle: list[tuple[dict[str, Any], _Submitted, str]] = []
        for row in rows:
            if row["status"] in ("succeeded", "failed", "cancelled"):
                continue  # settled meanwhile (a webhook): nothing to do
            result = results[row["id"]]
            inst = fresh.get(row["installment_id"])
            if result.status is ProviderStatus.SUCCEEDED and inst is not None and inst.status == "due":
                settle.append((row, by_id[row["id"]], result.provider_reference or ""))
            else:
                rest.append(row["id"])
        if not settle:
            return rest
        ids = [row["id"] for row, _s, _ref in settle]
        await DebitAttempt.raw(
            "UPDATE debit_attempt AS a SET status = 'succeeded', provider_reference = u.reference, error_code = '', "
            "resolved_at = {}, next_attempt_at = NULL, lease_until = NULL, receipt_due_at = {}, updated_at = {} "
            "FROM unnest({}::text[], {}::text[]) AS u(id, reference) WHERE a.tenant_id = {} AND a.id = u.id",
            now, now, utcnow(), ids, [ref[:255] for _r, _s, ref in settle], ctx.tenant_id)
        paid = await contracts.mark_installments_paid(
            ctx, [(row["installment_id"], now, f"debit {row['id']}") for row, _s, _ref in settle])
        if len(paid) != len(settle):
            raise _ChangedMeanwhile
        await DebitAttempt.raw(
            "INSERT INTO points_entry (id, tenant_id, customer_id, contract_id, source, points, reason, created_at) "
            "SELECT gen_random_uuid(), {}, u.customer_id, u.contract_id, u.source, u.points, u.reason, {} "
            "FROM unnest({}::uuid[], {}::uuid[], {}::text[], {}::int[], {}::text[]) "
            "AS u(customer_id, contract_id, source, points, reason) WHERE u.points > 0 ON CONFLICT DO NOTHING",
            ctx.tenant_id, utcnow(), [s.contract.customer_id for _r, s, _ref in settle],
            [s.contract.id for _r, s, _ref in settle], [f"debit:{row['id']}" for row, _s, _ref in settle],
            [services.points_for(int(row["amount_fen"])) for row, _s, _ref in settle],
            [f"{s.contract.contract_no} 第{s.inst.sequence}期" for _r, s, _ref in settle])
        # Any other planned attempt of these installments is moot now.
        await DebitAttempt.raw(
            "UPDATE debit_attempt SET status = 'cancelled', error_code = 'ALREADY_PAID', next_attempt_at = NULL, "
            "lease_until = NULL, updated_at = {} WHERE tenant_id = {} AND installment_id = ANY({}) "
            "AND status = 'planned'", utcnow(), ctx.tenant_id, [row["installment_id"] for row, _s, _ref in settle])
        audits = []
        collections = []
        for row, s, _ref in settle:
            amount, fee = int(row["amount_fen"]), int(row["fee_fen"])
            audits.append(AuditRecord(
                "billing.debit_succeeded", target_type="installment", target_id=str(row["installment_id"]),
                after={"attempt_id": row["id"], "amount_fen": amount, "fee_fen": fee,
                       "points": services.points_for(amount), "contract_no": s.contract.contract_no,
                       "sequence": s.inst.sequence}))
            collections.append(settlement.CollectionInput(
                attempt_id=row["id"], contract_ref=s.contract.contract_no, amount_fen=amount, fee_fen=fee,
                collected_at=now, settlement_days=s.settlement_days,
                provider_name=row["provider_name"] or "unknown"))
            events.append(InstallmentPaid(
                installment_id=str(row["installment_id"]), contract_id=str(s.contract.id),
                contract_no=s.contract.contract_no, sequence=s.inst.sequence, amount_fen=amount, paid_at=now,
                attempt_id=row["id"]))
        await record_many(ctx, audits)
        # Last in the transaction: the ledger's running balances lock the store's accounts until COMMIT.
        await settlement.record_collections(ctx, collections)

        async def announce() -> None:
            await services.announce_paid(ctx, events)

        after_commit(announce)
    return rest


async def send_receipts(ctx: TenantContext, attempt_ids: Sequence[str]) -> None:
    """Send the due receipts of these succeeded attempts (the outbox), then clear them. Idempotent:
    the key ``receipt-<attempt id>`` makes a resend a no-op at the provider."""
    from pawpay.tenants.contracts import services as contracts

    zone = await services._time_zone(ctx)
    now = await tenant_now(ctx)
    if await services._quiet(ctx, now, zone):
        # Deferred receipts never reach a customer in quiet hours: due again at 08:00 store time.
        async with tenant_scope(ctx):
            await DebitAttempt.raw(
                "UPDATE debit_attempt SET receipt_due_at = {}, receipt_lease_until = NULL WHERE tenant_id = {} "
                "AND id = ANY({}) AND receipt_due_at IS NOT NULL", services.after_quiet(now, zone), ctx.tenant_id,
                sorted(set(attempt_ids)))
        return
    async with tenant_scope(ctx):
        rows = await DebitAttempt.raw(
            "SELECT id, installment_id, contract_id, amount_fen, resolved_at FROM debit_attempt "
            "WHERE tenant_id = {} AND id = ANY({}) AND receipt_due_at IS NOT NULL AND status = 'succeeded' "
            "ORDER BY id", ctx.tenant_id, sorted(set(attempt_ids)))
    if rows:
        by_contract = await contracts.get_contracts(ctx, [r["contract_id"] for r in rows])
        insts = await contracts.get_installments(ctx, [r["installment_id"] for r in rows])
        store_name = (await get_own_tenant(ctx)).name
        for r in rows:
            contract, inst = by_contract[r["contract_id"]], insts[r["installment_id"]]
            paid = InstallmentPaid(installment_id=str(inst.id), contract_id=str(contract.id),
                                   contract_no=contract.contract_no, sequence=inst.sequence,
                                   amount_fen=int(r["amount_fen"]), paid_at=r["resolved_at"], attempt_id=r["id"])
            await services.send_receipt(ctx, contract, paid, services.points_for(int(r["amount_fen"])), store_name)
    async with tenant_scope(ctx):
        # Cleared for every id given (sent, or not a receipt any more): the message is done with them.
        await DebitAttempt.raw(
            "UPDATE debit_attempt SET receipt_due_at = NULL, receipt_lease_until = NULL WHERE tenant_id = {} "
            "AND id = ANY({})", ctx.tenant_id, sorted(set(attempt_ids)))
