"""Contracts: draft → pending signature → active → completed | terminated | cancelled (cooling-off),
the installment schedule, the signing evidence, the contract PDF and the signing messages.

The signing flow (``/sign``) drives a contract through this API::

    from pawpay.tenants.contracts import services as contracts

    draft = await contracts.create_draft(ctx, customer_id=c.id, pet_id=p.id, plan_id=plan.id,
                                         plan_version=plan.version, debit_day=10, channel="h5",
                                         started_by="customer")
    pdf = await contracts.render_pdf(ctx, draft.id)          # shown to the customer
    await contracts.mark_pending_signature(ctx, draft.id)     # hashes the documents shown
    active = await contracts.activate(ctx, draft.id, evidence=contracts.EvidenceInput(...))
    for i in await contracts.installments(ctx, active.id): ...

Activation is idempotent (a double submit returns the same active contract; the schedule is
unique per contract and sequence), refused while the store may not sign
(``merchants.new_signings_allowed``), posts the contracted amount to the ledger
(``customer_receivable:<contract_no>`` / ``contract_sales``) and, after commit, broadcasts
``pawpay_contract_signed`` and sends the signing messages (SMS + mini-program) — a failed message
is logged and stored, it never undoes the signing. See :mod:`.rules` for the first-due rule.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.db.jsonb import from_jsonb
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.events import services as events
from pawpay.platform.hooks import ContractSigned
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.ledger import services as ledger
from pawpay.platform.merchants import services as merchants
from pawpay.platform.storage import services as storage
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import after_commit, tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.contracts import pdf as contract_pdf
from pawpay.tenants.contracts import rules
from pawpay.tenants.contracts.errors import (
    ContractErrorCode,
    InvalidTransition,
    PetHasOpenContract,
    SigningsSuspended,
    code,
)
from pawpay.tenants.contracts.rules import InstallmentStatus, State
from pawpay.tenants.contracts.tables import Contract, ContractEvidence, Installment
from pawpay.tenants.customers import services as customers

log = logging.getLogger(__name__)

SMS_TEMPLATE = "SMS_CONTRACT_SIGNED"
MINI_PROGRAM_TEMPLATE = "contract_signed"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
DOCUMENT_KINDS = ("adoption_agreement", "debit_authorisation", "contract_pdf")


@dataclass(frozen=True, slots=True)
class ContractView:
    id: uuid.UUID
    contract_no: str
    customer_id: uuid.UUID
    pet_id: uuid.UUID
    plan_id: uuid.UUID
    plan_version: int
    plan_name: str
    terms_version: int
    debit_day: int
    periods: int
    monthly_amount_fen: int
    total_fen: int
    penalty_rate_bp: int
    cooling_off_days: int
    contents: dict[str, Any]
    gift_text: str
    state: str
    channel: str
    started_by: str
    documents: list[dict[str, str]]
    pdf_key: str
    signed_at: datetime | None
    start_date: date | None
    first_due_on: date | None
    end_on: date | None
    ended_at: datetime | None
    end_reason: str
    created_at: datetime
    updated_at: datetime

    @property
    def cooling_off_ends_on(self) -> date | None:
        return rules.cooling_off_ends_on(self.start_date, self.cooling_off_days) if self.start_date else None


@dataclass(frozen=True, slots=True)
class InstallmentView:
    id: uuid.UUID
    contract_id: uuid.UUID
    sequence: int
    due_on: date
    amount_fen: int
    status: str
    paid_at: datetime | None


@dataclass(frozen=True, slots=True)
class EvidenceInput:
    """What the signing flow recorded when the customer signed.

    ``identity_reference`` (real-name check) and ``esign_reference`` (the e-sign flow) are required;
    ``consents`` maps consent names (e.g. ``"contract_terms"``, ``"debit_authorisation"``,
    ``"face_data"``) to whether the customer gave them; ``contract_terms`` must be true.
    ``documents`` adds hashes of documents other than the contract PDF (``kind``, ``sha256``).
    """

    ip: str
    user_agent: str
    identity_reference: str
    esign_reference: str
    face_check_reference: str = ""
    payment_agreement_reference: str = ""
    device: str = ""
    consents: Mapping[str, bool] = field(default_factory=dict)
    documents: Sequence[tuple[str, str]] = ()
    signed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EvidenceView:
    contract_id: uuid.UUID
    documents: list[dict[str, str]]
    pdf_sha256: str
    signed_at: datetime
    ip: str
    user_agent: str
    device: str
    identity_reference: str
    esign_reference: str
    face_check_reference: str
    payment_agreement_reference: str
    consents: dict[str, bool]
    retention_until: date
    created_at: datetime


_COLUMNS = tuple(getattr(Contract, name) for name in ContractView.__dataclass_fields__)


def _view(row: dict[str, Any]) -> ContractView:
    data = dict(row)
    data["contents"] = from_jsonb(data["contents"]) or {}
    data["documents"] = from_jsonb(data["documents"]) or []
    return ContractView(**data)


async def _row(ctx: TenantContext, contract_id: uuid.UUID, *, lock: bool = False) -> ContractView:
    if lock:
        rows = await Contract.raw("SELECT id FROM contract WHERE tenant_id = {} AND id = {} FOR UPDATE",
                                  ctx.tenant_id, contract_id)
        if not rows:
            raise NotFound("contract not found")
    row = await Contract.select(*_COLUMNS).where(
        (Contract.tenant_id == ctx.tenant_id) & (Contract.id == contract_id)).first()
    if row is None:
        raise NotFound("contract not found")  # the same answer for another store's contract
    return _view(row)


async def _store_today(ctx: TenantContext) -> tuple[date, datetime]:
    tenant = await get_own_tenant(ctx)
    now = await tenant_now(ctx)
    return rules.local_date(now, tenant.time_zone), now


def _contents_snapshot(plan: Any) -> dict[str, Any]:
    def line(x: Any) -> dict[str, Any]:
        return {"name": x.name, "quantity": x.quantity, "unit": x.unit, "kind": x.kind, "item_type": x.item_type}

    overrides = getattr(plan, "period_overrides", {}) or {}
    return {"each_period": [line(x) for x in plan.contents],
            "overrides": {str(k): [line(x) for x in v] for k, v in overrides.items()}}


def contents_text(contents: Mapping[str, Any]) -> str:
    """``猫粮 ×1袋；驱虫 ×1次``: what each period contains, for the PDF and the messages."""
    parts = [f"{x.get('name', '')} ×{x.get('quantity', 1)}{x.get('unit', '')}" for x in contents.get("each_period", [])]
    return "；".join(parts)


def _new_contract_no(today: date) -> str:
    return f"PP{today:%Y%m%d}{secrets.token_hex(3).upper()}"


async def create_draft(
    ctx: TenantContext,
    *,
    customer_id: uuid.UUID,
    pet_id: uuid.UUID,
    plan_id: uuid.UUID,
    plan_version: int,
    debit_day: int,
    channel: str,
    started_by: str,
) -> ContractView:
    """A draft contract pinning the plan version and the store's current merchant terms.

    Raises:
        NotFound: no such customer, pet or plan version in this store.
        ValidationFailed: the pet is not the customer's (``CONTRACT_PET_NOT_CUSTOMERS``), the plan is for
            another species (``CONTRACT_PLAN_MISMATCH``), a debit day the plan does not offer, a bad channel.
        PetHasOpenContract: the pet has a contract pending signature or active (409).
    """
    from pawpay.tenants.plans import services as plans

    if channel not in rules.CHANNELS:
        raise ValidationFailed("unknown signing channel", field="channel", allowed=list(rules.CHANNELS))
    pet = await customers.get_pet(ctx, pet_id)
    if pet.customer_id != customer_id:
        raise ValidationFailed("this pet belongs to another customer", field="pet_id",
                               code=code(ContractErrorCode.CONTRACT_PET_NOT_CUSTOMERS))
    plan = await plans.get_plan_version(ctx, plan_id, plan_version)
    if plan.species != pet.species:
        raise ValidationFailed("the plan is for another species", field="plan_id",
                               code=code(ContractErrorCode.CONTRACT_PLAN_MISMATCH))
    rules.check_debit_day(debit_day, tuple(plan.debit_days))
    terms = await merchants.current_terms(ctx)
    cooling = rules.clamp_cooling_off(plan.cooling_off_days, terms.cooling_off_days_min, terms.cooling_off_days_max)
    today, _ = await _store_today(ctx)
    now = utcnow()
    contract_id = uuid.uuid4()
    async with tenant_scope(ctx):
        await customers.get_customer(ctx, customer_id)
        if await _open_contract_for_pet(ctx, pet_id) is not None:
            raise PetHasOpenContract(pet_id=str(pet_id))
        await Contract.insert(Contract(
            id=contract_id, tenant_id=ctx.tenant_id, contract_no=_new_contract_no(today), customer_id=customer_id,
            pet_id=pet_id, plan_id=plan_id, plan_version=plan_version, plan_name=plan.name[:200],
            terms_version=terms.version, debit_day=debit_day, periods=plan.periods,
            monthly_amount_fen=plan.monthly_amount_fen,
            total_fen=rules.total_fen(plan.periods, plan.monthly_amount_fen),
            penalty_rate_bp=plan.penalty_rate_bp, cooling_off_days=cooling, contents=_contents_snapshot(plan),
            gift_text=(plan.gift_text or "")[:200], state=State.DRAFT.value, channel=channel,
            started_by=(started_by or "")[:255], documents=[], created_at=now, updated_at=now))
        view = await _row(ctx, contract_id)
        await record(ctx, "contract.drafted", target_type="contract", target_id=str(contract_id),
                     after={"contract_no": view.contract_no, "customer_id": str(customer_id), "pet_id": str(pet_id),
                            "plan_id": str(plan_id), "plan_version": plan_version, "terms_version": terms.version,
                            "total_fen": view.total_fen, "channel": channel, "started_by": view.started_by})
    return view


async def _open_contract_for_pet(ctx: TenantContext, pet_id: uuid.UUID) -> uuid.UUID | None:
    row = await Contract.select(Contract.id).where(
        (Contract.tenant_id == ctx.tenant_id) & (Contract.pet_id == pet_id)
        & Contract.state.is_in([s.value for s in rules.OPEN_STATES])).first()
    return row["id"] if row else None


def _check_documents(documents: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    out = []
    for kind, digest in documents:
        if not isinstance(kind, str) or not kind.strip() or len(kind) > 64:
            raise ValidationFailed("a document needs a kind", field="documents")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise ValidationFailed("a document hash is a lower-case sha256 hex digest", field="documents")
        out.append({"kind": kind.strip(), "sha256": digest})
    return out


async def mark_pending_signature(
    ctx: TenantContext, contract_id: uuid.UUID, *, documents: Sequence[tuple[str, str]] | None = None
) -> ContractView:
    """The documents are ready for the customer's signature: the contract becomes pending signature.

    ``documents`` are ``(kind, sha256)`` of what the customer is shown; the contract PDF's own hash
    (kind ``contract_pdf``) is always added. Calling it again while pending replaces the hashes.

    Raises:
        InvalidTransition: the contract is not a draft (or already pending).
        PetHasOpenContract: another contract of the same pet got there first (409).
    """
    extra = _check_documents(documents or ())
    current = await get_contract(ctx, contract_id)
    if current.state != State.PENDING_SIGNATURE:
        rules.transition(current.state, State.PENDING_SIGNATURE)
    pdf_bytes = await _render(ctx, current)
    # The exact bytes shown for signature are kept: the evidence hash stays verifiable even after the
    # PDF template changes. (A rolled-back step leaves an unreferenced file behind, never a wrong one.)
    stored = await storage.store_upload(pdf_bytes, filename=f"{current.contract_no}.pdf", purpose="contracts")
    docs = [{"kind": "contract_pdf", "sha256": stored.sha256},
            *[d for d in extra if d["kind"] != "contract_pdf"]]
    async with tenant_scope(ctx) as tx:
        current = await _row(ctx, contract_id, lock=True)
        if current.state != State.PENDING_SIGNATURE:
            rules.transition(current.state, State.PENDING_SIGNATURE)
        savepoint = await tx.savepoint()
        try:
            await Contract.update({Contract.state: State.PENDING_SIGNATURE.value, Contract.documents: docs,
                                   Contract.pdf_key: stored.key, Contract.updated_at: utcnow()}).where(
                (Contract.tenant_id == ctx.tenant_id) & (Contract.id == contract_id))
        except UniqueViolationError:
            await savepoint.rollback_to()  # type: ignore[no-untyped-call]
            raise PetHasOpenContract(pet_id=str(current.pet_id)) from None
        await record(ctx, "contract.pending_signature", target_type="contract", target_id=str(contract_id),
                     before={"state": current.state}, after={"state": State.PENDING_SIGNATURE.value, "documents": docs})
        return await _row(ctx, contract_id)


def _check_evidence(evidence: EvidenceInput) -> None:
    if not (evidence.identity_reference or "").strip():
        raise ValidationFailed("the real-name check reference is required", field="identity_reference",
                               code=code(ContractErrorCode.CONTRACT_EVIDENCE_INCOMPLETE))
    if not (evidence.esign_reference or "").strip():
        raise ValidationFailed("the e-sign reference is required", field="esign_reference",
                               code=code(ContractErrorCode.CONTRACT_EVIDENCE_INCOMPLETE))
    if evidence.consents.get("contract_terms") is not True:
        raise ValidationFailed("the customer's consent to the contract terms is required", field="consents",
                               code=code(ContractErrorCode.CONTRACT_EVIDENCE_INCOMPLETE))
    if evidence.signed_at is not None and evidence.signed_at.tzinfo is None:
        raise ValidationFailed("times must be timezone-aware", field="signed_at")


async def activate(
    ctx: TenantContext, contract_id: uuid.UUID, *, evidence: EvidenceInput, retention_years: int = 3
) -> ContractView:
    """The customer signed: the contract becomes active with its schedule and evidence.

    Idempotent: activating an active contract returns it unchanged (no second schedule, no second
    ledger entry, no second broadcast). Concurrent activations serialise on the contract row.

    Raises:
        ValidationFailed: incomplete evidence (``CONTRACT_EVIDENCE_INCOMPLETE``); ``retention_years`` < 3.
        InvalidTransition: the contract is not pending signature (e.g. still a draft, or cancelled).
        SigningsSuspended: the store may not sign new contracts now (422).
    """
    _check_evidence(evidence)
    rules.retention_until(date(2000, 1, 1), retention_years)  # refuses fewer than 3 years up front
    async with tenant_scope(ctx):
        current = await _row(ctx, contract_id, lock=True)
        if current.state == State.ACTIVE:
            return current
        rules.transition(current.state, State.ACTIVE)
        allowed, reason = await merchants.new_signings_allowed(ctx)
        if not allowed:
            raise SigningsSuspended("the store may not sign new contracts now", reason=reason)
        today, now = await _store_today(ctx)
        signed_at = evidence.signed_at or now
        plan = rules.schedule(today, current.debit_day, current.cooling_off_days, current.periods,
                              current.monthly_amount_fen)
        first_due, end_on = plan[0][1], plan[-1][1]
        stamp = utcnow()
        await Installment.insert(*[
            Installment(id=uuid.uuid4(), tenant_id=ctx.tenant_id, contract_id=contract_id, sequence=seq, due_on=due,
                        amount_fen=amount, status=InstallmentStatus.DUE.value, paid_at=None, created_at=stamp,
                        updated_at=stamp)
            for seq, due, amount in plan
        ])
        pdf_hash = next((d["sha256"] for d in current.documents if d["kind"] == "contract_pdf"), "")
        if not pdf_hash:
            pdf_hash = contract_pdf.sha256_hex(await render_pdf(ctx, contract_id))
        docs = [*current.documents, *[d for d in _check_documents(evidence.documents)
                                      if d not in current.documents]]
        retention = rules.retention_until(end_on, retention_years)
        await ContractEvidence.insert(ContractEvidence(
            id=uuid.uuid4(), tenant_id=ctx.tenant_id, contract_id=contract_id, documents=docs, pdf_sha256=pdf_hash,
            signed_at=signed_at, ip=(evidence.ip or "")[:64], user_agent=(evidence.user_agent or "")[:1000],
            device=(evidence.device or "")[:255], identity_reference=evidence.identity_reference[:255],
            esign_reference=evidence.esign_reference[:255],
            face_check_reference=(evidence.face_check_reference or "")[:255],
            payment_agreement_reference=(evidence.payment_agreement_reference or "")[:255],
            consents={str(k): bool(v) for k, v in evidence.consents.items()}, retention_until=retention,
            created_at=stamp))
        await Contract.update({
            Contract.state: State.ACTIVE.value, Contract.signed_at: signed_at, Contract.start_date: today,
            Contract.first_due_on: first_due, Contract.end_on: end_on, Contract.updated_at: stamp,
        }).where((Contract.tenant_id == ctx.tenant_id) & (Contract.id == contract_id))
        receivable = f"customer_receivable:{current.contract_no}"
        await ledger.ensure_accounts(ctx, [receivable, "contract_sales"])
        await ledger.post_entry(ctx, idempotency_key=f"contract-signed:{current.contract_no}",
                                description=f"contract {current.contract_no} signed",
                                postings=[(receivable, current.total_fen), ("contract_sales", -current.total_fen)],
                                effective_at=signed_at)
        await record(ctx, "contract.activated", target_type="contract", target_id=str(contract_id),
                     before={"state": current.state},
                     after={"state": State.ACTIVE.value, "signed_at": signed_at.isoformat(),
                            "first_due_on": first_due.isoformat(), "end_on": end_on.isoformat(),
                            "total_fen": current.total_fen, "ip": evidence.ip, "pdf_sha256": pdf_hash,
                            "retention_until": retention.isoformat()},
                     ip=(evidence.ip or "")[:64])
        view = await _row(ctx, contract_id)
        after_commit(lambda: _broadcast_signed(ctx, view))
        after_commit(lambda: send_signing_messages(ctx, view))
    return view


async def _broadcast_signed(ctx: TenantContext, view: ContractView) -> None:
    assert view.first_due_on is not None
    await events.broadcast("pawpay_contract_signed", tenant_id=str(ctx.tenant_id), contract=ContractSigned(
        contract_id=str(view.id), contract_no=view.contract_no, customer_ref=str(view.customer_id),
        total_fen=view.total_fen, periods=view.periods, monthly_amount_fen=view.monthly_amount_fen,
        first_due_on=view.first_due_on, terms_version=view.terms_version))


def signing_message_text(store_name: str, view: ContractView) -> str:
    """The zh-CN body of the signing-success message (SMS and mini-program)."""
    first = f"{view.first_due_on:%Y年%m月%d日}" if view.first_due_on else ""
    text = (f"【{store_name}】您已成功签约「{view.plan_name}」，合同号{view.contract_no}，共{view.periods}期，"
            f"每期{rules.format_fen(view.monthly_amount_fen)}元，总价{rules.format_fen(view.total_fen)}元，"
            f"首次扣款日{first}（此后每月{view.debit_day}日）。")
    contents = contents_text(view.contents)
    if contents:
        text += f"每期内容：{contents}。"
    if view.cooling_off_days:
        text += f"签约后{view.cooling_off_days}天内可无责取消。"
    return text


async def send_signing_messages(ctx: TenantContext, view: ContractView) -> None:
    """The signing-success SMS (and mini-program message when the customer has an openid), through
    ``customers.send_message`` (stored per customer). Never raises."""
    try:
        tenant = await get_own_tenant(ctx)
        body = signing_message_text(tenant.name, view)
        params = {"contract_no": view.contract_no, "plan": view.plan_name,
                  "first_debit": view.first_due_on.isoformat() if view.first_due_on else "",
                  "amount": rules.format_fen(view.monthly_amount_fen), "total": rules.format_fen(view.total_fen),
                  "contents": contents_text(view.contents)[:100]}
    except Exception:
        log.exception("signing messages: could not prepare", extra={"contract_id": str(view.id)})
        return
    outcomes = await customers.send_message(
        ctx, view.customer_id, key=f"contract-signed:{view.id}", sms_template=SMS_TEMPLATE,
        mp_template=MINI_PROGRAM_TEMPLATE, body=body, params=params,
        page=f"pages/contracts/detail?no={view.contract_no}", contract_id=view.id)
    undelivered = {c: o for c, o in outcomes.items() if o not in ("succeeded", "pending")}
    if undelivered:
        log.warning("signing message not delivered", extra={"contract_id": str(view.id), "outcomes": undelivered})


async def cancel_in_cooling_off(ctx: TenantContext, contract_id: uuid.UUID, *, reason: str) -> ContractView:
    """Cancel an active contract within its cooling-off window, without penalty: the open installments
    are cancelled and the contracted amount's ledger entry is reversed.

    Raises:
        ValidationFailed: no reason.
        InvalidTransition: the contract is not active.
        CoolingOffOver: the window has ended (422).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    async with tenant_scope(ctx):
        current = await _row(ctx, contract_id, lock=True)
        if current.state != State.ACTIVE:
            raise InvalidTransition("only an active contract can be cancelled in its cooling-off period",
                                    current=current.state)
        today, now = await _store_today(ctx)
        assert current.start_date is not None
        rules.check_cooling_off(current.start_date, current.cooling_off_days, today)
        paid = await Installment.count().where(
            (Installment.tenant_id == ctx.tenant_id) & (Installment.contract_id == contract_id)
            & (Installment.status == InstallmentStatus.PAID.value))
        if paid:
            raise InvalidTransition("installments were paid: refund them before cancelling", paid=paid)
        stamp = utcnow()
        await Installment.update({Installment.status: InstallmentStatus.CANCELLED.value,
                                  Installment.updated_at: stamp}).where(
            (Installment.tenant_id == ctx.tenant_id) & (Installment.contract_id == contract_id)
            & Installment.status.is_in([InstallmentStatus.DUE.value, InstallmentStatus.FAILED.value,
                                        InstallmentStatus.PAUSED.value]))
        await Contract.update({Contract.state: State.CANCELLED.value, Contract.ended_at: now,
                               Contract.end_reason: reason[:2000], Contract.updated_at: stamp}).where(
            (Contract.tenant_id == ctx.tenant_id) & (Contract.id == contract_id))
        receivable = f"customer_receivable:{current.contract_no}"
        signed = await ledger.post_entry(ctx, idempotency_key=f"contract-signed:{current.contract_no}",
                                         description=f"contract {current.contract_no} signed",
                                         postings=[(receivable, current.total_fen),
                                                   ("contract_sales", -current.total_fen)],
                                         effective_at=current.signed_at)
        await ledger.reverse_entry(ctx, signed.id, idempotency_key=f"contract-cancelled:{current.contract_no}",
                                   reason=f"contract {current.contract_no} cancelled in cooling-off")
        await record(ctx, "contract.cancelled", target_type="contract", target_id=str(contract_id),
                     before={"state": current.state}, after={"state": State.CANCELLED.value, "reason": reason[:2000]})
        return await _row(ctx, contract_id)


async def abandon(ctx: TenantContext, contract_id: uuid.UUID, *, reason: str) -> ContractView:
    """Abandon a draft or a contract pending signature (state ``cancelled``); frees the pet."""
    reason = (reason or "").strip() or "abandoned"
    async with tenant_scope(ctx):
        current = await _row(ctx, contract_id, lock=True)
        if current.state not in (State.DRAFT, State.PENDING_SIGNATURE):
            raise InvalidTransition("only a draft or a contract pending signature can be abandoned",
                                    current=current.state)
        rules.transition(current.state, State.CANCELLED)
        await Contract.update({Contract.state: State.CANCELLED.value, Contract.ended_at: utcnow(),
                               Contract.end_reason: reason[:2000], Contract.updated_at: utcnow()}).where(
            (Contract.tenant_id == ctx.tenant_id) & (Contract.id == contract_id))
        await record(ctx, "contract.abandoned", target_type="contract", target_id=str(contract_id),
                     before={"state": current.state}, after={"state": State.CANCELLED.value, "reason": reason})
        return await _row(ctx, contract_id)


async def get_contract(ctx: TenantContext, contract_id: uuid.UUID) -> ContractView:
    async with tenant_scope(ctx):
        return await _row(ctx, contract_id)


async def get_by_number(ctx: TenantContext, contract_no: str) -> ContractView:
    async with tenant_scope(ctx):
        row = await Contract.select(Contract.id).where(
            (Contract.tenant_id == ctx.tenant_id) & (Contract.contract_no == contract_no)).first()
        if row is None:
            raise NotFound("contract not found")
        return await _row(ctx, row["id"])


async def list_contracts(
    ctx: TenantContext,
    *,
    state: str | None = None,
    customer_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ContractView], int]:
    """The store's contracts, newest first, optionally in one state or of one customer; with the total."""
    where: Any = Contract.tenant_id == ctx.tenant_id
    if state:
        if state not in {s.value for s in State}:
            raise ValidationFailed("unknown contract state", field="state")
        where &= Contract.state == state
    if customer_id is not None:
        where &= Contract.customer_id == customer_id
    async with tenant_scope(ctx):
        total = await Contract.count().where(where)
        rows = await Contract.select(*_COLUMNS).where(where).order_by(Contract.created_at, ascending=False).limit(
            limit).offset(offset)
    return [_view(r) for r in rows], int(total)


async def installments(ctx: TenantContext, contract_id: uuid.UUID) -> list[InstallmentView]:
    """The contract's schedule, by sequence (empty before activation)."""
    async with tenant_scope(ctx):
        await _row(ctx, contract_id)
        rows = await Installment.select(
            Installment.id, Installment.contract_id, Installment.sequence, Installment.due_on, Installment.amount_fen,
            Installment.status, Installment.paid_at,
        ).where((Installment.tenant_id == ctx.tenant_id) & (Installment.contract_id == contract_id)).order_by(
            Installment.sequence)
    return [InstallmentView(**r) for r in rows]


async def get_evidence(ctx: TenantContext, contract_id: uuid.UUID) -> EvidenceView | None:
    async with tenant_scope(ctx):
        await _row(ctx, contract_id)
        row = await ContractEvidence.select(*[getattr(ContractEvidence, n) for n in EvidenceView.__dataclass_fields__]
                                            ).where((ContractEvidence.tenant_id == ctx.tenant_id)
                                                    & (ContractEvidence.contract_id == contract_id)).first()
    if row is None:
        return None
    row["documents"] = from_jsonb(row["documents"]) or []
    row["consents"] = from_jsonb(row["consents"]) or {}
    return EvidenceView(**row)


_INSTALLMENT_COLUMNS = (Installment.id, Installment.contract_id, Installment.sequence, Installment.due_on,
                        Installment.amount_fen, Installment.status, Installment.paid_at)


async def get_installment(ctx: TenantContext, installment_id: uuid.UUID) -> InstallmentView:
    async with tenant_scope(ctx):
        return await _installment(ctx, installment_id)


async def _installment(ctx: TenantContext, installment_id: uuid.UUID, *, lock: bool = False) -> InstallmentView:
    if lock:
        await Installment.raw("SELECT id FROM installment WHERE tenant_id = {} AND id = {} FOR UPDATE",
                              ctx.tenant_id, installment_id)
    row = await Installment.select(*_INSTALLMENT_COLUMNS).where(
        (Installment.tenant_id == ctx.tenant_id) & (Installment.id == installment_id)).first()
    if row is None:
        raise NotFound("installment not found")
    return InstallmentView(**row)


async def due_installments(ctx: TenantContext, *, on_or_before: date, limit: int = 500) -> list[InstallmentView]:
    """Open (due or failed) installments of active contracts due on or before a store-local date, oldest first."""
    async with tenant_scope(ctx):
        rows = await Installment.raw(
            "SELECT i.id, i.contract_id, i.sequence, i.due_on, i.amount_fen, i.status, i.paid_at "
            "FROM installment i JOIN contract c ON c.tenant_id = i.tenant_id AND c.id = i.contract_id "
            "WHERE i.tenant_id = {} AND i.status IN ('due', 'failed') AND i.due_on <= {} AND c.state = 'active' "
            "ORDER BY i.due_on, i.contract_id, i.sequence LIMIT {}",
            ctx.tenant_id, on_or_before, limit)
    return [InstallmentView(**r) for r in rows]


async def set_installment_status(
    ctx: TenantContext, installment_id: uuid.UUID, status: str, *, paid_at: datetime | None = None, reason: str = ""
) -> InstallmentView:
    """Move an installment (collections): ``paid`` (needs ``paid_at``), ``failed``, ``paused``, ``due``
    (resume a paused one), ``waived`` or ``cancelled``. Repeating the current status is a no-op (except
    ``failed``, which records another failure). When the last open installment of an active contract is
    paid or waived, the contract becomes ``completed``.

    Raises:
        InvalidTransition: the status cannot follow the current one (e.g. a paid installment).
        ValidationFailed: ``paid`` without an aware ``paid_at``.
    """
    if status == InstallmentStatus.PAID and (paid_at is None or paid_at.tzinfo is None):
        raise ValidationFailed("a paid installment needs an aware paid_at", field="paid_at")
    async with tenant_scope(ctx):
        current = await _installment(ctx, installment_id, lock=True)
        contract = await _row(ctx, current.contract_id, lock=True)
        if current.status == status and status != InstallmentStatus.FAILED:
            return current
        rules.installment_transition(current.status, status)
        await Installment.update({Installment.status: status, Installment.updated_at: utcnow(),
                                  Installment.paid_at: paid_at if status == InstallmentStatus.PAID else None}).where(
            (Installment.tenant_id == ctx.tenant_id) & (Installment.id == installment_id))
        await record(ctx, f"contract.installment_{status}", target_type="contract", target_id=str(contract.id),
                     before={"sequence": current.sequence, "status": current.status},
                     after={"sequence": current.sequence, "status": status, "reason": reason[:500],
                            "paid_at": paid_at.isoformat() if paid_at else None})
        if contract.state == State.ACTIVE and status in (InstallmentStatus.PAID, InstallmentStatus.WAIVED):
            still_open = await Installment.count().where(
                (Installment.tenant_id == ctx.tenant_id) & (Installment.contract_id == contract.id)
                & Installment.status.is_in([s.value for s in rules.OPEN_INSTALLMENTS]))
            if not still_open:
                rules.transition(contract.state, State.COMPLETED)
                await Contract.update({Contract.state: State.COMPLETED.value, Contract.ended_at: utcnow(),
                                       Contract.updated_at: utcnow()}).where(
                    (Contract.tenant_id == ctx.tenant_id) & (Contract.id == contract.id))
                await record(ctx, "contract.completed", target_type="contract", target_id=str(contract.id),
                             before={"state": contract.state}, after={"state": State.COMPLETED.value})
        return await _installment(ctx, installment_id)


# --- batch reads and the paid batch (billing's debit batches) ------------------------------------------


async def get_installments(
    ctx: TenantContext, installment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, InstallmentView]:
    """Several installments of the store by id (another store's are simply absent)."""
    if not installment_ids:
        return {}
    async with tenant_scope(ctx):
        rows = await Installment.select(*_INSTALLMENT_COLUMNS).where(
            (Installment.tenant_id == ctx.tenant_id) & Installment.id.is_in(list(set(installment_ids))))
    return {r["id"]: InstallmentView(**r) for r in rows}


async def get_contracts(ctx: TenantContext, contract_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ContractView]:
    """Several contracts of the store by id (another store's are simply absent)."""
    if not contract_ids:
        return {}
    async with tenant_scope(ctx):
        rows = await Contract.select(*_COLUMNS).where(
            (Contract.tenant_id == ctx.tenant_id) & Contract.id.is_in(list(set(contract_ids))))
    return {r["id"]: _view(r) for r in rows}


async def payment_agreements(ctx: TenantContext, contract_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The payment agreement reference recorded at signing, per contract (absent: none recorded)."""
    if not contract_ids:
        return {}
    async with tenant_scope(ctx):
        rows = await ContractEvidence.select(ContractEvidence.contract_id,
                                             ContractEvidence.payment_agreement_reference).where(
            (ContractEvidence.tenant_id == ctx.tenant_id) & ContractEvidence.contract_id.is_in(list(set(contract_ids))))
    return {r["contract_id"]: r["payment_agreement_reference"] for r in rows if r["payment_agreement_reference"]}


async def mark_installments_paid(
    ctx: TenantContext, paid: Sequence[tuple[uuid.UUID, datetime, str]]
) -> set[uuid.UUID]:
    """:func:`set_installment_status` ``paid`` for several installments ``(id, paid_at, reason)`` at once
    (the audit entries, contracts completed by their last payment), in a few statements. Only open
    installments (due, failed, paused) are paid; returns the ids that were. Joins the caller's transaction.
    """
    from pawpay.platform.audit.services import AuditRecord, record_many

    if not paid:
        return set()
    for _id, paid_at, _reason in paid:
        if paid_at is None or paid_at.tzinfo is None:
            raise ValidationFailed("a paid installment needs an aware paid_at", field="paid_at")
    open_ = [s.value for s in rules.OPEN_INSTALLMENTS]
    async with tenant_scope(ctx):
        ids = [i for i, _p, _r in paid]
        # Installments, then their contracts, each in id order (as set_installment_status locks them).
        before = {r["id"]: r for r in await Installment.raw(
            "SELECT id, contract_id, sequence, status FROM installment WHERE tenant_id = {} AND id = ANY({}) "
            "ORDER BY id FOR UPDATE", ctx.tenant_id, ids)}
        contract_rows = await Contract.raw(
            "SELECT id, state FROM contract WHERE tenant_id = {} AND id = ANY({}) ORDER BY id FOR UPDATE",
            ctx.tenant_id, sorted({r["contract_id"] for r in before.values()}))
        todo = [(i, at, why) for i, at, why in paid if i in before and before[i]["status"] in open_]
        if not todo:
            return set()
        now = utcnow()
        await Installment.raw(
            "UPDATE installment AS i SET status = 'paid', paid_at = u.paid_at, updated_at = {} "
            "FROM unnest({}::uuid[], {}::timestamptz[]) AS u(id, paid_at) WHERE i.tenant_id = {} AND i.id = u.id",
            now, [t[0] for t in todo], [t[1] for t in todo], ctx.tenant_id)
        audits = [AuditRecord("contract.installment_paid", target_type="contract",
                              target_id=str(before[i]["contract_id"]),
                              before={"sequence": before[i]["sequence"], "status": before[i]["status"]},
                              after={"sequence": before[i]["sequence"], "status": "paid", "reason": why[:500],
                                     "paid_at": at.isoformat()}) for i, at, why in todo]
        active = [r["id"] for r in contract_rows if r["state"] == State.ACTIVE.value
                  and r["id"] in {before[i]["contract_id"] for i, _a, _w in todo}]
        if active:
            done = await Contract.raw(
                "UPDATE contract AS c SET state = {}, ended_at = {}, updated_at = {} WHERE c.tenant_id = {} "
                "AND c.id = ANY({}) AND NOT EXISTS (SELECT 1 FROM installment i WHERE i.tenant_id = c.tenant_id "
                "AND i.contract_id = c.id AND i.status = ANY({})) RETURNING c.id",
                State.COMPLETED.value, now, now, ctx.tenant_id, active, open_)
            audits += [AuditRecord("contract.completed", target_type="contract", target_id=str(r["id"]),
                                   before={"state": State.ACTIVE.value}, after={"state": State.COMPLETED.value})
                       for r in done]
        await record_many(ctx, audits)
    return {t[0] for t in todo}


async def terminate(ctx: TenantContext, contract_id: uuid.UUID, *, reason: str) -> tuple[ContractView, int]:
    """End an active contract early: its open installments are cancelled, the unearned part of the
    contracted amount is taken off the books, and the penalty (rules.penalty_fen of the remaining
    periods' total) is returned for the caller to collect. Returns ``(view, penalty_fen)``.

    Raises:
        ValidationFailed: no reason.
        InvalidTransition: the contract is not active.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    async with tenant_scope(ctx):
        current = await _row(ctx, contract_id, lock=True)
        rules.transition(current.state, State.TERMINATED)
        open_rows = await Installment.select(Installment.amount_fen).where(
            (Installment.tenant_id == ctx.tenant_id) & (Installment.contract_id == contract_id)
            & Installment.status.is_in([s.value for s in rules.OPEN_INSTALLMENTS]))
        remaining_fen = sum(int(r["amount_fen"]) for r in open_rows)
        penalty = rules.penalty_fen(len(open_rows), current.monthly_amount_fen, current.penalty_rate_bp)
        stamp = utcnow()
        await Installment.update({Installment.status: InstallmentStatus.CANCELLED.value,
                                  Installment.updated_at: stamp}).where(
            (Installment.tenant_id == ctx.tenant_id) & (Installment.contract_id == contract_id)
            & Installment.status.is_in([s.value for s in rules.OPEN_INSTALLMENTS]))
        await Contract.update({Contract.state: State.TERMINATED.value, Contract.ended_at: stamp,
                               Contract.end_reason: reason[:2000], Contract.updated_at: stamp}).where(
            (Contract.tenant_id == ctx.tenant_id) & (Contract.id == contract_id))
        if remaining_fen:
            receivable = f"customer_receivable:{current.contract_no}"
            await ledger.post_entry(ctx, idempotency_key=f"contract-terminated:{current.contract_no}",
                                    description=f"contract {current.contract_no} terminated: unearned remainder",
                                    postings=[("contract_sales", remaining_fen), (receivable, -remaining_fen)])
        await record(ctx, "contract.terminated", target_type="contract", target_id=str(contract_id),
                     before={"state": current.state},
                     after={"state": State.TERMINATED.value, "reason": reason[:2000], "remaining_fen": remaining_fen,
                            "penalty_fen": penalty, "remaining_periods": len(open_rows)})
        return await _row(ctx, contract_id), penalty


def penalty_quote(view: ContractView, remaining_periods: int) -> int:
    """The early-termination penalty in fen for ``remaining_periods`` unpaid periods (see rules)."""
    return rules.penalty_fen(remaining_periods, view.monthly_amount_fen, view.penalty_rate_bp)


async def render_pdf(ctx: TenantContext, contract_id: uuid.UUID) -> bytes:
    """The contract PDF (adoption agreement + debit authorisation): once presented for signature, the
    stored bytes the customer saw (their sha256 is in the evidence); before that, a fresh rendering."""
    view = await get_contract(ctx, contract_id)
    if view.pdf_key:
        return await storage.read_file(view.pdf_key)
    return await _render(ctx, view)


async def _render(ctx: TenantContext, view: ContractView) -> bytes:
    tenant = await get_own_tenant(ctx)
    person = await customers.contact(ctx, view.customer_id)
    summary = await customers.get_customer(ctx, view.customer_id)
    pet = await customers.get_pet(ctx, view.pet_id)
    content = contract_pdf.PdfContent(
        store_name=tenant.name, contract_no=view.contract_no, customer_name=person.name,
        id_number_masked=summary.id_number_masked, phone_masked=summary.phone_masked, pet_name=pet.name,
        pet_species=pet.species, pet_breed=pet.breed, plan_name=view.plan_name, periods=view.periods,
        monthly_amount_fen=view.monthly_amount_fen, total_fen=view.total_fen, debit_day=view.debit_day,
        penalty_rate_bp=view.penalty_rate_bp, cooling_off_days=view.cooling_off_days,
        contents_text=contents_text(view.contents), gift_text=view.gift_text, created_at=view.created_at)
    # Off the event loop: laying out a CJK PDF takes a tenth of a second or more (the web server
    # and the workers keep answering meanwhile).
    return await asyncio.to_thread(contract_pdf.render, content)


# --- additive (issue 7, dunning): pauses extend the schedule; a stop cancels the periods after a date ---------

def _plus_months(day: date, months: int) -> date:
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


async def pause_installments(ctx: TenantContext, contract_id: uuid.UUID, *, periods: int,
                             reason: str) -> list[InstallmentView]:
    """Pause the next ``periods`` (1 or 2) open installments of an active contract (pet illness, by
    agreement) and extend the schedule: those and every later open installment fall ``periods`` months
    later, and ``end_on`` moves with them. The paused ones stay ``paused`` until the caller resumes them
    (``set_installment_status(..., "due")``). Returns the paused installments.

    Raises:
        ValidationFailed: ``periods`` not 1 or 2, no reason, or fewer open installments than ``periods``.
        InvalidTransition: the contract is not active.
    """
    reason = (reason or "").strip()
    if periods not in (1, 2):
        raise ValidationFailed("a pause is 1 or 2 periods", field="periods")
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    async with tenant_scope(ctx):
        current = await _row(ctx, contract_id, lock=True)
        if current.state != State.ACTIVE:
            raise InvalidTransition("only an active contract can be paused", current=current.state)
        rows = await Installment.select(*_INSTALLMENT_COLUMNS).where(
            (Installment.tenant_id == ctx.tenant_id) & (Installment.contract_id == contract_id)
            & (Installment.status == InstallmentStatus.DUE.value)).order_by(Installment.sequence)
        if len(rows) < periods:
            raise ValidationFailed("not enough open periods to pause", field="periods")
        first = rows[0]["sequence"]
        later = await Installment.select(Installment.id, Installment.due_on).where(
            (Installment.tenant_id == ctx.tenant_id) & (Installment.contract_id == contract_id)
            & (Installment.sequence >= first)
            & Installment.status.is_in([s.value for s in rules.OPEN_INSTALLMENTS])).order_by(
            Installment.sequence, ascending=False)
        stamp = utcnow()
        for row in later:
            await Installment.update({Installment.due_on: _plus_months(row["due_on"], periods),
                                      Installment.updated_at: stamp}).where(
                (Installment.tenant_id == ctx.tenant_id) & (Installment.id == row["id"]))
        paused = [r["id"] for r in rows[:periods]]
        await Installment.update({Installment.status: InstallmentStatus.PAUSED.value,
                                  Installment.updated_at: stamp}).where(
            (Installment.tenant_id == ctx.tenant_id) & Installment.id.is_in(paused))
        if current.end_on is not None:
            await Contract.update({Contract.end_on: _plus_months(current.end_on, periods),
                                   Contract.updated_at: stamp}).where(
                (Contract.tenant_id == ctx.tenant_id) & (Contract.id == contract_id))
        await record(ctx, "contract.installments_paused", target_type="contract", target_id=str(contract_id),
                     after={"periods": periods, "sequences": [r["sequence"] for r in rows[:periods]],
                            "reason": reason[:2000]})
        return [await _installment(ctx, i) for i in paused]


async def stop_installments_after(ctx: TenantContext, contract_id: uuid.UUID, *, after: date,
                                  reason: str) -> tuple[ContractView, int]:
    """Stop the debits of an active contract after a store-local date (pet death or loss, no penalty):
    open installments due after ``after`` are cancelled and their amount is taken off the books
    (key ``contract-stopped:<no>``); those due on or before it stay owed. When nothing is left open the
    contract is ``terminated``. Returns ``(view, cancelled_fen)``.

    Raises:
        ValidationFailed: no reason.
        InvalidTransition: the contract is not active.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    async with tenant_scope(ctx):
        current = await _row(ctx, contract_id, lock=True)
        if current.state != State.ACTIVE:
            raise InvalidTransition("only an active contract can be stopped", current=current.state)
        open_where = ((Installment.tenant_id == ctx.tenant_id) & (Installment.contract_id == contract_id)
                      & Installment.status.is_in([s.value for s in rules.OPEN_INSTALLMENTS]))
        rows = await Installment.select(Installment.id, Installment.amount_fen).where(
            open_where & (Installment.due_on > after))
        cancelled_fen = sum(int(r["amount_fen"]) for r in rows)
        stamp = utcnow()
        if rows:
            await Installment.update({Installment.status: InstallmentStatus.CANCELLED.value,
                                      Installment.updated_at: stamp}).where(
                (Installment.tenant_id == ctx.tenant_id) & Installment.id.is_in([r["id"] for r in rows]))
            receivable = f"customer_receivable:{current.contract_no}"
            await ledger.post_entry(ctx, idempotency_key=f"contract-stopped:{current.contract_no}",
                                    description=f"contract {current.contract_no} stopped: unearned remainder",
                                    postings=[("contract_sales", cancelled_fen), (receivable, -cancelled_fen)])
        still_open = await Installment.count().where(open_where)
        if not still_open:
            rules.transition(current.state, State.TERMINATED)
            await Contract.update({Contract.state: State.TERMINATED.value, Contract.ended_at: stamp,
                                   Contract.end_reason: reason[:2000], Contract.updated_at: stamp}).where(
                (Contract.tenant_id == ctx.tenant_id) & (Contract.id == contract_id))
        await record(ctx, "contract.installments_stopped", target_type="contract", target_id=str(contract_id),
                     after={"after": after.isoformat(), "cancelled": len(rows), "cancelled_fen": cancelled_fen,
                            "still_open": int(still_open), "reason": reason[:2000]})
        return await _row(ctx, contract_id), cancelled_fen


PREPAYMENT_ACTION = "contract.prepayment_applied"


async def apply_prepayment(ctx: TenantContext, contract_id: uuid.UUID, amount_fen: int, *, reference: str,
                           paid_at: datetime) -> list[InstallmentView]:
    """Money the customer paid up front (the signing's down payment) towards the contract's total price:
    the open installments are covered from the LAST one backwards. An installment covered whole keeps
    its ``amount_fen`` and becomes ``paid`` at ``paid_at`` (the money was collected, not forgiven:
    never ``waived``); a partly covered one stays open with its ``amount_fen`` reduced to what is still
    to be collected (billing plans and charges the installment's amount). So the open installments
    always add up to the total price minus the prepayments. The total price and the contracted-amount
    ledger entry do not change (the collection itself credits ``customer_receivable:<contract_no>``).

    Idempotent by ``reference`` (e.g. the down payment's attempt id): applying it again changes nothing.
    Call it in the transaction that activates the contract, before billing plans the schedule.
    Returns the schedule.

    Raises:
        ValidationFailed: a non-positive amount, no reference, a naive ``paid_at``, or more than is still open.
        InvalidTransition: the contract is not active.
    """
    from pawpay.platform.audit.services import AuditFilter, list_entries

    reference = (reference or "").strip()
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise ValidationFailed("the prepayment must be a positive amount of fen", field="amount_fen")
    if not reference or len(reference) > 255:
        raise ValidationFailed("a prepayment needs a reference", field="reference")
    if paid_at.tzinfo is None:
        raise ValidationFailed("paid_at must be aware", field="paid_at")
    async with tenant_scope(ctx):
        current = await _row(ctx, contract_id, lock=True)  # serialises prepayments of one contract
        entries, _ = await list_entries(ctx, AuditFilter(action=PREPAYMENT_ACTION, target_type="contract",
                                                         target_id=str(contract_id)), limit=1000)
        if any((e.after or {}).get("reference") == reference for e in entries):
            return await installments(ctx, contract_id)
        if current.state != State.ACTIVE:
            raise InvalidTransition("a prepayment applies to an active contract", current=current.state)
        rows = await Installment.select(*_INSTALLMENT_COLUMNS).where(
            (Installment.tenant_id == ctx.tenant_id) & (Installment.contract_id == contract_id)
            & Installment.status.is_in([s.value for s in rules.OPEN_INSTALLMENTS])).order_by(
            Installment.sequence, ascending=False)
        if sum(int(r["amount_fen"]) for r in rows) < amount_fen:
            raise ValidationFailed("the prepayment is more than the open installments", field="amount_fen")
        left, changes = amount_fen, []
        for r in rows:
            if left == 0:
                break
            take = min(left, int(r["amount_fen"]))
            left -= take
            new_amount = int(r["amount_fen"]) - take
            changes.append({"sequence": r["sequence"], "from_fen": int(r["amount_fen"]), "to_fen": new_amount})
            if new_amount == 0:  # covered whole: it keeps its amount (what was paid for it) and is paid
                await set_installment_status(ctx, r["id"], InstallmentStatus.PAID.value, paid_at=paid_at,
                                             reason=f"prepayment {reference}")
            else:
                await Installment.update({Installment.amount_fen: new_amount, Installment.updated_at: utcnow()}
                                         ).where((Installment.tenant_id == ctx.tenant_id) & (Installment.id == r["id"]))
        await record(ctx, PREPAYMENT_ACTION, target_type="contract", target_id=str(contract_id),
                     after={"reference": reference, "amount_fen": amount_fen, "contract_no": current.contract_no,
                            "installments": changes})
        return await installments(ctx, contract_id)


__all__ = [
    "ContractView", "EvidenceInput", "EvidenceView", "InstallmentView", "abandon", "activate", "apply_prepayment",
    "cancel_in_cooling_off", "contents_text", "create_draft", "due_installments", "get_by_number", "get_contract",
    "get_evidence", "get_installment", "installments", "list_contracts", "mark_pending_signature", "pause_installments",
    "penalty_quote", "render_pdf", "send_signing_messages", "set_installment_status", "signing_message_text",
    "stop_installments_after", "terminate",
]
