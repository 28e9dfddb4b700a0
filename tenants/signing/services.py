"""The customer's signing flow: phone + one-time code, the steps, the risk decision, activation.

The customer is not a staff principal: they log in with a code sent by SMS and get a
``signing_session`` (only the sha256 of its token is stored). Every step is checked against the
server-side step machine (:mod:`pawpay.tenants.signing.rules`) before anything changes; a step
posted out of order raises and changes nothing.

Provider calls are made outside database transactions wherever a step can be retried: a step reads
and checks in one transaction, calls the provider, then stores the answer in another (re-checking
the state under a row lock). The final step is idempotent: a second submit returns the same
contract, never a second one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.crypto import blind_index, mask, open_sealed, seal
from pawpay.platform.db.jsonb import from_jsonb
from pawpay.platform.errors import NotFound, PawPayError
from pawpay.platform.hooks import (
    AgreementRequest,
    AgreementState,
    ChargeRequest,
    FaceCheckRequest,
    PersonCheck,
    ProviderStatus,
    RealNameCheck,
    Signer,
    SignFlowRequest,
    SmsMessage,
)
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.merchants import services as merchants
from pawpay.platform.money import yuan
from pawpay.platform.providers.services import guarded_provider_for
from pawpay.platform.storage import services as storage
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.billing.services import fee_for
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.plans import services as plans
from pawpay.tenants.signing import rules
from pawpay.tenants.signing.errors import (
    ConsentRequired,
    InvalidInput,
    NotInReview,
    OtpRateLimited,
    OtpRefused,
    ProviderFailed,
    ProviderPending,
    SessionInvalid,
    SigningErrorCode,
    SigningNotAllowed,
)
from pawpay.tenants.signing.tables import RiskDecision, Signing, SigningOtp, SigningSession

log = logging.getLogger(__name__)

SMS_CODE_TEMPLATE = "SMS_SIGNING_CODE"
PHONE_PURPOSE = "signing-phone"
ID_PURPOSE = "signing-id-number"
OTP_PURPOSE = "signing-otp"
PROOF_PURPOSE = "signing-proofs"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_REAL_NAME_FAILURES = 3
STALE_AFTER = timedelta(hours=24)  # an in-progress signing untouched this long expires
PURGE_AFTER = timedelta(days=1)  # used/expired codes and sessions are deleted this long after
EXPIRE_BATCH = 500
# Anti-fraud: the minimum time on the details form; a module attribute so in-process tests can lower it.
min_form_seconds = rules.MIN_FORM_SECONDS


# --- views ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StoreRef:
    """A store as the public signing pages know it (resolved from the URL's slug)."""

    id: uuid.UUID
    slug: str
    name: str
    status: str
    time_zone: str
    test_mode: bool

    def context(self) -> TenantContext:
        return TenantContext(tenant_id=self.id, actor_label="customer signing")


@dataclass(frozen=True, slots=True)
class OtpSent:
    phone_masked: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SessionView:
    id: uuid.UUID
    tenant_id: uuid.UUID
    phone_index: str
    phone: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SigningView:
    id: uuid.UUID
    state: str
    steps: dict[str, str]
    next_step: str | None
    plan_id: uuid.UUID | None
    plan_version: int | None
    debit_day: int | None
    answers: dict[str, Any]
    phone_masked: str
    name_masked: str
    risk_outcome: str
    conditions: list[str]
    down_payment_fen: int
    down_payment_status: str
    customer_id: uuid.UUID | None
    pet_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    decline_reason: str
    edits: int
    form_seconds: int | None
    channel: str
    started_by: str
    action_urls: dict[str, str]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @property
    def current_step(self) -> str | None:
        return self.next_step

    @property
    def step_number(self) -> int:
        return rules.step_number(self.next_step) if self.next_step else rules.TOTAL_STEPS


@dataclass(frozen=True, slots=True)
class RiskDecisionView:
    id: uuid.UUID
    signing_id: uuid.UUID
    outcome: str
    reasons: list[str]
    inputs: dict[str, Any]
    conditions: list[str]
    reviewed: bool
    reviewer: str
    review_outcome: str
    review_reason: str
    reviewed_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DocumentPart:
    text: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    kind: str  # adoption_agreement | debit_authorisation
    title: str
    paragraphs: tuple[tuple[DocumentPart, ...], ...]

    def sha256(self) -> str:
        canonical = json.dumps({"kind": self.kind, "title": self.title,
                                "paragraphs": [[[p.text, p.bold] for p in para] for para in self.paragraphs]},
                               ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ContractPreview:
    signing_id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    store_name: str
    plan_name: str
    periods: int
    monthly_amount_fen: int
    total_fen: int
    debit_day: int
    penalty_rate_bp: int
    cooling_off_days: int
    down_payment_fen: int
    documents: tuple[Document, ...] = field(default=())


# --- helpers --------------------------------------------------------------------------------------


def clean_phone(value: str) -> str:
    text = re.sub(r"[\s-]", "", value or "").removeprefix("+86")
    if not _MOBILE.match(text):
        raise InvalidInput("enter an 11-digit mainland mobile number", field="phone")
    return text


def phone_index(phone: str) -> str:
    return blind_index(clean_phone(phone), purpose=PHONE_PURPOSE)


def id_index(id_number: str) -> str:
    return blind_index(id_number, purpose=ID_PURPOSE)


def _seal_ctx(tenant_id: uuid.UUID, name: str) -> str:
    return f"tenant:{tenant_id}:signing:{name}"


def _open(tenant_id: uuid.UUID, name: str, sealed: str) -> str:
    return open_sealed(sealed, context=_seal_ctx(tenant_id, name)) if sealed else ""


def _view(row: dict[str, Any]) -> SigningView:
    steps = from_jsonb(row["steps"], {})
    refs = from_jsonb(row["refs"], {})
    return SigningView(
        id=row["id"], state=row["state"], steps=steps, next_step=rules.next_step(steps), plan_id=row["plan_id"],
        plan_version=row["plan_version"], debit_day=row["debit_day"], answers=from_jsonb(row["answers"], {}),
        phone_masked=row["phone_masked"], name_masked=row["name_masked"], risk_outcome=row["risk_outcome"],
        conditions=list(from_jsonb(row["conditions"], [])), down_payment_fen=int(row["down_payment_fen"] or 0),
        down_payment_status=row["down_payment_status"], customer_id=row["customer_id"], pet_id=row["pet_id"],
        contract_id=row["contract_id"], decline_reason=row["decline_reason"], edits=int(row["edits"] or 0),
        form_seconds=row["form_seconds"], channel=row["channel"], started_by=row["started_by"],
        action_urls={k.removesuffix("_url"): v for k, v in refs.items() if k.endswith("_url") and isinstance(v, str)},
        created_at=row["created_at"], updated_at=row["updated_at"], completed_at=row["completed_at"],
    )


def _decision_view(row: dict[str, Any]) -> RiskDecisionView:
    return RiskDecisionView(
        id=row["id"], signing_id=row["signing_id"], outcome=row["outcome"],
        reasons=list(from_jsonb(row["reasons"], [])), inputs=from_jsonb(row["inputs"], {}),
        conditions=list(from_jsonb(row["conditions"], [])), reviewed=row["reviewed"],
        reviewer=row["reviewer"], review_outcome=row["review_outcome"], review_reason=row["review_reason"],
        reviewed_at=row["reviewed_at"], created_at=row["created_at"],
    )


async def _row(ctx: TenantContext, signing_id: uuid.UUID, *, lock: bool = False,
               phone_idx: str | None = None) -> dict[str, Any]:
    where = (Signing.tenant_id == ctx.tenant_id) & (Signing.id == signing_id)
    if phone_idx is not None:
        where &= Signing.phone_index == phone_idx
    query = Signing.select().where(where)
    if lock:
        query = query.lock_rows("NO KEY UPDATE")
    rows = await query
    if not rows:
        raise NotFound("signing not found")
    return dict(rows[0])


async def _update(ctx: TenantContext, signing_id: uuid.UUID, values: Mapping[Any, Any]) -> None:
    await Signing.update({**values, Signing.updated_at: utcnow()}).where(
        (Signing.tenant_id == ctx.tenant_id) & (Signing.id == signing_id))


def _complete(row: dict[str, Any], step: str) -> dict[str, str]:
    steps = dict(from_jsonb(row["steps"], {}))
    steps[step] = utcnow().isoformat()
    return steps


async def _store_today(ctx: TenantContext) -> date:
    return await customers.store_today(ctx)


# --- the store behind a public link ----------------------------------------------------------------

async def resolve_store(slug: str) -> StoreRef:
    """The store a ``/sign/{slug}`` link names. Any unknown slug is the same NotFound."""
    try:
        store = await tenancy.get_tenant_by_slug(slug)
    except NotFound:
        raise NotFound("this link is not valid; ask the store for a new one") from None
    return StoreRef(store.id, store.slug, store.name, store.status, store.time_zone, store.test_mode)


# --- phone + one-time code -------------------------------------------------------------------------

async def request_code(ctx: TenantContext, phone: str, *, ip: str = "") -> OtpSent:
    """Send a 6-digit code by SMS through the store's notifications provider.

    At most one code a minute and :data:`rules.OTP_MAX_PER_HOUR` an hour per phone. The code is
    stored only as a keyed hash, valid :data:`rules.OTP_TTL`.

    Raises:
        ValidationFailed: not a mainland mobile number (``field="phone"``).
        BusinessRuleViolation: ``SIGNING_OTP_RATE_LIMITED``; ``SIGNING_PROVIDER_FAILED`` if the SMS was refused.
    """
    clean = clean_phone(phone)
    index = phone_index(clean)
    now = utcnow()
    code_value = rules.new_code()
    otp_id = uuid.uuid4()
    async with tenant_scope(ctx):
        recent = await SigningOtp.select(SigningOtp.created_at).where(
            (SigningOtp.tenant_id == ctx.tenant_id) & (SigningOtp.phone_index == index)
            & (SigningOtp.created_at > now - timedelta(hours=1))).order_by(SigningOtp.created_at, ascending=False)
        if recent and recent[0]["created_at"] > now - rules.OTP_RESEND_AFTER:
            raise OtpRateLimited()
        if len(recent) >= rules.OTP_MAX_PER_HOUR:
            raise OtpRateLimited("too many codes were sent to this phone; try again in an hour")
        if ip:  # SMS bombing: one address asking codes for many phones
            from_ip = await SigningOtp.count().where(
                (SigningOtp.tenant_id == ctx.tenant_id) & (SigningOtp.ip == ip[:64])
                & (SigningOtp.created_at > now - timedelta(hours=1)))
            if from_ip >= rules.OTP_MAX_PER_IP_HOUR:
                raise OtpRateLimited("too many codes were asked from this network; try again later")
        await SigningOtp.insert(SigningOtp(
            id=otp_id, tenant_id=ctx.tenant_id, phone_index=index,
            code_hash=blind_index(f"{otp_id}:{code_value}", purpose=OTP_PURPOSE), expires_at=now + rules.OTP_TTL,
            attempts=0, used_at=None, ip=(ip or "")[:64], created_at=now))
    provider, pctx = await guarded_provider_for(ctx, "notifications")
    result = await provider.send_sms(pctx, SmsMessage(
        message_id=f"signing-otp:{otp_id}", phone=clean, template_code=SMS_CODE_TEMPLATE,
        params={"code": code_value, "minutes": str(int(rules.OTP_TTL.total_seconds() // 60))}))
    if result.status in (ProviderStatus.FAILED, ProviderStatus.NOT_SUBMITTED):
        raise ProviderFailed("the SMS could not be sent; try again in a minute", provider_code=result.error_code)
    return OtpSent(mask(clean), now + rules.OTP_TTL)


async def verify_code(ctx: TenantContext, phone: str, code_text: str, *, ip: str = "") -> tuple[str, SessionView]:
    """Check the latest code sent to ``phone`` and open a signing session; returns its secret token.

    A wrong code counts an attempt (kept even though the answer is an error); the code is single use.

    Raises:
        ValidationFailed (``field="code"``): ``SIGNING_OTP_WRONG``, ``SIGNING_OTP_EXPIRED``,
            ``SIGNING_OTP_USED``, ``SIGNING_OTP_TOO_MANY_ATTEMPTS``.
    """
    clean = clean_phone(phone)
    index = phone_index(clean)
    typed = rules.clean_code(code_text)
    now = utcnow()
    refusal: OtpRefused | None = None
    token, digest = rules.new_token()
    session_id = uuid.uuid4()
    async with tenant_scope(ctx):
        rows = await SigningOtp.select().where(
            (SigningOtp.tenant_id == ctx.tenant_id) & (SigningOtp.phone_index == index)
        ).order_by(SigningOtp.created_at, ascending=False).limit(1).lock_rows("NO KEY UPDATE")
        if not rows:
            raise OtpRefused("ask for a code first", SigningErrorCode.SIGNING_OTP_WRONG)
        otp = rows[0]
        try:
            rules.otp_problem(expires_at=otp["expires_at"], used_at=otp["used_at"], attempts=otp["attempts"],
                              now=now)
        except OtpRefused as exc:
            refusal = exc
        if refusal is None:
            expected = otp["code_hash"]
            if blind_index(f"{otp['id']}:{typed}", purpose=OTP_PURPOSE) != expected:
                await SigningOtp.update({SigningOtp.attempts: SigningOtp.attempts + 1}).where(
                    (SigningOtp.tenant_id == ctx.tenant_id) & (SigningOtp.id == otp["id"]))
                left = rules.OTP_MAX_ATTEMPTS - otp["attempts"] - 1
                refusal = OtpRefused("the code is wrong", SigningErrorCode.SIGNING_OTP_WRONG, attempts_left=left)
            else:
                await SigningOtp.update({SigningOtp.used_at: now}).where(
                    (SigningOtp.tenant_id == ctx.tenant_id) & (SigningOtp.id == otp["id"]))
                await SigningSession.insert(SigningSession(
                    id=session_id, tenant_id=ctx.tenant_id, phone_index=index,
                    phone_sealed=seal(clean, context=_seal_ctx(ctx.tenant_id, "phone")), token_hash=digest,
                    expires_at=now + rules.SESSION_TTL, revoked_at=None, created_at=now))
    if refusal is not None:  # raised after the attempt counter has been committed
        raise refusal
    return token, SessionView(session_id, ctx.tenant_id, index, clean, now + rules.SESSION_TTL)


async def session_for(ctx: TenantContext, token: str | None) -> SessionView:
    """The live session a token belongs to, in this store only (another store's token: invalid)."""
    if not token or len(token) > 200:
        raise SessionInvalid()
    async with tenant_scope(ctx):
        row = await SigningSession.select().where(
            (SigningSession.tenant_id == ctx.tenant_id) & (SigningSession.token_hash == rules.token_hash(token))
        ).first()
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= utcnow():
        raise SessionInvalid()
    phone = _open(ctx.tenant_id, "phone", row["phone_sealed"])
    return SessionView(row["id"], ctx.tenant_id, row["phone_index"], phone, row["expires_at"])


async def end_session(ctx: TenantContext, token: str) -> None:
    async with tenant_scope(ctx):
        await SigningSession.update({SigningSession.revoked_at: utcnow()}).where(
            (SigningSession.tenant_id == ctx.tenant_id) & (SigningSession.token_hash == rules.token_hash(token)))


# --- starting and reading a signing ----------------------------------------------------------------

async def start_signing(ctx: TenantContext, session: SessionView, plan_id: uuid.UUID | None, *,
                        channel: str = "h5") -> SigningView:
    """Resume the customer's open signing (of this plan, when given) or start a new one.

    Raises:
        BusinessRuleViolation: ``SIGNING_NOT_ALLOWED`` when the store may not sign new contracts.
        NotFound: the plan does not exist or is no longer offered.
    """
    allowed, _reason = await merchants.new_signings_allowed(ctx)
    if not allowed:
        raise SigningNotAllowed()
    version = None
    if plan_id is not None:
        plan = await plans.get_plan(ctx, plan_id)
        if not plan.active:
            raise NotFound("this plan is no longer offered")
        version = plan.version
    async with tenant_scope(ctx):
        where = ((Signing.tenant_id == ctx.tenant_id) & (Signing.phone_index == session.phone_index)
                 & Signing.state.is_in([rules.IN_PROGRESS, rules.MANUAL_REVIEW]))
        if plan_id is not None:
            where &= Signing.plan_id == plan_id
        open_rows = await Signing.select().where(where).order_by(Signing.created_at, ascending=False).limit(1)
        if open_rows:
            return _view(dict(open_rows[0]))
        now = utcnow()
        signing_id = uuid.uuid4()
        await Signing.insert(Signing(
            id=signing_id, tenant_id=ctx.tenant_id, phone_index=session.phone_index,
            phone_sealed=seal(session.phone, context=_seal_ctx(ctx.tenant_id, "phone")),
            phone_masked=mask(session.phone), channel=channel if channel in ("h5", "mini_program") else "h5",
            plan_id=plan_id, plan_version=version, state=rules.IN_PROGRESS, steps={}, answers={}, shown={}, refs={},
            conditions=[], started_by="customer", created_at=now, updated_at=now))
        await record(ctx, "signing.started", target_type="signing", target_id=str(signing_id),
                     after={"plan_id": str(plan_id) if plan_id else None, "channel": channel,
                            "phone": mask(session.phone)})
        return _view(await _row(ctx, signing_id))


async def get_signing(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID) -> SigningView:
    """The session's own signing (another phone's or store's: NotFound)."""
    async with tenant_scope(ctx):
        return _view(await _row(ctx, signing_id, phone_idx=session.phone_index))


async def mark_shown(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID, step: str) -> None:
    """Remember when a step's form was first shown (the form-time anti-fraud signal)."""
    async with tenant_scope(ctx):
        row = await _row(ctx, signing_id, phone_idx=session.phone_index)
        shown = dict(from_jsonb(row["shown"], {}))
        if step in rules.STEPS and step not in shown:
            shown[step] = utcnow().isoformat()
            await _update(ctx, signing_id, {Signing.shown: shown})


async def _locked_for_step(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID, step: str
                           ) -> dict[str, Any]:
    row = await _row(ctx, signing_id, lock=True, phone_idx=session.phone_index)
    rules.check_step(step, from_jsonb(row["steps"], {}), row["state"])
    return row


def _edits(row: dict[str, Any], step: str) -> int:
    return int(row["edits"] or 0) + (1 if step in from_jsonb(row["steps"], {}) else 0)


# --- steps 1-3: plan, pet, details ------------------------------------------------------------------

async def submit_plan(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID, *, plan_id: uuid.UUID,
                      debit_day: int) -> SigningView:
    plan = await plans.get_plan(ctx, plan_id)
    if not plan.active:
        raise InvalidInput("this plan is no longer offered", field="plan_id")
    if debit_day not in plan.debit_days:
        raise InvalidInput("choose one of the plan's debit days", field="debit_day", allowed=list(plan.debit_days))
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.PLAN)
        answers = dict(from_jsonb(row["answers"], {}))
        pet = answers.get("pet")
        if pet and pet.get("species") != plan.species:
            raise InvalidInput("this plan is for another kind of pet", field="plan_id")
        await _update(ctx, signing_id, {Signing.plan_id: plan.id, Signing.plan_version: plan.version,
                                        Signing.debit_day: debit_day, Signing.steps: _complete(row, rules.PLAN),
                                        Signing.edits: _edits(row, rules.PLAN)})
        return _view(await _row(ctx, signing_id))


async def submit_pet(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID, *, name: str, species: str,
                     breed: str, birthday: date | None, adoption_date: date | None = None) -> SigningView:
    """Raises ValidationFailed: a birthday in the future or after the adoption date, a plan for another species."""
    today = await _store_today(ctx)
    pet = rules.check_pet(name=name, species=species, breed=breed, birthday=birthday, adoption_date=adoption_date,
                          today=today)
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.PET)
        if row["plan_id"] is not None and row["plan_version"] is not None:
            plan = await plans.get_plan_version(ctx, row["plan_id"], row["plan_version"])
            if plan.species != pet.species:
                raise InvalidInput("the chosen plan is for another kind of pet", field="species")
        answers = dict(from_jsonb(row["answers"], {}))
        answers["pet"] = {"name": pet.name, "species": pet.species, "breed": pet.breed,
                          "birthday": pet.birthday.isoformat(), "adoption_date": pet.adoption_date.isoformat()}
        await _update(ctx, signing_id, {Signing.answers: answers, Signing.steps: _complete(row, rules.PET),
                                        Signing.edits: _edits(row, rules.PET)})
        return _view(await _row(ctx, signing_id))


async def submit_details(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID, *, name: str,
                         id_number: str, address: str, occupation: str, income: str, residence: str) -> SigningView:
    """Raises ValidationFailed: an invalid ID number (check digit, ``field="id_number"``), empty fields."""
    today = await _store_today(ctx)
    details = rules.check_details(name=name, id_number=id_number, address=address, occupation=occupation,
                                  income=income, residence=residence, today=today)
    now = utcnow()
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.DETAILS)
        shown = from_jsonb(row["shown"], {})
        started = shown.get(rules.DETAILS) or from_jsonb(row["steps"], {}).get(rules.PET)
        seconds = int((now - datetime.fromisoformat(started)).total_seconds()) if started else None
        answers = dict(from_jsonb(row["answers"], {}))
        answers["declared"] = {"occupation": details.occupation, "income": details.income,
                               "residence": details.residence}
        t = ctx.tenant_id
        await _update(ctx, signing_id, {
            Signing.answers: answers, Signing.steps: _complete(row, rules.DETAILS),
            Signing.edits: _edits(row, rules.DETAILS),
            Signing.name_sealed: seal(details.name, context=_seal_ctx(t, "name")),
            Signing.name_masked: details.name[0] + "*" * max(len(details.name) - 1, 1),
            Signing.id_number_sealed: seal(details.id_number, context=_seal_ctx(t, "id_number")),
            Signing.id_index: id_index(details.id_number),
            Signing.address_sealed: seal(details.address, context=_seal_ctx(t, "address")),
            Signing.form_seconds: seconds if row["form_seconds"] is None else row["form_seconds"],
        })
        return _view(await _row(ctx, signing_id))


def _person(ctx: TenantContext, row: dict[str, Any]) -> tuple[str, str, str]:
    t = ctx.tenant_id
    return (_open(t, "name", row["name_sealed"]), _open(t, "id_number", row["id_number_sealed"]),
            _open(t, "phone", row["phone_sealed"]))


def _person_key(name: str, id_number: str) -> str:
    return hashlib.sha256(f"{name}|{id_number}".encode()).hexdigest()[:10]


# --- step 4: real name + face --------------------------------------------------------------------

async def start_identity(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID, *, face_consent: bool,
                         return_url: str = "") -> SigningView:
    """Real-name check, then start the face check (its link is in ``action_urls["face"]``).

    The face-data consent is separate and required (stored with the answers).

    Raises:
        ValidationFailed: no face consent (``SIGNING_CONSENT_REQUIRED``); the name and ID do not match
            (``field="id_number"``: correct the details step).
        Conflict: ``SIGNING_PROVIDER_PENDING`` when the provider did not answer yet.
    """
    if not face_consent:
        raise ConsentRequired("agree to the use of your face data for the check", field="face_consent")
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.IDENTITY)
    name, id_number, phone = _person(ctx, row)
    key = _person_key(name, id_number)
    provider, pctx = await guarded_provider_for(ctx, "identity")
    real = await provider.verify_real_name(pctx, RealNameCheck(check_id=f"rn-{signing_id}-{key}", name=name,
                                                               id_number=id_number, mobile=phone))
    if real.status is ProviderStatus.UNKNOWN:  # asked again with the same id: the provider answers what it did
        real = await provider.verify_real_name(pctx, RealNameCheck(check_id=f"rn-{signing_id}-{key}", name=name,
                                                                   id_number=id_number, mobile=phone))
    refs_update: dict[str, Any] = {"real_name_status": real.status.value}
    if real.status is ProviderStatus.SUCCEEDED:
        refs_update["real_name"] = real.provider_reference or f"rn-{signing_id}-{key}"
    face_url = ""
    if real.status is ProviderStatus.SUCCEEDED:
        refs = from_jsonb(row["refs"], {})
        attempt = int(refs.get("face_attempt", 1))
        check_id = f"face-{signing_id}-{key}-{attempt}"
        face = await provider.start_face_check(pctx, FaceCheckRequest(check_id=check_id, name=name,
                                                                      id_number=id_number, return_url=return_url))
        refs_update.update({"face_check_id": check_id, "face_attempt": attempt})
        if face.result.status is ProviderStatus.FAILED:
            refs_update["real_name_status"] = "failed"
            real = face.result
        elif face.action is not None:
            face_url = str(face.action.payload.get("url", ""))
            refs_update["face_url"] = face_url
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.IDENTITY)
        refs = {**from_jsonb(row["refs"], {}), **refs_update}
        answers = dict(from_jsonb(row["answers"], {}))
        consents = dict(answers.get("consents", {}))
        consents["face_data"] = True
        consents["face_data_at"] = utcnow().isoformat()
        answers["consents"] = consents
        failures = int(refs.get("real_name_failures", 0)) + (1 if real.status is ProviderStatus.FAILED else 0)
        refs["real_name_failures"] = failures
        await _update(ctx, signing_id, {Signing.refs: refs, Signing.answers: answers})
        await record(ctx, "signing.identity_started", target_type="signing", target_id=str(signing_id),
                     after={"real_name": real.status.value, "face_consent": True})
        if real.status is ProviderStatus.FAILED and failures >= MAX_REAL_NAME_FAILURES:
            # A typo is corrected; the same mismatch again and again is the hard rule.
            await _decline(ctx, row, ["ID_MISMATCH_REAL_NAME"],
                           inputs={"real_name": real.error_code, "failures": failures})
            return _view(await _row(ctx, signing_id))
    if real.status is ProviderStatus.FAILED:
        raise InvalidInput("the name and the ID number do not match; correct them and try again", field="id_number",
                           provider_code=real.error_code)
    if real.status is not ProviderStatus.SUCCEEDED:
        raise ProviderPending("the real-name check has not answered yet; try again in a moment")
    return await get_signing(ctx, session, signing_id)


async def finish_identity(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID) -> SigningView:
    """Ask the provider how the face check ended. Passed: the step is complete. A different person:
    the signing is declined (``ID_MISMATCH_FACE``). Liveness failed or expired: start again."""
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.IDENTITY)
    refs = from_jsonb(row["refs"], {})
    check_id = refs.get("face_check_id")
    if not check_id:
        raise ProviderPending("start the face check first")
    provider, pctx = await guarded_provider_for(ctx, "identity")
    result = await provider.query_face_check(pctx, check_id)
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.IDENTITY)
        refs = dict(from_jsonb(row["refs"], {}))
        if result.status is ProviderStatus.SUCCEEDED:
            refs["face"] = result.provider_reference or check_id
            refs.pop("face_url", None)
            await _update(ctx, signing_id, {Signing.refs: refs, Signing.steps: _complete(row, rules.IDENTITY)})
            await record(ctx, "signing.identity_passed", target_type="signing", target_id=str(signing_id),
                         after={"face_check": refs["face"], "real_name": refs.get("real_name")})
            return _view(await _row(ctx, signing_id))
        if result.status is ProviderStatus.FAILED:
            if result.error_code in ("FACE_MISMATCH", "NAME_ID_MISMATCH"):
                reasons = ["ID_MISMATCH_FACE"]
                await _decline(ctx, row, reasons, inputs={"face_check": result.error_code})
                return _view(await _row(ctx, signing_id))
            refs["face_attempt"] = int(refs.get("face_attempt", 1)) + 1
            refs.pop("face_check_id", None)
            refs.pop("face_url", None)
            await _update(ctx, signing_id, {Signing.refs: refs})
    if result.status is ProviderStatus.FAILED:
        raise ProviderFailed("the face check did not pass; start it again", provider_code=result.error_code)
    raise ProviderPending("the face check is not finished yet; finish it and come back")


# --- step 5: the risk decision ---------------------------------------------------------------------

async def _store_decision(ctx: TenantContext, signing_id: uuid.UUID, outcome: str, reasons: Sequence[str],
                          inputs: Mapping[str, Any], conditions: Sequence[str] = ()) -> uuid.UUID:
    decision_id = uuid.uuid4()
    await RiskDecision.insert(RiskDecision(
        id=decision_id, tenant_id=ctx.tenant_id, signing_id=signing_id, outcome=outcome, reasons=list(reasons),
        inputs=dict(inputs), conditions=list(conditions), created_at=utcnow()))
    await record(ctx, "signing.risk_decided", target_type="signing", target_id=str(signing_id),
                 after={"outcome": outcome, "reasons": list(reasons), "conditions": list(conditions)})
    return decision_id


async def _decline(ctx: TenantContext, row: dict[str, Any], reasons: Sequence[str], *,
                   inputs: Mapping[str, Any]) -> None:
    await _store_decision(ctx, row["id"], rules.DECLINE, reasons, inputs)
    await _update(ctx, row["id"], {Signing.state: rules.DECLINED, Signing.risk_outcome: rules.DECLINE,
                                   Signing.decline_reason: reasons[0] if reasons else ""})


async def _other_stores(ctx: TenantContext, *, id_idx: str, phone_idx: str) -> tuple[int, int]:
    """In how many other stores the same ID number / phone started a signing: counts only, no names."""
    async with platform_scope("signing anti-fraud: the same person across stores"):
        by_id = await Signing.raw(
            "SELECT count(DISTINCT tenant_id) AS n FROM signing WHERE id_index = {} AND tenant_id <> {}",
            id_idx, ctx.tenant_id)
        by_phone = await Signing.raw(
            "SELECT count(DISTINCT tenant_id) AS n FROM signing WHERE phone_index = {} AND tenant_id <> {}",
            phone_idx, ctx.tenant_id)
    return int(by_id[0]["n"]), int(by_phone[0]["n"])


async def run_risk(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID) -> SigningView:
    """Decide: hard rules, the credit gate (the store's credit provider), anti-fraud signals.

    Stores a ``risk_decision`` with its inputs and reasons. Approve completes the step; conditional
    asks for a down payment or a proof; decline and manual review close the signing for the customer.

    Raises:
        Conflict: ``SIGNING_PROVIDER_PENDING`` when the credit check has no answer yet (ask again).
    """
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.RISK)
        if row["risk_outcome"] == rules.CONDITIONAL:
            return _view(row)  # waiting for the customer's choice: a down payment or a proof
        since = utcnow() - timedelta(hours=24)
        attempts = await Signing.count().where(
            (Signing.tenant_id == ctx.tenant_id) & (Signing.id != signing_id) & (Signing.created_at > since)
            & ((Signing.phone_index == row["phone_index"]) | (Signing.id_index == row["id_index"])))
        plan = await plans.get_plan_version(ctx, row["plan_id"], row["plan_version"])
    name, id_number, phone = _person(ctx, row)
    terms = await merchants.current_terms(ctx)
    today = await _store_today(ctx)
    other_id, other_phone = await _other_stores(ctx, id_idx=row["id_index"], phone_idx=row["phone_index"])
    provider, pctx = await guarded_provider_for(ctx, "credit")
    check_id = f"credit-{signing_id}-{_person_key(name, id_number)}"
    outcome = await provider.check_person(pctx, PersonCheck(check_id=check_id, name=name, id_number=id_number,
                                                            mobile=phone, risk_amount_fen=plan.total_fen))
    if outcome.result.status in (ProviderStatus.PENDING, ProviderStatus.UNKNOWN):
        outcome = await provider.query_check(pctx, check_id)
    if outcome.result.status is not ProviderStatus.SUCCEEDED or outcome.decision is None:
        if outcome.result.status in (ProviderStatus.FAILED,) and outcome.result.error_code:
            raise ProviderFailed("the credit check could not be run", provider_code=outcome.result.error_code)
        raise ProviderPending("the credit check has not answered yet; try again in a moment")
    score = outcome.raw.get("score") if isinstance(outcome.raw, Mapping) else None
    refs = from_jsonb(row["refs"], {})
    declared = from_jsonb(row["answers"], {}).get("declared", {})
    inputs = rules.RiskInputs(
        age=rules.age_on(id_number, today), occupation=declared.get("occupation", ""),
        income=declared.get("income", ""), residence=declared.get("residence", ""),
        real_name_matched=bool(refs.get("real_name")), face_matched=bool(refs.get("face")),
        credit=outcome.decision.value, min_credit_score=terms.min_credit_score or rules.DEFAULT_MIN_SCORE,
        credit_score=int(score) if isinstance(score, int) else None,
        form_seconds=row["form_seconds"], edits=int(row["edits"] or 0), other_stores_id=other_id,
        other_stores_phone=other_phone, attempts=int(attempts), min_form_seconds=min_form_seconds)
    result = rules.decide(inputs)
    stored_inputs = {
        "age": inputs.age, "occupation": inputs.occupation, "income": inputs.income, "residence": inputs.residence,
        "real_name": refs.get("real_name"), "face_check": refs.get("face"), "credit": inputs.credit,
        "credit_reason": outcome.reason_code, "credit_reference": outcome.result.provider_reference,
        "credit_score": inputs.credit_score, "min_credit_score": inputs.min_credit_score,
        "form_seconds": inputs.form_seconds, "edits": inputs.edits, "other_stores_id": other_id,
        "other_stores_phone": other_phone, "attempts": inputs.attempts, "total_fen": plan.total_fen,
    }
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.RISK)
        refs = {**from_jsonb(row["refs"], {}), "credit": outcome.result.provider_reference or check_id}
        if result.outcome == rules.DECLINE:
            await _update(ctx, signing_id, {Signing.refs: refs})
            await _decline(ctx, row, result.reasons, inputs=stored_inputs)
        else:
            await _store_decision(ctx, signing_id, result.outcome, result.reasons, stored_inputs, result.conditions)
            values: dict[Any, Any] = {Signing.refs: refs, Signing.risk_outcome: result.outcome,
                                      Signing.conditions: list(result.conditions)}
            if result.outcome == rules.APPROVE:
                values[Signing.steps] = _complete(row, rules.RISK)
            elif result.outcome == rules.REVIEW:
                values[Signing.state] = rules.MANUAL_REVIEW
            await _update(ctx, signing_id, values)
        return _view(await _row(ctx, signing_id))


async def choose_down_payment(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID) -> SigningView:
    """A conditional decision met by a down payment (the store's terms, default 9,900 fen), charged
    once the debit agreement is signed, before the contract becomes active."""
    terms = await merchants.current_terms(ctx)
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.RISK)
        if row["risk_outcome"] != rules.CONDITIONAL:
            raise InvalidInput("no down payment is needed", field="condition")
        await _update(ctx, signing_id, {Signing.down_payment_fen: terms.down_payment_fen,
                                        Signing.down_payment_status: "due",
                                        Signing.steps: _complete(row, rules.RISK)})
        await record(ctx, "signing.down_payment_chosen", target_type="signing", target_id=str(signing_id),
                     after={"down_payment_fen": terms.down_payment_fen})
        return _view(await _row(ctx, signing_id))


async def upload_proof(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID, *, kind: str, data: bytes,
                       filename: str) -> SigningView:
    """A conditional decision met by a proof of income or residence: stored, then a manual review."""
    if kind not in ("income", "residence"):
        raise InvalidInput("choose what the proof shows", field="kind")
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.RISK)
        if row["risk_outcome"] != rules.CONDITIONAL:
            raise InvalidInput("no proof is needed", field="kind")
    stored = await storage.store_upload(data, filename=filename, purpose=PROOF_PURPOSE)
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.RISK)
        answers = dict(from_jsonb(row["answers"], {}))
        answers["proofs"] = [*answers.get("proofs", []), {"kind": kind, "key": stored.key, "sha256": stored.sha256,
                                                          "content_type": stored.content_type}]
        await _store_decision(ctx, signing_id, rules.REVIEW, ["PROOF_UPLOADED"], {"proof": kind})
        await _update(ctx, signing_id, {Signing.answers: answers, Signing.state: rules.MANUAL_REVIEW,
                                        Signing.risk_outcome: rules.REVIEW})
        return _view(await _row(ctx, signing_id))


# --- step 6: the contracts --------------------------------------------------------------------------

def _yuan(fen: int) -> str:
    return yuan(fen, grouping=True, symbol=True)


def build_documents(*, store_name: str, plan_name: str, contract_no: str, periods: int, monthly_amount_fen: int,
                    total_fen: int, debit_day: int, penalty_rate_bp: int, cooling_off_days: int, pet_name: str,
                    down_payment_fen: int) -> tuple[Document, ...]:
    """The adoption agreement and the debit authorisation as shown to the customer (key terms in bold)."""
    penalty = f"{penalty_rate_bp / 100:g}%"
    adoption = Document("adoption_agreement", "领养协议", (
        (DocumentPart(f"合同号 {contract_no}。甲方（门店）：{store_name}；乙方（领养人）：本人。"),),
        (DocumentPart("乙方领养宠物「"), DocumentPart(pet_name, True), DocumentPart("」，并选择月付套餐「"),
         DocumentPart(plan_name, True), DocumentPart("」。")),
        (DocumentPart("套餐共 "), DocumentPart(f"{periods} 期", True), DocumentPart("，每期 "),
         DocumentPart(_yuan(monthly_amount_fen), True), DocumentPart("，"),
         DocumentPart(f"总价 {_yuan(total_fen)}", True), DocumentPart("。")),
        (DocumentPart("签约后 "), DocumentPart(f"{cooling_off_days} 天内可无责取消", True),
         DocumentPart("（冷静期）。冷静期后提前解约，"),
         DocumentPart(f"违约金为剩余期数总额的 {penalty}", True), DocumentPart("。")),
        *(((DocumentPart("本次签约需支付首付款 "), DocumentPart(_yuan(down_payment_fen), True),
            DocumentPart("，"), DocumentPart("计入上述总价", True),
            DocumentPart("，从最后一期起依次抵扣（最后一期相应减少）。")),) if down_payment_fen else ()),
    ))
    debit = Document("debit_authorisation", "月付代扣授权协议", (
        (DocumentPart("乙方授权甲方通过持牌支付机构，于"), DocumentPart(f"每月 {debit_day} 日", True),
         DocumentPart("自动扣款 "), DocumentPart(_yuan(monthly_amount_fen), True), DocumentPart("，共 "),
         DocumentPart(f"{periods} 期", True), DocumentPart("。")),
        (DocumentPart("每次扣款前会提前通知；乙方可随时在支付平台查看或解除授权（解除后未付期数仍按合同履行）。"),),
    ))
    return adoption, debit


async def _ensure_contract(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID) -> ContractPreview:
    """The customer, the pet and the contract (pending signature) behind the contract step; made once.

    Two signings of the same pet at once: the second one's contract cannot become pending (409) and
    everything this call did is rolled back.
    """
    store = await get_own_tenant(ctx)
    async with tenant_scope(ctx):
        row = await _row(ctx, signing_id, lock=True, phone_idx=session.phone_index)
        steps = from_jsonb(row["steps"], {})
        if row["state"] != rules.COMPLETED:
            rules.check_state(row["state"])
        if rules.RISK not in steps:
            rules.check_step(rules.CONTRACT, steps, row["state"])
        answers = from_jsonb(row["answers"], {})
        pet_answers = answers.get("pet", {})
        if row["contract_id"] is None:
            name, id_number, phone = _person(ctx, row)
            address = _open(ctx.tenant_id, "address", row["address_sealed"])
            customer = await customers.upsert_customer(ctx, name=name, phone=phone, id_number=id_number,
                                                       address=address)
            birthday = date.fromisoformat(pet_answers["birthday"])
            pet_id = None
            for pet in await customers.list_pets(ctx, customer.id):
                if (pet.name, pet.species, pet.birthday) == (pet_answers["name"], pet_answers["species"], birthday):
                    pet_id = pet.id
                    break
            if pet_id is None:
                pet = await customers.add_pet(ctx, customer.id, name=pet_answers["name"],
                                              species=pet_answers["species"], breed=pet_answers.get("breed", ""),
                                              birthday=birthday,
                                              adoption_date=date.fromisoformat(pet_answers["adoption_date"]))
                pet_id = pet.id
            draft = await contracts.create_draft(
                ctx, customer_id=customer.id, pet_id=pet_id, plan_id=row["plan_id"], plan_version=row["plan_version"],
                debit_day=row["debit_day"], channel="mini_program" if row["channel"] == "mini_program" else "h5",
                started_by=f"customer {row['phone_masked']}")
            docs = build_documents(
                store_name=store.name, plan_name=draft.plan_name, contract_no=draft.contract_no,
                periods=draft.periods, monthly_amount_fen=draft.monthly_amount_fen, total_fen=draft.total_fen,
                debit_day=draft.debit_day, penalty_rate_bp=draft.penalty_rate_bp,
                cooling_off_days=draft.cooling_off_days, pet_name=pet_answers["name"],
                down_payment_fen=int(row["down_payment_fen"] or 0))
            view = await contracts.mark_pending_signature(ctx, draft.id, documents=[(d.kind, d.sha256()) for d in docs])
            await _update(ctx, signing_id, {Signing.customer_id: customer.id, Signing.pet_id: pet_id,
                                            Signing.contract_id: view.id})
        else:
            view = await contracts.get_contract(ctx, row["contract_id"])
            docs = build_documents(
                store_name=store.name, plan_name=view.plan_name, contract_no=view.contract_no, periods=view.periods,
                monthly_amount_fen=view.monthly_amount_fen, total_fen=view.total_fen, debit_day=view.debit_day,
                penalty_rate_bp=view.penalty_rate_bp, cooling_off_days=view.cooling_off_days,
                pet_name=pet_answers.get("name", ""), down_payment_fen=int(row["down_payment_fen"] or 0))
    return ContractPreview(signing_id, view.id, view.contract_no, store.name, view.plan_name, view.periods,
                           view.monthly_amount_fen, view.total_fen, view.debit_day, view.penalty_rate_bp,
                           view.cooling_off_days, int(row["down_payment_fen"] or 0), docs)


async def contract_preview(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID) -> ContractPreview:
    """What the customer reads before signing (the total price first). Creates the pending contract once.

    Raises:
        Conflict: ``SIGNING_STEP_OUT_OF_ORDER`` before the risk decision; ``CONTRACT_PET_HAS_OPEN_CONTRACT``
            when the pet is already being signed or under contract.
    """
    return await _ensure_contract(ctx, session, signing_id)


async def contract_pdf(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID) -> bytes:
    preview = await _ensure_contract(ctx, session, signing_id)
    return await contracts.render_pdf(ctx, preview.contract_id)


async def start_esign(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID, *, agree_terms: bool,
                      return_url: str = "") -> SigningView:
    """Start the e-sign flow of the contract PDF (its link is in ``action_urls["esign"]``).

    Raises:
        ValidationFailed: ``SIGNING_CONSENT_REQUIRED`` without the consent to the contract terms.
        Conflict: ``SIGNING_STEP_OUT_OF_ORDER`` before the identity check and the risk decision.
    """
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.CONTRACT)
    if not agree_terms:
        raise ConsentRequired("read and agree to the contract terms first", field="agree_terms")
    preview = await _ensure_contract(ctx, session, signing_id)
    pdf = await contracts.render_pdf(ctx, preview.contract_id)
    name, id_number, phone = _person(ctx, row)
    provider, pctx = await guarded_provider_for(ctx, "identity")
    flow_id = f"esign-{signing_id}"
    flow = await provider.start_sign_flow(pctx, SignFlowRequest(
        flow_id=flow_id, document_name=f"{preview.contract_no}.pdf", document_pdf=pdf,
        signers=[Signer(kind="person", name=name, id_number=id_number, mobile=phone),
                 Signer(kind="organisation", name=preview.store_name)], return_url=return_url))
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.CONTRACT)
        refs = dict(from_jsonb(row["refs"], {}))
        refs["esign_flow_id"] = flow_id
        if flow.action is not None:
            refs["esign_url"] = str(flow.action.payload.get("url", ""))
        answers = dict(from_jsonb(row["answers"], {}))
        answers["consents"] = {**answers.get("consents", {}), "contract_terms": True}
        await _update(ctx, signing_id, {Signing.refs: refs, Signing.answers: answers})
    if flow.result.status is ProviderStatus.FAILED:
        raise ProviderFailed("the e-sign flow could not be started", provider_code=flow.result.error_code)
    return await get_signing(ctx, session, signing_id)


async def finish_esign(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID) -> SigningView:
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.CONTRACT)
    flow_id = from_jsonb(row["refs"], {}).get("esign_flow_id")
    if not flow_id:
        raise ProviderPending("start the e-signature first")
    provider, pctx = await guarded_provider_for(ctx, "identity")
    result = await provider.query_sign_flow(pctx, flow_id)
    signed_hashes: list[str] = []
    if result.status is ProviderStatus.SUCCEEDED:
        try:
            for item in await provider.download_evidence(pctx, flow_id):
                if item.kind.value == "signed_document":
                    signed_hashes.append(hashlib.sha256(item.content).hexdigest())
        except Exception:
            log.warning("e-sign evidence download failed", extra={"signing_id": str(signing_id)})
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.CONTRACT)
        refs = dict(from_jsonb(row["refs"], {}))
        if result.status is ProviderStatus.SUCCEEDED:
            refs["esign"] = result.provider_reference or flow_id
            refs["esign_at"] = utcnow().isoformat()
            refs["signed_document_sha256"] = signed_hashes[0] if signed_hashes else ""
            refs.pop("esign_url", None)
            await _update(ctx, signing_id, {Signing.refs: refs, Signing.steps: _complete(row, rules.CONTRACT)})
            await record(ctx, "signing.contract_signed", target_type="signing", target_id=str(signing_id),
                         after={"esign": refs["esign"]})
            return _view(await _row(ctx, signing_id))
        if result.status is ProviderStatus.FAILED:
            refs.pop("esign_url", None)
            refs.pop("esign_flow_id", None)
            await _update(ctx, signing_id, {Signing.refs: refs})
    if result.status is ProviderStatus.FAILED:
        raise ProviderFailed("the contract was not signed", provider_code=result.error_code)
    raise ProviderPending("the contract is not signed yet; sign it and come back")


# --- step 7: the debit authorisation, then activation ---------------------------------------------------

def _first_debit_on(today: date, debit_day: int, cooling_off_days: int) -> date:
    start = today + timedelta(days=cooling_off_days)
    year, month = start.year, start.month
    if start.day >= debit_day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, debit_day)


async def start_debit(ctx: TenantContext, session: SessionView, signing_id: uuid.UUID, *, agree_debit: bool,
                      return_url: str = "") -> SigningView:
    """Ask the payer to sign the debit agreement (its link is in ``action_urls["agreement"]``)."""
    if not agree_debit:
        raise ConsentRequired("agree to the debit authorisation first", field="agree_debit")
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.DEBIT)
    contract = await contracts.get_contract(ctx, row["contract_id"])
    store = await get_own_tenant(ctx)
    provider, pctx = await guarded_provider_for(ctx, "payments")
    agreement_id = f"agr-{signing_id.hex[:24]}"
    today = await _store_today(ctx)
    answer = await provider.sign_agreement(pctx, AgreementRequest(
        agreement_id=agreement_id, payer_reference="", display_account=f"{store.name} {contract.plan_name}"[:60],
        max_amount_fen=contract.monthly_amount_fen, period_months=1,
        first_debit_on=_first_debit_on(today, contract.debit_day, contract.cooling_off_days),
        total_payments=contract.periods, return_url=return_url,
        channel="mini_program" if row["channel"] == "mini_program" else "h5"))
    async with tenant_scope(ctx):
        row = await _locked_for_step(ctx, session, signing_id, rules.DEBIT)
        refs = dict(from_jsonb(row["refs"], {}))
        refs["agreement_id"] = agreement_id
        if answer.action is not None:
            refs["agreement_url"] = str(answer.action.payload.get("url", ""))
        answers = dict(from_jsonb(row["answers"], {}))
        answers["consents"] = {**answers.get("consents", {}), "debit_authorisation": True}
        await _update(ctx, signing_id, {Signing.refs: refs, Signing.answers: answers})
    if answer.result.status is ProviderStatus.FAILED:
        raise ProviderFailed("the debit authorisation could not be started", provider_code=answer.result.error_code)
    return await get_signing(ctx, session, signing_id)


async def _charge_down_payment(ctx: TenantContext, signing_id: uuid.UUID, refs: dict[str, Any], amount: int,
                               agreement_id: str, fee: int) -> tuple[str, dict[str, Any]]:
    """Charge the down payment once, like a debit: funds held, the platform fee (``fee``, from the
    contract's pinned terms) split off. An attempt whose outcome is unknown is queried before any retry;
    a failed attempt gets a new id (derived from the signing id and the attempt number)."""
    provider, pctx = await guarded_provider_for(ctx, "payments")
    attempt = int(refs.get("dp_attempt", 1))
    attempt_id = f"dp-{signing_id.hex[:24]}-{attempt}"
    status = refs.get("dp_status", "")
    result = None
    if status in ("unknown", "pending"):
        result = await provider.query_charge(pctx, attempt_id)
        if result.status is ProviderStatus.NOT_SUBMITTED and result.error_code == "NOT_FOUND":
            result = None  # never reached the provider: charging again with the same id is safe
    if result is None or result.status is ProviderStatus.NOT_SUBMITTED:
        result = await provider.charge(pctx, ChargeRequest(
            attempt_id=attempt_id, payment_id=f"down-payment-{signing_id}", agreement_id=agreement_id,
            amount_fen=amount, description="首付款", hold_funds=True, platform_fee_fen=fee))
        if result.status in (ProviderStatus.UNKNOWN, ProviderStatus.PENDING):
            result = await provider.query_charge(pctx, attempt_id)
    new = dict(refs)
    new["dp_attempt_id"] = attempt_id
    new["dp_status"] = result.status.value
    new["dp_fee_fen"] = fee
    new["dp_provider"] = provider.provider_name
    if result.status is ProviderStatus.SUCCEEDED:
        new["down_payment"] = result.provider_reference or attempt_id
        new["dp_collected_at"] = (await tenant_now(ctx)).isoformat()  # the store's clock, as billing's debits
    elif result.status is ProviderStatus.FAILED:
        new["dp_attempt"] = attempt + 1
        new["dp_error"] = result.error_code or ""
    elif result.status is ProviderStatus.NOT_SUBMITTED:
        new["dp_error"] = result.error_code or ""
    return result.status.value, new


async def _collect_down_payment(ctx: TenantContext, contract: contracts.ContractView, refs: Mapping[str, Any],
                                amount: int) -> None:
    """The down payment succeeded and the contract is active (inside the activating transaction): the
    ledger collection (funds held, fee, ``customer_receivable:<no>`` credited; released on the store's
    T+N business day) and the prepayment of the schedule from its last installment backwards. Both are
    idempotent on the down payment's attempt id."""
    from pawpay.platform.settlement import services as settlement

    attempt_id = str(refs["dp_attempt_id"])
    terms = await merchants.terms_version(ctx, contract.terms_version)
    collected_at = (datetime.fromisoformat(refs["dp_collected_at"]) if refs.get("dp_collected_at")
                    else await tenant_now(ctx))
    fee = int(refs["dp_fee_fen"]) if "dp_fee_fen" in refs else fee_for(amount, terms.fee_rate_bp)
    await contracts.apply_prepayment(ctx, contract.id, amount, reference=attempt_id, paid_at=collected_at)
    # Last in the transaction: the ledger's running balances lock the store's accounts until COMMIT.
    await settlement.record_collection(
        ctx, attempt_id=attempt_id, contract_ref=contract.contract_no, amount_fen=amount, fee_fen=fee,
        collected_at=collected_at, settlement_days=terms.settlement_days,
        provider_name=str(refs.get("dp_provider") or "unknown"))


async def finish_debit(  # noqa: PLR0915 - one transaction, read top to bottom
    ctx: TenantContext, session: SessionView, signing_id: uuid.UUID, *, ip: str = "", user_agent: str = "",
    device: str = "",
) -> contracts.ContractView:
    """The last step: the agreement is active, the payer is the signer, the down payment (if any) is
    paid (held, with the pinned platform fee), then the contract is activated with its evidence and, in
    the same transaction, the down payment is applied to the schedule as a prepayment and recorded as a
    collection (``settlement.record_collection``). Submitting it again returns the same contract
    (nothing is charged, recorded or activated twice).

    Raises:
        Conflict: ``SIGNING_PROVIDER_PENDING`` (authorisation or payment not final yet: ask again);
            ``SIGNING_STEP_OUT_OF_ORDER`` before the e-signature.
        BusinessRuleViolation: ``SIGNING_PROVIDER_FAILED`` (the down payment failed: try again).
    """
    async with tenant_scope(ctx):
        row = await _row(ctx, signing_id, phone_idx=session.phone_index)
        if row["state"] == rules.COMPLETED and row["contract_id"] is not None:
            return await contracts.get_contract(ctx, row["contract_id"])
        rules.check_step(rules.DEBIT, from_jsonb(row["steps"], {}), row["state"])
    refs = from_jsonb(row["refs"], {})
    agreement_id = refs.get("agreement_id")
    if not agreement_id:
        raise ProviderPending("start the debit authorisation first")
    provider, pctx = await guarded_provider_for(ctx, "payments")
    info = await provider.query_agreement(pctx, agreement_id)
    if info.state is AgreementState.PENDING_SIGNATURE:
        raise ProviderPending("the debit authorisation is not finished yet; finish it and come back")
    if info.state is not AgreementState.ACTIVE:
        raise ProviderFailed("the debit authorisation was not completed; start it again", state=info.state.value)
    # A provider that reports who signed the agreement (the blind index of their ID number,
    # ``signing-id-number``) lets the payer be matched with the signer; none of today's does.
    payer_hash = info.raw.get("payer_id_number_hash") if isinstance(info.raw, Mapping) else None
    payer_mismatch = bool(payer_hash) and payer_hash != row["id_index"]
    new_refs = {**refs, "agreement": info.provider_reference or agreement_id,
                "payer": info.payer_reference or ""}
    dp_status = ""
    amount = int(row["down_payment_fen"] or 0)
    if amount > 0 and row["down_payment_status"] != "succeeded" and not payer_mismatch:
        pending = await contracts.get_contract(ctx, row["contract_id"])
        pinned = await merchants.terms_version(ctx, pending.terms_version)  # the contract's pinned terms
        dp_status, new_refs = await _charge_down_payment(ctx, signing_id, new_refs, amount, agreement_id,
                                                         fee_for(amount, pinned.fee_rate_bp))
    async with tenant_scope(ctx):
        row = await _row(ctx, signing_id, lock=True, phone_idx=session.phone_index)
        if row["state"] == rules.COMPLETED and row["contract_id"] is not None:
            return await contracts.get_contract(ctx, row["contract_id"])
        rules.check_step(rules.DEBIT, from_jsonb(row["steps"], {}), row["state"])
        if payer_mismatch:
            await _update(ctx, signing_id, {Signing.refs: new_refs})
            await _decline(ctx, row, ["ID_MISMATCH_PAYER"], inputs={"payer": info.payer_reference})
            await contracts.abandon(ctx, row["contract_id"], reason="payer is not the signer")
            failure: PawPayError | None = ProviderFailed("the payer is not the person who signed")
        elif amount > 0 and row["down_payment_status"] != "succeeded" and dp_status != "succeeded":
            await _update(ctx, signing_id, {Signing.refs: new_refs, Signing.down_payment_status: dp_status})
            failure = (ProviderPending("the down payment is being confirmed; try again in a moment")
                       if dp_status in ("unknown", "pending") else
                       ProviderFailed("the down payment failed; check your balance and try again",
                                      provider_code=new_refs.get("dp_error")))
        else:
            failure = None
            if amount > 0 and dp_status == "succeeded":
                await _update(ctx, signing_id, {Signing.down_payment_status: "succeeded"})
            answers = from_jsonb(row["answers"], {})
            consents = {k: bool(v) for k, v in answers.get("consents", {}).items() if not k.endswith("_at")}
            consents.update({"contract_terms": True, "debit_authorisation": True})
            contract = await contracts.get_contract(ctx, row["contract_id"])
            documents = [(d["kind"], d["sha256"]) for d in contract.documents]
            if new_refs.get("signed_document_sha256"):
                documents.append(("signed_contract", new_refs["signed_document_sha256"]))
            esign_at = new_refs.get("esign_at")
            view = await contracts.activate(ctx, row["contract_id"], evidence=contracts.EvidenceInput(
                ip=ip, user_agent=user_agent, device=device, identity_reference=str(new_refs.get("real_name", "")),
                esign_reference=str(new_refs.get("esign", "")), face_check_reference=str(new_refs.get("face", "")),
                payment_agreement_reference=str(new_refs.get("agreement", "")), consents=consents,
                documents=documents, signed_at=datetime.fromisoformat(esign_at) if esign_at else None))
            if amount > 0 and new_refs.get("dp_attempt_id"):
                await _collect_down_payment(ctx, view, new_refs, amount)
            now = utcnow()
            await _update(ctx, signing_id, {Signing.refs: new_refs, Signing.steps: _complete(row, rules.DEBIT),
                                            Signing.state: rules.COMPLETED, Signing.completed_at: now})
            await record(ctx, "signing.completed", target_type="signing", target_id=str(signing_id),
                         after={"contract_id": str(view.id), "contract_no": view.contract_no,
                                "down_payment_fen": amount}, ip=(ip or "")[:64])
            return view
    assert failure is not None
    raise failure


# --- staff: the list, the review queue, links ---------------------------------------------------------

async def list_signings(ctx: TenantContext, *, state: str | None = None, limit: int = 50, offset: int = 0
                        ) -> tuple[list[SigningView], int]:
    """The store's signings, newest activity first (``state`` filters)."""
    where: Any = Signing.tenant_id == ctx.tenant_id
    if state:
        if state not in rules.STATES:
            raise InvalidInput("unknown state", field="state", allowed=list(rules.STATES))
        where &= Signing.state == state
    async with tenant_scope(ctx):
        rows = await Signing.select().where(where).order_by(Signing.updated_at, ascending=False).limit(
            limit).offset(offset)
        total = await Signing.count().where(where)
    return [_view(dict(r)) for r in rows], int(total)


async def staff_signing(ctx: TenantContext, signing_id: uuid.UUID) -> SigningView:
    async with tenant_scope(ctx):
        return _view(await _row(ctx, signing_id))


async def decisions(ctx: TenantContext, signing_id: uuid.UUID) -> list[RiskDecisionView]:
    async with tenant_scope(ctx):
        await _row(ctx, signing_id)
        rows = await RiskDecision.select().where(
            (RiskDecision.tenant_id == ctx.tenant_id) & (RiskDecision.signing_id == signing_id)
        ).order_by(RiskDecision.created_at)
    return [_decision_view(dict(r)) for r in rows]


async def review(ctx: TenantContext, signing_id: uuid.UUID, *, approve: bool, reason: str) -> SigningView:
    """A manager's verdict on a signing in manual review (audited). Approve: the customer goes on to
    the contracts; decline: the signing ends.

    Raises:
        ValidationFailed: no reason. Conflict: ``SIGNING_NOT_IN_REVIEW``.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required", field="reason")
    async with tenant_scope(ctx):
        row = await _row(ctx, signing_id, lock=True)
        if row["state"] != rules.MANUAL_REVIEW:
            raise NotInReview()
        verdict = rules.APPROVE if approve else rules.DECLINE
        latest = await RiskDecision.select(RiskDecision.id).where(
            (RiskDecision.tenant_id == ctx.tenant_id) & (RiskDecision.signing_id == signing_id)
        ).order_by(RiskDecision.created_at, ascending=False).first()
        who = ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else "staff")
        if latest is not None:
            await RiskDecision.update({
                RiskDecision.reviewed: True, RiskDecision.reviewer: who[:255], RiskDecision.review_outcome: verdict,
                RiskDecision.review_reason: reason[:2000], RiskDecision.reviewed_at: utcnow(),
            }).where((RiskDecision.tenant_id == ctx.tenant_id) & (RiskDecision.id == latest["id"]))
        if approve:
            await _update(ctx, signing_id, {Signing.state: rules.IN_PROGRESS, Signing.risk_outcome: rules.APPROVE,
                                            Signing.steps: _complete(row, rules.RISK)})
        else:
            await _update(ctx, signing_id, {Signing.state: rules.DECLINED, Signing.risk_outcome: rules.DECLINE,
                                            Signing.decline_reason: "MANUAL_REVIEW"})
        await record(ctx, "signing.reviewed", target_type="signing", target_id=str(signing_id),
                     before={"state": row["state"]}, after={"verdict": verdict, "reason": reason[:2000]})
        return _view(await _row(ctx, signing_id))


async def expire_stale(now: datetime) -> int:
    """Expire signings left in progress for :data:`STALE_AFTER`: a contract still pending signature
    is abandoned (the pet is free again), the signing becomes ``expired``. Also deletes one-time
    codes and sessions dead for :data:`PURGE_AFTER`. Runs in the periodic job's platform scope
    (or opens one); each store's changes in its own tenant scope, audited. Returns how many expired.
    """
    async with platform_scope("signing: expire abandoned signings"):
        stale = await Signing.select(Signing.id, Signing.tenant_id, Signing.contract_id).where(
            (Signing.state == rules.IN_PROGRESS) & (Signing.updated_at < now - STALE_AFTER)
        ).order_by(Signing.updated_at).limit(EXPIRE_BATCH)
        for item in stale:
            ctx = TenantContext(tenant_id=item["tenant_id"], actor_label="signing expiry")
            async with tenant_scope(ctx):
                row = await _row(ctx, item["id"], lock=True)
                if row["state"] != rules.IN_PROGRESS:
                    continue
                if row["contract_id"] is not None:
                    contract = await contracts.get_contract(ctx, row["contract_id"])
                    if contract.state in ("draft", "pending_signature"):
                        await contracts.abandon(ctx, contract.id, reason="signing abandoned by the customer")
                await _update(ctx, item["id"], {Signing.state: rules.EXPIRED})
                await record(ctx, "signing.expired", target_type="signing", target_id=str(item["id"]),
                             before={"state": row["state"]}, after={"state": rules.EXPIRED})
        await SigningOtp.delete().where(SigningOtp.created_at < now - PURGE_AFTER)
        await SigningSession.delete().where(SigningSession.expires_at < now - PURGE_AFTER)
    return len(stale)


async def signing_link(ctx: TenantContext, plan_id: uuid.UUID, *, base_url: str) -> str:
    """The customer's start link for a plan (for a QR shown at the counter). Staff only produce the
    link: the customer's session exists only after their own phone code. Audited."""
    plan = await plans.get_plan(ctx, plan_id)
    if not plan.active:
        raise InvalidInput("this plan is no longer offered", field="plan_id")
    store = await get_own_tenant(ctx)
    url = base_url.rstrip("/") + plans.signing_start_path(store.slug, plan.id)
    async with tenant_scope(ctx):
        await record(ctx, "signing.link_created", target_type="plan", target_id=str(plan.id), after={"url": url})
    return url
