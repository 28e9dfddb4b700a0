"""Store applications: start (applicant or operator), edit the draft, upload documents, submit,
automatic checks, and the operators' review up to approval (which provisions the store).

Two kinds of caller:

* **The applicant**, anonymous, holding the secret resume token from :func:`start_application`
  (only its SHA-256 is stored). Functions taking ``token`` are theirs; they may change the
  application only while it is a draft or needs more information.
* **Operators** (:class:`PlatformContext`): queue, detail, checks, assignment, comments and the
  workflow's transitions (:mod:`pawpay.platform.onboarding.rules` decides which are allowed).

Every write runs in ``platform_scope`` (applications belong to no store yet) and joins the
caller's transaction, so a request that fails leaves the application exactly as it was. Every
transition, comment and assignment is an ``application_event`` row and an audit record. The
applicant is told by SMS (the platform's notification provider) after the transaction commits.

The legal representative's resident ID number is sealed at rest (``crypto.seal``), found by
its blind index and shown masked everywhere; it is opened only to provision the approved store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pawpay.platform import crypto
from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound
from pawpay.platform.hooks import BusinessCheck, SmsMessage
from pawpay.platform.onboarding import rules
from pawpay.platform.onboarding.errors import (
    ApplicationInvalid,
    ChecksFailed,
    DuplicateUscc,
    NotEditable,
    ReasonRequired,
)
from pawpay.platform.onboarding.errors import OnboardingErrorCode as E
from pawpay.platform.onboarding.tables import ApplicationCheck, ApplicationDocument, ApplicationEvent, StoreApplication
from pawpay.platform.settings import get_settings
from pawpay.platform.tenancy.context import PlatformContext
from pawpay.platform.tenancy.scope import after_commit, platform_scope

if TYPE_CHECKING:
    from pawpay.platform.merchants.services import MerchantTermsInput, ProvisionedStore

log = logging.getLogger(__name__)

APPLICANT = PlatformContext(actor_label="applicant")
SYSTEM = PlatformContext(actor_label="onboarding")
RESUME_PATH = "/apply/{token}"
TARGET = "store_application"
# SMS templates (the platform's notification provider; the sandbox accepts any approved code).
SMS_STARTED = "PAWPAY_APPLY_STARTED"
SMS_STEP = {
    rules.SUBMITTED: "PAWPAY_APPLY_SUBMITTED",
    rules.IN_REVIEW: "PAWPAY_APPLY_IN_REVIEW",
    rules.NEEDS_INFO: "PAWPAY_APPLY_NEEDS_INFO",
    rules.APPROVED: "PAWPAY_APPLY_APPROVED",
    rules.REJECTED: "PAWPAY_APPLY_REJECTED",
}


# --- inputs and views ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplicationDraft:
    """An application's fields as the applicant (or an operator) entered them; any may be blank
    in a draft. Saving replaces every field, except that a blank ``legal_rep_id_number`` keeps
    the number on file (it is never shown again, so a form cannot send it back)."""

    store_name: str = ""
    legal_name: str = ""
    uscc: str = ""
    legal_rep_name: str = ""
    legal_rep_id_number: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    region: str = ""
    address: str = ""
    opened_on: date | None = None
    certificate_number: str = ""
    certificate_expires_on: date | None = None

    def cleaned(self) -> ApplicationDraft:
        stripped = {f.name: (getattr(self, f.name).strip() if isinstance(getattr(self, f.name), str)
                             else getattr(self, f.name)) for f in fields(self)}
        draft = ApplicationDraft(**stripped)
        return replace(draft, uscc=rules.clean_uscc(draft.uscc).upper(),
                       legal_rep_id_number=rules.clean_id_number(draft.legal_rep_id_number),
                       contact_phone=rules.clean_phone(draft.contact_phone))


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: uuid.UUID
    kind: str
    label: str
    content_type: str
    size: int
    original_name: str
    file_key: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CheckView:
    name: str
    status: str
    evidence: dict[str, Any]
    checked_at: datetime


@dataclass(frozen=True, slots=True)
class EventView:
    kind: str
    from_state: str
    to_state: str
    comment: str
    actor_id: uuid.UUID | None
    actor_label: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApplicationView:
    """An application as anyone may see it: the ID number only masked."""

    id: uuid.UUID
    state: str
    store_name: str
    legal_name: str
    uscc: str
    legal_rep_name: str
    legal_rep_id_masked: str
    contact_name: str
    contact_phone: str
    contact_email: str
    region: str
    address: str
    opened_on: date | None
    certificate_number: str
    certificate_expires_on: date | None
    quality: bool
    created_by: uuid.UUID | None
    assigned_to: uuid.UUID | None
    assigned_label: str
    submitted_at: datetime | None
    due_on: date | None
    decided_at: datetime | None
    provisioned_tenant_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    documents: list[DocumentView] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        return self.state in rules.EDITABLE

    @property
    def photos(self) -> list[DocumentView]:
        return [d for d in self.documents if d.kind == rules.PHOTO]

    def document(self, kind: str) -> DocumentView | None:
        return next((d for d in self.documents if d.kind == kind), None)

    def is_overdue(self, today: date) -> bool:
        return self.state in rules.AWAITING_OPERATOR and self.due_on is not None and self.due_on < today


@dataclass(frozen=True, slots=True)
class ApplicationDetail:
    application: ApplicationView
    checks: list[CheckView]
    events: list[EventView]


@dataclass(frozen=True, slots=True)
class StartedApplication:
    """A new application and its resume token (shown once; only its hash is kept)."""

    application: ApplicationView
    token: str
    resume_path: str


@dataclass(frozen=True, slots=True)
class ApprovedApplication:
    application: ApplicationView
    tenant_id: uuid.UUID
    slug: str
    invitation_url: str


# --- helpers -------------------------------------------------------------------------------------


def today() -> date:
    """The platform's local date (Asia/Shanghai by default): the date the rules are judged on."""
    return utcnow().astimezone(get_settings().zone).date()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _id_context(application_id: uuid.UUID) -> str:
    return f"onboarding:application:{application_id}:legal_rep_id"


def _id_index(id_number: str) -> str:
    return crypto.blind_index(id_number, purpose="onboarding:legal_rep_id")


def mask_id_number(id_number: str) -> str:
    return crypto.mask(id_number, keep_start=3, keep_end=2) if id_number else ""


def _document_view(row: Mapping[str, Any]) -> DocumentView:
    return DocumentView(id=row["id"], kind=row["kind"], label=row["label"], content_type=row["content_type"],
                        size=row["size"], original_name=row["original_name"], file_key=row["file_key"],
                        created_at=row["created_at"])


def _view(row: Mapping[str, Any], documents: list[DocumentView]) -> ApplicationView:
    names = {f.name for f in fields(ApplicationView)} - {"documents"}
    return ApplicationView(**{name: row[name] for name in names}, documents=documents)


async def _documents(application_id: uuid.UUID) -> list[DocumentView]:
    rows = await ApplicationDocument.select().where(
        ApplicationDocument.application_id == application_id
    ).order_by(ApplicationDocument.created_at)
    return [_document_view(r) for r in rows]


async def _load_row(*, application_id: uuid.UUID | None = None, token: str | None = None,
                    for_update: bool = False) -> dict[str, Any]:
    query = StoreApplication.select()
    if token is not None:
        query = query.where(StoreApplication.token_hash == hash_token(token))
    else:
        query = query.where(StoreApplication.id == application_id)
    if for_update:
        query = query.lock_rows("UPDATE")
    row: dict[str, Any] | None = await query.first()
    if row is None:
        raise NotFound("application not found")
    return row


async def _load_view(row: Mapping[str, Any]) -> ApplicationView:
    return _view(row, await _documents(row["id"]))


def _values(draft: ApplicationDraft) -> dict[str, Any]:
    return asdict(draft)


async def _check_uscc_free(uscc_: str, application_id: uuid.UUID | None) -> None:
    if not uscc_:
        return
    # Two applications racing with one USCC: the second waits here until the first commits, then
    # sees it (the partial unique index would otherwise turn the race into a 500).
    await StoreApplication.raw("SELECT pg_advisory_xact_lock(hashtextextended({}, 0))", f"onboarding:uscc:{uscc_}")
    query = StoreApplication.count().where(
        (StoreApplication.uscc == uscc_) & StoreApplication.state.is_in(list(rules.HOLDS_USCC))
    )
    if application_id is not None:
        query = query.where(StoreApplication.id != application_id)
    if await query:
        raise DuplicateUscc()


def _draft_columns(application_id: uuid.UUID, draft: ApplicationDraft) -> dict[Any, Any]:
    columns: dict[Any, Any] = {
        StoreApplication.store_name: draft.store_name, StoreApplication.legal_name: draft.legal_name,
        StoreApplication.uscc: draft.uscc, StoreApplication.legal_rep_name: draft.legal_rep_name,
        StoreApplication.contact_name: draft.contact_name, StoreApplication.contact_phone: draft.contact_phone,
        StoreApplication.contact_email: draft.contact_email, StoreApplication.region: draft.region,
        StoreApplication.address: draft.address, StoreApplication.opened_on: draft.opened_on,
        StoreApplication.certificate_number: draft.certificate_number,
        StoreApplication.certificate_expires_on: draft.certificate_expires_on,
    }
    if draft.legal_rep_id_number:
        columns.update({
            StoreApplication.legal_rep_id_sealed: crypto.seal(draft.legal_rep_id_number,
                                                              context=_id_context(application_id)),
            StoreApplication.legal_rep_id_index: _id_index(draft.legal_rep_id_number),
            StoreApplication.legal_rep_id_masked: mask_id_number(draft.legal_rep_id_number),
        })
    return columns


def _validate_draft(draft: ApplicationDraft) -> None:
    problems = rules.validate_fields(_values(draft), today())
    if problems:
        raise ApplicationInvalid(problems)


def _audit_view(view: ApplicationView) -> dict[str, Any]:
    """What the audit log keeps of an application: no ID number, no documents' keys."""
    return {"state": view.state, "store_name": view.store_name, "uscc": view.uscc,
            "legal_rep_id": view.legal_rep_id_masked, "contact_phone": crypto.mask(view.contact_phone)}


async def _event(ctx: PlatformContext, application_id: uuid.UUID, kind: str, *, from_state: str = "",
                 to_state: str = "", comment: str = "") -> None:
    await ApplicationEvent.insert(ApplicationEvent(
        application_id=application_id, kind=kind, from_state=from_state, to_state=to_state, comment=comment,
        actor_id=ctx.actor_id, actor_label=ctx.actor_label or "", created_at=utcnow(),
    ))


def _notify_later(phone: str, template: str, params: Mapping[str, str]) -> None:
    """Send an SMS to the applicant once the transaction has committed (never for a rollback)."""
    if not phone:
        return
    message = SmsMessage(message_id=f"onboarding-{uuid.uuid4().hex}", phone=phone, template_code=template,
                         params=dict(params))

    async def send() -> None:
        from pawpay.platform.providers.services import platform_provider_for

        provider, pctx = await platform_provider_for(SYSTEM, "notifications")
        result = await provider.send_sms(pctx, message)
        if result.status.value not in ("succeeded", "pending"):
            log.warning("applicant SMS not accepted", extra={
                "template": template, "status": result.status.value, "code": result.error_code})

    after_commit(send)


# --- the applicant ---------------------------------------------------------------------------------


async def start_application(draft: ApplicationDraft | None = None, *, ctx: PlatformContext | None = None,
                            quality: bool = False, base_url: str = "") -> StartedApplication:
    """Start an application (a draft) and return its secret resume token.

    ``ctx``: an operator creating it on a store's behalf (recorded as ``created_by``); ``None``
    for the applicant themself. The filled-in fields are validated (checksums, age, expiry); a
    draft may leave any blank. The resume link goes to the contact phone by SMS, if one is given
    (``base_url`` makes it absolute, e.g. ``https://pawpay.example``).

    Raises:
        ApplicationInvalid: a filled-in field is wrong (422, every problem listed).
        DuplicateUscc: another open or approved application has this USCC (409).
    """
    actor = ctx or APPLICANT
    draft = (draft or ApplicationDraft()).cleaned()
    _validate_draft(draft)
    token = secrets.token_urlsafe(32)
    application_id = uuid.uuid4()
    now = utcnow()
    async with platform_scope("onboarding: start an application", ctx):
        await _check_uscc_free(draft.uscc, None)
        row = StoreApplication(id=application_id, state=rules.DRAFT, token_hash=hash_token(token),
                               quality=quality, created_by=ctx.actor_id if ctx else None,
                               created_at=now, updated_at=now)
        await StoreApplication.insert(row)
        await StoreApplication.update(_draft_columns(application_id, draft)).where(
            StoreApplication.id == application_id)
        await _event(actor, application_id, "transition", to_state=rules.DRAFT,
                     comment="created by an operator" if ctx else "")
        view = await _load_view(await _load_row(application_id=application_id))
        await record(actor, "onboarding.application_started", target_type=TARGET, target_id=str(application_id),
                     after=_audit_view(view))
        path = RESUME_PATH.format(token=token)
        _notify_later(view.contact_phone, SMS_STARTED, {"store_name": view.store_name, "link": base_url + path})
    return StartedApplication(application=view, token=token, resume_path=path)


async def get_own_application(token: str) -> ApplicationView:
    """The application behind a resume token (NotFound for an unknown token)."""
    async with platform_scope("onboarding: applicant reads"):
        return await _load_view(await _load_row(token=token))


async def update_application(token: str, draft: ApplicationDraft) -> ApplicationView:
    """Save the applicant's draft (every field replaced; see :class:`ApplicationDraft`).

    Raises:
        NotFound: an unknown token.
        NotEditable: the application is not a draft and does not need more information (409).
        ApplicationInvalid, DuplicateUscc: as for :func:`start_application`.
    """
    draft = draft.cleaned()
    async with platform_scope("onboarding: applicant edits"):
        row = await _load_row(token=token, for_update=True)
        return await _save_draft(APPLICANT, row, draft)


async def _save_draft(actor: PlatformContext, row: Mapping[str, Any], draft: ApplicationDraft) -> ApplicationView:
    if row["state"] not in rules.EDITABLE:
        raise NotEditable(row["state"])
    _validate_draft(draft)
    await _check_uscc_free(draft.uscc, row["id"])
    await StoreApplication.update({
        **_draft_columns(row["id"], draft), StoreApplication.updated_at: utcnow(),
        StoreApplication.version: StoreApplication.version + 1,
    }).where(StoreApplication.id == row["id"])
    view = await _load_view(await _load_row(application_id=row["id"]))
    await record(actor, "onboarding.application_edited", target_type=TARGET, target_id=str(row["id"]),
                 before=_audit_view(_view(row, [])), after=_audit_view(view))
    return view


async def add_document(token: str, *, kind: str, data: bytes, filename: str, label: str = "") -> DocumentView:
    """Upload one document: the licence, an ID side, the certificate (each replaces an earlier one
    of its kind) or a store photo with its label (at most 5 photos).

    The file goes through ``storage.store_upload`` (real type sniffed, size limited, images
    re-encoded). Raises:
        NotFound, NotEditable: as for :func:`update_application`.
        ApplicationInvalid: an unknown kind or photo label, a sixth photo (``TOO_MANY_PHOTOS``).
        ValidationFailed: the storage's ``UPLOAD_*`` codes (too large, not an image, ...), ``field="file"``.
    """
    if kind not in rules.DOCUMENT_KINDS:
        raise ApplicationInvalid([("kind", str(E.DOCUMENT_KIND_INVALID))])
    if kind == rules.PHOTO and label not in rules.PHOTO_LABELS:
        raise ApplicationInvalid([("label", str(E.PHOTO_LABEL_INVALID))])
    async with platform_scope("onboarding: applicant uploads"):
        row = await _load_row(token=token, for_update=True)
        if row["state"] not in rules.EDITABLE:
            raise NotEditable(row["state"])
        existing = await _documents(row["id"])
        if kind == rules.PHOTO and len([d for d in existing if d.kind == rules.PHOTO]) >= rules.MAX_PHOTOS:
            raise ApplicationInvalid([("file", str(E.TOO_MANY_PHOTOS))])
        from pawpay.platform.storage import services as storage

        allowed = storage.IMAGE_TYPES if kind == rules.PHOTO else storage.IMAGE_OR_PDF
        stored = await storage.store_upload(data, filename=filename, purpose="onboarding", allowed=allowed)
        replaced = [d for d in existing if d.kind == kind and kind != rules.PHOTO]
        for old in replaced:
            await ApplicationDocument.delete().where(ApplicationDocument.id == old.id)
        doc = ApplicationDocument(application_id=row["id"], kind=kind, label=label if kind == rules.PHOTO else "",
                                  file_key=stored.key, content_type=stored.content_type, size=stored.size,
                                  sha256=stored.sha256, original_name=stored.original_name[:255], created_at=utcnow())
        await ApplicationDocument.insert(doc)
        await record(APPLICANT, "onboarding.document_added", target_type=TARGET, target_id=str(row["id"]),
                     after={"kind": kind, "label": doc.label, "size": stored.size, "sha256": stored.sha256,
                            "replaced": len(replaced)})
        for old in replaced:
            _delete_file_later(old.file_key)
        return _document_view(doc.to_dict())


def _delete_file_later(key: str) -> None:
    """Delete a replaced or removed file once the change is committed (kept if it rolls back)."""

    async def delete() -> None:
        from pawpay.platform.storage import services as storage

        await storage.delete_file(key)

    after_commit(delete)


async def remove_document(token: str, document_id: uuid.UUID) -> None:
    """Remove one of the application's documents (NotFound if it is not this application's)."""
    async with platform_scope("onboarding: applicant removes a document"):
        row = await _load_row(token=token, for_update=True)
        if row["state"] not in rules.EDITABLE:
            raise NotEditable(row["state"])
        doc = await ApplicationDocument.select().where(
            (ApplicationDocument.id == document_id) & (ApplicationDocument.application_id == row["id"])
        ).first()
        if doc is None:
            raise NotFound("document not found")
        await ApplicationDocument.delete().where(ApplicationDocument.id == document_id)
        await record(APPLICANT, "onboarding.document_removed", target_type=TARGET, target_id=str(row["id"]),
                     after={"kind": doc["kind"], "label": doc["label"]})
        _delete_file_later(doc["file_key"])


async def submit_application(token: str) -> ApplicationView:
    """Submit (or, after a request for more information, resubmit) the application.

    Validates everything (every problem at once), runs the automatic checks, sets the due date
    (3 business days after today) and tells the applicant by SMS.

    Raises:
        NotFound: an unknown token.
        InvalidTransition: not a draft or needs_info (409).
        ApplicationInvalid: what is wrong or missing (422; nothing changes).
        DuplicateUscc: another open or approved application has this USCC (409).
    """
    async with platform_scope("onboarding: applicant submits"):
        row = await _load_row(token=token, for_update=True)
        target = rules.next_state(row["state"], rules.SUBMIT)
        documents = await _documents(row["id"])
        values = {name: row[name] for name in rules.TEXT_FIELDS if name in row}
        values.update({name: row[name] for name in rules.DATE_FIELDS})
        problems = rules.validate_for_submit(
            values, [rules.DocumentFacts(d.kind, d.label) for d in documents], today(),
            id_number_on_file=bool(row["legal_rep_id_sealed"]),
        )
        if problems:
            raise ApplicationInvalid(problems)
        await _check_uscc_free(row["uscc"], row["id"])
        due_on = await _due_date(today())
        await StoreApplication.update({
            StoreApplication.state: target, StoreApplication.submitted_at: utcnow(),
            StoreApplication.due_on: due_on, StoreApplication.updated_at: utcnow(),
            StoreApplication.version: StoreApplication.version + 1,
        }).where(StoreApplication.id == row["id"])
        await _event(APPLICANT, row["id"], "transition", from_state=row["state"], to_state=target)
        await _run_checks(SYSTEM, row["id"])
        view = await _load_view(await _load_row(application_id=row["id"]))
        await record(APPLICANT, "onboarding.application_submitted", target_type=TARGET, target_id=str(row["id"]),
                     before={"state": row["state"]},
                     after={**_audit_view(view), "due_on": due_on.isoformat() if due_on else None})
        _notify_later(view.contact_phone, SMS_STEP[target], {"store_name": view.store_name,
                                                             "due_on": due_on.isoformat() if due_on else ""})
    return view


async def _due_date(day: date) -> date | None:
    """3 business days after ``day`` on the mainland-China calendar; ``None`` (and an operator
    alert) when the calendar does not cover those days yet: never guessed, never blocking a submit."""
    from pawpay.platform.business_calendar.errors import CalendarNotCovered
    from pawpay.platform.business_calendar.services import add_business_days

    try:
        return await add_business_days(day, rules.REVIEW_BUSINESS_DAYS)
    except CalendarNotCovered as exc:
        log.warning("no review due date: the business calendar does not cover %s", exc.day)
        from pawpay.platform.alerts.services import raise_alert

        await raise_alert(SYSTEM, key=f"calendar.coverage.{exc.day.year}", kind="calendar.coverage",
                          message=f"the business calendar does not cover {exc.day}; applications get no due date",
                          data={"day": exc.day.isoformat()})
        return None


# --- checks ----------------------------------------------------------------------------------------


async def _credit_check(application_id: uuid.UUID, legal_name: str, uscc_: str) -> rules.CheckOutcome:
    from pawpay.platform.providers.services import platform_provider_for

    # Same application and USCC -> same check id: re-running resolves a pending check.
    check_id = "app-" + hashlib.sha256(f"{application_id}:{uscc_}".encode()).hexdigest()[:32]
    try:
        provider, pctx = await platform_provider_for(SYSTEM, "credit")
        outcome = await provider.check_business(pctx, BusinessCheck(check_id=check_id, legal_name=legal_name,
                                                                    registration_number=uscc_))
    except Exception as exc:  # a provider fault is a recorded "error", never a failed submit
        log.warning("business credit check failed", extra={"error": type(exc).__name__})
        return rules.CheckOutcome(rules.CHECK_CREDIT, rules.ERROR, {"error": type(exc).__name__})
    result = outcome.result
    decision = outcome.decision.value if outcome.decision is not None else None
    return rules.CheckOutcome(rules.CHECK_CREDIT, rules.credit_status(result.status.value, decision), {
        "provider": "platform", "check_id": check_id, "status": result.status.value, "decision": decision,
        "reason_code": outcome.reason_code, "conditions": list(outcome.conditions),
        "provider_reference": result.provider_reference, "error_code": result.error_code,
    })


async def _run_checks(ctx: PlatformContext, application_id: uuid.UUID) -> list[CheckView]:
    row = await _load_row(application_id=application_id)
    documents = await _documents(application_id)
    day = today()
    id_number = (crypto.open_sealed(row["legal_rep_id_sealed"], context=_id_context(application_id))
                 if row["legal_rep_id_sealed"] else "")
    photos = [rules.DocumentFacts(d.kind, d.label) for d in documents if d.kind == rules.PHOTO]
    outcomes = [
        rules.check_uscc(row["uscc"]),
        rules.check_resident_id(id_number),
        rules.check_adult(id_number, day),
        rules.check_certificate(row["certificate_number"], row["certificate_expires_on"], day),
        rules.check_operating(row["opened_on"], day, quality=row["quality"]),
        await _credit_check(application_id, row["legal_name"], row["uscc"]),
        rules.check_photos(photos),
    ]
    now = utcnow()
    for outcome in outcomes:
        await ApplicationCheck.insert(ApplicationCheck(
            application_id=application_id, name=outcome.name, status=outcome.status,
            evidence=json.dumps(outcome.evidence), checked_at=now,
        )).on_conflict(
            target="application_check_uq_application_name", action="DO UPDATE",
            values=[ApplicationCheck.status, ApplicationCheck.evidence, ApplicationCheck.checked_at],
        )
    summary = {o.name: o.status for o in outcomes}
    await _event(ctx, application_id, "checks", comment=json.dumps(summary))
    await record(ctx, "onboarding.checks_run", target_type=TARGET, target_id=str(application_id), after=summary)
    return await _checks(application_id)


async def _checks(application_id: uuid.UUID) -> list[CheckView]:
    rows = await ApplicationCheck.select().where(ApplicationCheck.application_id == application_id)
    order = {name: i for i, name in enumerate(rules.CHECK_NAMES)}
    views = [CheckView(name=r["name"], status=r["status"], checked_at=r["checked_at"],
                       evidence=json.loads(r["evidence"]) if isinstance(r["evidence"], str) else dict(r["evidence"]))
             for r in rows]
    return sorted(views, key=lambda v: order.get(v.name, 99))


async def run_checks(ctx: PlatformContext, application_id: uuid.UUID) -> list[CheckView]:
    """Re-run every automatic check of a submitted application (an operator's action)."""
    async with platform_scope("onboarding: re-run checks", ctx):
        row = await _load_row(application_id=application_id, for_update=True)
        if row["state"] == rules.DRAFT:
            raise NotEditable(row["state"]) from None
        return await _run_checks(ctx, application_id)


# --- operators ---------------------------------------------------------------------------------------


async def create_application(ctx: PlatformContext, draft: ApplicationDraft, *, quality: bool = False,
                             base_url: str = "") -> StartedApplication:
    """An operator starts an application on a store's behalf (see :func:`start_application`)."""
    return await start_application(draft, ctx=ctx, quality=quality, base_url=base_url)


async def new_resume_link(ctx: PlatformContext, application_id: uuid.UUID, *, base_url: str = "") -> StartedApplication:
    """Replace the application's resume token (the old link stops working) and send the new link
    to the contact phone by SMS: for an applicant who lost theirs. Not for decided applications.

    Raises:
        NotFound; NotEditable: the application is approved or rejected (409).
    """
    token = secrets.token_urlsafe(32)
    async with platform_scope("onboarding: new resume link", ctx):
        row = await _load_row(application_id=application_id, for_update=True)
        if row["state"] in (rules.APPROVED, rules.REJECTED):
            raise NotEditable(row["state"])
        await StoreApplication.update({StoreApplication.token_hash: hash_token(token),
                                       StoreApplication.updated_at: utcnow()}).where(
            StoreApplication.id == application_id)
        await _event(ctx, application_id, "link", comment="new resume link")
        await record(ctx, "onboarding.resume_link_replaced", target_type=TARGET, target_id=str(application_id))
        view = await _load_view(await _load_row(application_id=application_id))
        path = RESUME_PATH.format(token=token)
        _notify_later(view.contact_phone, SMS_STARTED, {"store_name": view.store_name, "link": base_url + path})
    return StartedApplication(application=view, token=token, resume_path=path)


async def get_application(ctx: PlatformContext, application_id: uuid.UUID) -> ApplicationDetail:
    async with platform_scope("onboarding: application detail", ctx):
        row = await _load_row(application_id=application_id)
        events = await ApplicationEvent.select().where(
            ApplicationEvent.application_id == application_id
        ).order_by(ApplicationEvent.created_at)
        return ApplicationDetail(
            application=await _load_view(row), checks=await _checks(application_id),
            events=[EventView(kind=e["kind"], from_state=e["from_state"], to_state=e["to_state"],
                              comment=e["comment"], actor_id=e["actor_id"], actor_label=e["actor_label"],
                              created_at=e["created_at"]) for e in events],
        )


async def list_applications(
    ctx: PlatformContext, *, state: str | None = None, assigned_to: uuid.UUID | None = None,
    overdue: bool = False, search: str | None = None, limit: int = 50, offset: int = 0,
) -> tuple[list[ApplicationView], int]:
    """The review queue: newest submissions last (oldest waiting first), drafts at the end.

    ``search`` matches the store or legal name (substring) or the USCC (prefix); ``overdue``
    keeps applications awaiting an operator past their due date.
    """
    conditions: list[Any] = []
    if state:
        conditions.append(StoreApplication.state == state)
    if assigned_to is not None:
        conditions.append(StoreApplication.assigned_to == assigned_to)
    if overdue:
        conditions.append(StoreApplication.state.is_in(list(rules.AWAITING_OPERATOR)))
        conditions.append(StoreApplication.due_on < today())
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(StoreApplication.store_name.ilike(pattern) | StoreApplication.legal_name.ilike(pattern)
                          | StoreApplication.uscc.ilike(search.upper().replace("%", "") + "%"))
    async with platform_scope("onboarding: application queue", ctx):
        query = StoreApplication.select()
        count = StoreApplication.count()
        for condition in conditions:
            query = query.where(condition)
            count = count.where(condition)
        rows = await query.order_by(StoreApplication.submitted_at, StoreApplication.created_at).limit(
            limit).offset(offset)
        total = await count
    return [_view(r, []) for r in rows], total


async def set_quality(ctx: PlatformContext, application_id: uuid.UUID, quality: bool) -> ApplicationView:
    """Mark (or unmark) the store "quality": 3 months of operation suffice instead of 6. Re-run
    the checks afterwards to apply it."""
    async with platform_scope("onboarding: quality flag", ctx):
        row = await _load_row(application_id=application_id, for_update=True)
        await StoreApplication.update({StoreApplication.quality: quality, StoreApplication.updated_at: utcnow()}
                                      ).where(StoreApplication.id == application_id)
        await _event(ctx, application_id, "quality", comment="quality" if quality else "not quality")
        await record(ctx, "onboarding.quality_set", target_type=TARGET, target_id=str(application_id),
                     before={"quality": row["quality"]}, after={"quality": quality})
        return await _load_view(await _load_row(application_id=application_id))


async def assign(ctx: PlatformContext, application_id: uuid.UUID, reviewer_id: uuid.UUID | None,
                 reviewer_label: str = "") -> ApplicationView:
    """Assign a reviewer (``None``: unassign). A submitted application goes into review."""
    async with platform_scope("onboarding: assign", ctx):
        row = await _load_row(application_id=application_id, for_update=True)
        if row["state"] not in (rules.SUBMITTED, rules.IN_REVIEW, rules.NEEDS_INFO):
            raise NotEditable(row["state"])
        await StoreApplication.update({
            StoreApplication.assigned_to: reviewer_id, StoreApplication.assigned_label: reviewer_label[:255],
            StoreApplication.updated_at: utcnow(),
        }).where(StoreApplication.id == application_id)
        await _event(ctx, application_id, "assigned", comment=reviewer_label)
        await record(ctx, "onboarding.assigned", target_type=TARGET, target_id=str(application_id),
                     before={"assigned_to": str(row["assigned_to"]) if row["assigned_to"] else None},
                     after={"assigned_to": str(reviewer_id) if reviewer_id else None, "label": reviewer_label})
        if row["state"] == rules.SUBMITTED and reviewer_id is not None:
            await _transition(ctx, row, rules.START_REVIEW, "")
        return await _load_view(await _load_row(application_id=application_id))


async def add_comment(ctx: PlatformContext, application_id: uuid.UUID, comment: str) -> None:
    """An operator's note on the application (history only; the applicant is not told)."""
    comment = comment.strip()
    if not comment:
        raise ReasonRequired("comment")
    async with platform_scope("onboarding: comment", ctx):
        await _load_row(application_id=application_id)
        await _event(ctx, application_id, "comment", comment=comment[:4000])
        await record(ctx, "onboarding.commented", target_type=TARGET, target_id=str(application_id),
                     after={"comment": comment[:4000]})


async def _transition(ctx: PlatformContext, row: Mapping[str, Any], action: str, reason: str,
                      extra: Mapping[Any, Any] | None = None) -> ApplicationView:
    target = rules.next_state(row["state"], action)
    now = utcnow()
    changes: dict[Any, Any] = {StoreApplication.state: target, StoreApplication.updated_at: now,
                               StoreApplication.version: StoreApplication.version + 1, **(extra or {})}
    if target in (rules.APPROVED, rules.REJECTED):
        changes[StoreApplication.decided_at] = now
    await StoreApplication.update(changes).where(
        (StoreApplication.id == row["id"]) & (StoreApplication.state == row["state"]))
    await _event(ctx, row["id"], "transition", from_state=row["state"], to_state=target, comment=reason)
    await record(ctx, f"onboarding.application_{target}", target_type=TARGET, target_id=str(row["id"]),
                 before={"state": row["state"]}, after={"state": target, "reason": reason})
    view = await _load_view(await _load_row(application_id=row["id"]))
    _notify_later(view.contact_phone, SMS_STEP[target], {"store_name": view.store_name, "reason": reason[:200]})
    return view


async def start_review(ctx: PlatformContext, application_id: uuid.UUID) -> ApplicationView:
    async with platform_scope("onboarding: start review", ctx):
        row = await _load_row(application_id=application_id, for_update=True)
        return await _transition(ctx, row, rules.START_REVIEW, "")


async def request_info(ctx: PlatformContext, application_id: uuid.UUID, reason: str) -> ApplicationView:
    """Send the application back to the applicant, who edits it through the resume link."""
    if not reason.strip():
        raise ReasonRequired()
    async with platform_scope("onboarding: request info", ctx):
        row = await _load_row(application_id=application_id, for_update=True)
        return await _transition(ctx, row, rules.REQUEST_INFO, reason.strip())


async def reject(ctx: PlatformContext, application_id: uuid.UUID, reason: str) -> ApplicationView:
    if not reason.strip():
        raise ReasonRequired()
    async with platform_scope("onboarding: reject", ctx):
        row = await _load_row(application_id=application_id, for_update=True)
        return await _transition(ctx, row, rules.REJECT, reason.strip())


async def approve(
    ctx: PlatformContext, application_id: uuid.UUID, *, slug: str, manager_email: str, manager_name: str,
    terms: MerchantTermsInput, licence_expires_on: date | None = None, comment: str = "",
) -> ApprovedApplication:
    """Approve an application in review: provision the store (tenant in test mode, merchant
    profile, terms v1, the manager's invitation) in the same transaction, record its tenant id.

    Raises:
        InvalidTransition: the application is not in review (409).
        ChecksFailed: an automatic check failed (422); re-run them after fixing the cause.
        whatever ``merchants.services.provision_store`` raises (slug taken, bad terms, ...).
    """
    from pawpay.platform.merchants.services import StoreProfileInput, provision_store

    async with platform_scope("onboarding: approve", ctx):
        row = await _load_row(application_id=application_id, for_update=True)
        rules.next_state(row["state"], rules.APPROVE)
        failed = [c.name for c in await _checks(application_id) if c.status == rules.FAILED]
        if failed:
            raise ChecksFailed(failed)
        id_number = crypto.open_sealed(row["legal_rep_id_sealed"], context=_id_context(application_id))
        profile = StoreProfileInput(
            legal_name=row["legal_name"], uscc=row["uscc"], legal_rep_name=row["legal_rep_name"],
            legal_rep_id_number=id_number, contact_name=row["contact_name"], contact_phone=row["contact_phone"],
            contact_email=row["contact_email"], region=row["region"], address=row["address"],
            opened_on=row["opened_on"], certificate_number=row["certificate_number"],
            certificate_expires_on=row["certificate_expires_on"], licence_expires_on=licence_expires_on,
            quality=row["quality"],
        )
        provisioned: ProvisionedStore = await provision_store(
            ctx, slug=slug, name=row["store_name"], profile=profile, terms=terms, manager_email=manager_email,
            manager_name=manager_name, application_id=application_id,
        )
        view = await _transition(ctx, row, rules.APPROVE, comment.strip(),
                                 {StoreApplication.provisioned_tenant_id: provisioned.tenant_id})
    return ApprovedApplication(application=view, tenant_id=provisioned.tenant_id, slug=provisioned.slug,
                               invitation_url=provisioned.invitation_url)
