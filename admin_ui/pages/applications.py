"""Store applications: the public ``/apply`` pages and the operators' review queue.

``/apply`` (public, zh-CN first, no JavaScript): start an application, then everything happens on
its resume page ``/apply/<token>`` (the token is the secret: whoever has the link may edit the
draft, upload documents and submit). ``/ops/applications``: the queue, the detail page and the
review actions. Every form shows the service's errors next to their fields; a failed post
changes nothing (the request's transaction rolls back on the 4xx answer).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import FLASH_COOKIE, clear_cookie, decode, flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form, parse_date
from pawpay.admin_ui.shell import (
    NON_FIELD,
    OPS,
    FieldErrors,
    Pager,
    Shell,
    current_url,
    is_form_error,
    parse_window,
    redirect,
)
from pawpay.admin_ui.translations import LOCALE_NAMES, LOCALES, html_lang, request_locale
from pawpay.platform.errors import NotFound, PawPayError, PermissionDenied, ValidationFailed
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity import services as identity
from pawpay.platform.identity.principal import Principal
from pawpay.platform.identity.roles import OPS_ADMIN, OPS_REVIEWER
from pawpay.platform.onboarding import rules
from pawpay.platform.onboarding import services as onboarding
from pawpay.platform.web.deps import OpsCtx

# Room for one file above the storage's own 10 MB limit, so that a too-large file gets the
# storage's field error rather than the framework's bare 413.
MAX_UPLOAD_REQUEST = 32 * 1024 * 1024
DRAFT_FIELDS = [f.name for f in dataclasses.fields(onboarding.ApplicationDraft)]
DOCUMENT_FIELDS = ("business_licence", "id_front", "id_back", "certificate", "photos", "file", "kind", "label")

# Service error codes -> the message a form shows (English msgids, translated by the catalogs).
MESSAGES: Mapping[str, str] = {
    "FIELD_REQUIRED": N_("required"),
    "FIELD_TOO_LONG": N_("too long"),
    "USCC_INVALID": N_("not a valid unified social credit code (the check character is wrong)"),
    "RESIDENT_ID_INVALID": N_("not a valid resident ID number (the check digit is wrong)"),
    "LEGAL_REP_MINOR": N_("the legal representative must be at least 18 years old"),
    "CERTIFICATE_EXPIRED": N_("the certificate has expired"),
    "OPENED_IN_FUTURE": N_("the opening date is in the future"),
    "PHONE_INVALID": N_("enter an 11-digit mainland mobile number"),
    "EMAIL_INVALID": N_("enter a valid e-mail address"),
    "DOCUMENT_MISSING": N_("upload this document"),
    "DOCUMENT_KIND_INVALID": N_("choose what the document is"),
    "PHOTO_LABEL_INVALID": N_("choose what the photo shows"),
    "PHOTO_COUNT": N_("upload 3 to 5 store photos"),
    "PHOTO_LABELS_MISSING": N_("the photos must include the pet selection area and the signing area"),
    "TOO_MANY_PHOTOS": N_("at most 5 store photos: remove one first"),
    "USCC_DUPLICATE": N_("another open or approved application has this unified social credit code"),
    "UPLOAD_TOO_LARGE": N_("the file is too large (at most 10 MB)"),
    "UPLOAD_TYPE_NOT_ALLOWED": N_("this type of file is not accepted: upload a JPEG, PNG or WebP image or a PDF"),
    "UPLOAD_NOT_AN_IMAGE": N_("the file is not a readable image"),
    "UPLOAD_EMPTY": N_("the file is empty"),
    "APPLICATION_NOT_EDITABLE": N_("the application is being reviewed and cannot be changed now"),
    "INVALID_TRANSITION": N_("this step is not possible in the application's current state"),
    "CHECKS_FAILED": N_("an automatic check failed: the application cannot be approved"),
    "REASON_REQUIRED": N_("give a reason"),
}
STATE_LABELS: Mapping[str, str] = {
    rules.DRAFT: N_("Draft"), rules.SUBMITTED: N_("Submitted"), rules.IN_REVIEW: N_("In review"),
    rules.NEEDS_INFO: N_("Needs more information"), rules.APPROVED: N_("Approved"), rules.REJECTED: N_("Rejected"),
}
DOCUMENT_LABELS: Mapping[str, str] = {
    "business_licence": N_("Business licence"), "id_front": N_("Legal representative's ID (front)"),
    "id_back": N_("Legal representative's ID (back)"), "certificate": N_("Animal epidemic-prevention certificate"),
    "photo": N_("Store photo"),
}
PHOTO_LABELS: Mapping[str, str] = {
    "pet_selection_area": N_("Pet selection area"), "signing_area": N_("Signing area"),
    "storefront": N_("Storefront"), "other": N_("Other"),
}
CHECK_LABELS: Mapping[str, str] = {
    rules.CHECK_USCC: N_("Unified social credit code checksum (GB 32100)"),
    rules.CHECK_ID: N_("Resident ID checksum (GB 11643)"),
    rules.CHECK_ADULT: N_("Legal representative is an adult"),
    rules.CHECK_CERTIFICATE: N_("Epidemic-prevention certificate present and valid"),
    rules.CHECK_OPERATING: N_("Store operating long enough (6 months, 3 if quality)"),
    rules.CHECK_CREDIT: N_("No serious dishonesty record"),
    rules.CHECK_PHOTOS: N_("3-5 store photos incl. pet selection and signing areas"),
}
CHECK_STATUS_LABELS: Mapping[str, str] = {
    rules.PASSED: N_("Passed"), rules.FAILED: N_("Failed"), rules.PENDING: N_("Pending"), rules.ERROR: N_("Error"),
}
FIELD_LABELS: Mapping[str, str] = {
    "store_name": N_("Store name"), "legal_name": N_("Legal entity name"),
    "uscc": N_("Unified social credit code"), "legal_rep_name": N_("Legal representative's name"),
    "legal_rep_id_number": N_("Legal representative's resident ID number"), "contact_name": N_("Contact name"),
    "contact_phone": N_("Contact mobile number"), "contact_email": N_("Contact e-mail"), "region": N_("Region"),
    "address": N_("Address"), "opened_on": N_("Opening date"),
    "certificate_number": N_("Epidemic-prevention certificate number"),
    "certificate_expires_on": N_("Certificate expiry date"),
}


def form_errors(exc: PawPayError) -> FieldErrors:
    """Every problem of a service error as ``{field: message}``; anything but 409/422 propagates."""
    if not is_form_error(exc):
        raise exc
    problems = exc.data.get("errors")
    if not problems:
        field_name = exc.data.get("field") or NON_FIELD
        return {field_name: MESSAGES.get(str(exc.code), exc.detail)}
    errors: FieldErrors = {}
    for problem in problems:
        errors.setdefault(problem["field"], MESSAGES.get(problem["code"], exc.detail))
    return errors


def read_draft(form: Form, errors: FieldErrors) -> tuple[onboarding.ApplicationDraft, dict[str, str]]:
    """The draft from a posted form, and the raw values to show again (dates checked here)."""
    raw = {name: form.text(name) for name in DRAFT_FIELDS if name != "legal_rep_id_number"}
    values: dict[str, Any] = dict(raw)
    for name in ("opened_on", "certificate_expires_on"):
        values[name] = parse_date(raw[name], name, errors)
    values["legal_rep_id_number"] = form.text("legal_rep_id_number")
    return onboarding.ApplicationDraft(**values), raw


def draft_values(view: onboarding.ApplicationView) -> dict[str, str]:
    values = {name: getattr(view, name) for name in DRAFT_FIELDS if name != "legal_rep_id_number"}
    return {k: (v.isoformat() if isinstance(v, date) else v or "") for k, v in values.items()}


def _common(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The public pages' context (the shell's, minus the signed-in parts)."""
    principal: Principal | None = request.scope.get("user")
    locale = request_locale(request)
    return {
        "principal": principal,
        # A signed-in operator looking at the page posts with the session cookie: send its token.
        "csrf_token": principal.csrf_token if principal and principal.csrf_token else "",
        "locale": locale, "html_lang": html_lang(locale),
        "locales": [(code, LOCALE_NAMES[code]) for code in LOCALES], "current_url": current_url(request),
        "flashes": decode(request.cookies.get(FLASH_COOKIE)),
        "labels": _labels(),
    }


def _labels() -> dict[str, Any]:
    return {"states": STATE_LABELS, "documents": DOCUMENT_LABELS, "photos": PHOTO_LABELS, "checks": CHECK_LABELS,
            "check_statuses": CHECK_STATUS_LABELS, "fields": FIELD_LABELS}


def _public(request: Request[Any, Any, Any], template: str, context: Mapping[str, Any], status_code: int = 200
            ) -> Template:
    ctx = {**_common(request), **context}
    return Template(template_name=template, context=ctx, status_code=status_code,
                    headers={"cache-control": "no-store", "referrer-policy": "no-referrer"},
                    cookies=[clear_cookie()] if ctx["flashes"] else [])


def _download_links(view: onboarding.ApplicationView) -> dict[uuid.UUID, str]:
    from pawpay.platform.storage import services as storage

    return {d.id: storage.download_url(d.file_key, filename=d.original_name) for d in view.documents}


# --- the applicant -------------------------------------------------------------------------------


@get("/apply", opt={"auth": "public"}, name="apply:start", include_in_schema=False)
async def apply_form(request: Request[Any, Any, Any]) -> Template:
    return _public(request, "applications/apply_start.html", {"form": {}, "errors": {}})


@post("/apply", opt={"auth": "public"}, name="apply:start-submit", include_in_schema=False, status_code=303)
async def apply_start(request: Request[Any, Any, Any]) -> Template | Redirect:
    form = await Form.read(request)
    errors: FieldErrors = {}
    draft, raw = read_draft(form, errors)
    if not errors:
        try:
            started = await onboarding.start_application(draft, base_url=str(request.base_url).rstrip("/"))
        except PawPayError as exc:
            errors = form_errors(exc)
        else:
            return redirect(started.resume_path + "?started=1")
    return _public(request, "applications/apply_start.html", {"form": raw, "errors": errors}, status_code=422)


async def _resume_page(request: Request[Any, Any, Any], token: str, *, errors: FieldErrors | None = None,
                       form: Mapping[str, str] | None = None, status_code: int = 200) -> Template:
    view = await onboarding.get_own_application(token)
    return _public(request, "applications/apply_resume.html", {
        "app": view, "token": token, "form": form if form is not None else draft_values(view),
        "errors": errors or {}, "resume_url": str(request.base_url).rstrip("/") + f"/apply/{token}",
        "started": request.query_params.get("started") == "1", "links": _download_links(view),
        "document_kinds": [*rules.SINGLE_DOCUMENTS, rules.PHOTO], "photo_labels": list(rules.PHOTO_LABELS),
        "document_fields": DOCUMENT_FIELDS,
    }, status_code=status_code)


@get("/apply/{token:str}", opt={"auth": "public"}, name="apply:resume", include_in_schema=False)
async def apply_resume(request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
    return await _resume_page(request, token)


@post("/apply/{token:str}", opt={"auth": "public"}, name="apply:save", include_in_schema=False, status_code=303)
async def apply_save(request: Request[Any, Any, Any], token: FromPath[str]) -> Template | Redirect:
    form = await Form.read(request)
    errors: FieldErrors = {}
    draft, raw = read_draft(form, errors)
    if not errors:
        try:
            await onboarding.update_application(token, draft)
        except PawPayError as exc:
            errors = form_errors(exc)
        else:
            return redirect(f"/apply/{token}", flash(N_("Saved. You can come back with your link at any time.")))
    return await _resume_page(request, token, errors=errors, form=raw, status_code=422)


@post("/apply/{token:str}/documents", opt={"auth": "public"}, name="apply:upload", include_in_schema=False,
      status_code=303, request_max_body_size=MAX_UPLOAD_REQUEST)
async def apply_upload(request: Request[Any, Any, Any], token: FromPath[str]) -> Template | Redirect:
    data = await request.form()
    upload = data.get("file")
    kind, label = data.get("kind"), data.get("label")
    errors: FieldErrors = {}
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors = {"file": MESSAGES["FIELD_REQUIRED"]}
    else:
        content = await upload.read()
        try:
            await onboarding.add_document(token, kind=kind if isinstance(kind, str) else "",
                                          label=label if isinstance(label, str) else "", data=content,
                                          filename=upload.filename)
        except PawPayError as exc:
            errors = form_errors(exc)
        else:
            return redirect(f"/apply/{token}#documents", flash(N_("Document uploaded.")))
    return await _resume_page(request, token, errors=errors, status_code=422)


@post("/apply/{token:str}/documents/{document_id:uuid}/remove", opt={"auth": "public"}, name="apply:remove",
      include_in_schema=False, status_code=303)
async def apply_remove(request: Request[Any, Any, Any], token: FromPath[str],
                       document_id: FromPath[uuid.UUID]) -> Template | Redirect:
    try:
        await onboarding.remove_document(token, document_id)
    except PawPayError as exc:
        return await _resume_page(request, token, errors=form_errors(exc), status_code=409)
    return redirect(f"/apply/{token}#documents", flash(N_("Document removed.")))


@post("/apply/{token:str}/submit", opt={"auth": "public"}, name="apply:submit", include_in_schema=False,
      status_code=303)
async def apply_submit(request: Request[Any, Any, Any], token: FromPath[str]) -> Template | Redirect:
    try:
        await onboarding.submit_application(token)
    except PawPayError as exc:
        errors = form_errors(exc)
        return await _resume_page(request, token, errors=errors, status_code=409 if exc.http_status == 409 else 422)
    return redirect(f"/apply/{token}", flash(N_("Application submitted. We will review it within 3 business days.")))


# --- operators -----------------------------------------------------------------------------------


class ApplicationPages(Controller):
    path = "/ops/applications"
    opt = {"auth": "platform"}
    include_in_schema = False

    @get("/", name="ops:applications")
    async def queue(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        errors: FieldErrors = {}
        limit, offset = parse_window(request.query_params, errors)
        q = request.query_params
        filters = {"state": q.get("state", ""), "mine": q.get("mine", ""), "overdue": q.get("overdue", ""),
                   "q": q.get("q", "")}
        if filters["state"] and filters["state"] not in rules.STATES:
            errors["state"] = N_("out of range")
            filters["state"] = ""
        views, total = await onboarding.list_applications(
            ctx, state=filters["state"] or None,
            assigned_to=shell.principal.account_id if filters["mine"] else None,
            overdue=bool(filters["overdue"]), search=filters["q"].strip() or None, limit=limit, offset=offset,
        )
        return shell.render("applications/queue.html", {
            "applications": views, "filters": filters, "errors": errors, "today": onboarding.today(),
            "pager": Pager(total=total, limit=limit, offset=offset, path="/ops/applications", params=filters),
            "states": [(s, STATE_LABELS[s]) for s in rules.STATES], "labels": _labels(),
            "can_create": bool(shell.principal.roles & {OPS_ADMIN, OPS_REVIEWER}),
        }, status_code=422 if errors else 200)

    @get("/new", name="ops:applications-new")
    async def new_form(self, request: Request[Any, Any, Any]) -> Template:
        shell = await Shell.load(request, OPS)
        return shell.render("applications/ops_new.html", {"form": {}, "errors": {}, "labels": _labels()})

    @post("/new", name="ops:applications-create", opt={"roles": {OPS_ADMIN, OPS_REVIEWER}}, status_code=201)
    async def create(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        errors: FieldErrors = {}
        draft, raw = read_draft(form, errors)
        if not errors:
            try:
                started = await onboarding.create_application(ctx, draft, quality=form.flag("quality"),
                                                              base_url=str(request.base_url).rstrip("/"))
            except PawPayError as exc:
                errors = form_errors(exc)
            else:
                return shell.render("applications/ops_created.html", {
                    "app": started.application,
                    "resume_url": str(request.base_url).rstrip("/") + started.resume_path,
                }, status_code=201)
        return shell.render("applications/ops_new.html", {"form": {**raw, "quality": form.flag("quality")},
                                                          "errors": errors, "labels": _labels()}, status_code=422)

    async def _detail(self, request: Request[Any, Any, Any], shell: Shell, ctx: OpsCtx, application_id: uuid.UUID,
                      *, errors: FieldErrors | None = None, approve_form: Mapping[str, Any] | None = None,
                      status_code: int = 200) -> Template:
        from pawpay.platform.merchants.services import default_terms

        detail = await onboarding.get_application(ctx, application_id)
        return shell.render("applications/detail.html", {
            "detail": detail, "app": detail.application, "errors": errors or {}, "labels": _labels(),
            "links": _download_links(detail.application), "today": onboarding.today(),
            "actions": rules.allowed_actions(detail.application.state),
            "approve": approve_form if approve_form is not None else {
                **dataclasses.asdict(default_terms()), "slug": "", "manager_email": detail.application.contact_email,
                "manager_name": detail.application.contact_name, "licence_expires_on": "", "comment": ""},
            "can_review": bool(shell.principal.roles & {OPS_ADMIN, OPS_REVIEWER}),
            "can_approve": OPS_ADMIN in shell.principal.roles,
            "reviewers": [(str(a.id), a.display_name or a.email) for a in await reviewers(ctx)],
        }, status_code=status_code)

    @get("/{application_id:uuid}", name="ops:application")
    async def detail(self, request: Request[Any, Any, Any], ctx: OpsCtx,
                     application_id: FromPath[uuid.UUID]) -> Template:
        shell = await Shell.load(request, OPS)
        return await self._detail(request, shell, ctx, application_id)

    @post("/{application_id:uuid}/{action:str}", name="ops:application-action",
          opt={"roles": {OPS_ADMIN, OPS_REVIEWER}}, status_code=303)
    async def act(self, request: Request[Any, Any, Any], ctx: OpsCtx, application_id: FromPath[uuid.UUID],
                  action: FromPath[str]) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        here = f"/ops/applications/{application_id}"
        approve_form: dict[str, Any] | None = None
        try:
            if action == "approve":
                if OPS_ADMIN not in shell.principal.roles:
                    raise PermissionDenied("your role does not allow this")
                approve_form, approved = await self._approve(ctx, application_id, form)
                # Shown once: the invitation link is a secret, never put in a cookie or a URL.
                return shell.render("applications/ops_approved.html", {
                    "approved": approved, "app": approved.application,
                    "invitation_url": (str(request.base_url).rstrip("/") + approved.invitation_url
                                       if approved.invitation_url.startswith("/") else approved.invitation_url),
                })
            if action == "new-link":
                started = await onboarding.new_resume_link(ctx, application_id,
                                                           base_url=str(request.base_url).rstrip("/"))
                return shell.render("applications/ops_created.html", {
                    "app": started.application, "new_link": True,
                    "resume_url": str(request.base_url).rstrip("/") + started.resume_path,
                })
            message = await _simple_action(ctx, shell, application_id, action, form)
        except PawPayError as exc:
            errors = form_errors(exc)
            if action == "approve" and approve_form is None:
                approve_form = dict(_form_items(form))
            return await self._detail(request, shell, ctx, application_id, errors=errors, approve_form=approve_form,
                                      status_code=409 if exc.http_status == 409 else 422)
        return redirect(here, flash(message))

    @staticmethod
    async def _approve(ctx: OpsCtx, application_id: uuid.UUID, form: Form
                       ) -> tuple[dict[str, Any], onboarding.ApprovedApplication]:
        from pawpay.platform.merchants.services import terms_from_form

        values: dict[str, Any] = dict(_form_items(form))
        errors: FieldErrors = {}
        licence = parse_date(form.text("licence_expires_on"), "licence_expires_on", errors)
        if errors:
            raise ValidationFailed(errors["licence_expires_on"], field="licence_expires_on")
        terms = terms_from_form(values)  # an unticked advances_allowed is absent: False
        approved = await onboarding.approve(
            ctx, application_id, slug=form.text("slug").lower(), manager_email=form.text("manager_email"),
            manager_name=form.text("manager_name"), terms=terms, licence_expires_on=licence,
            comment=form.text("comment"),
        )
        return values, approved


def _form_items(form: Form) -> list[tuple[str, str]]:
    return [(k, v) for k, v in form._items if k != "_csrf" and isinstance(v, str)]


async def _reviewer(ctx: OpsCtx, shell: Shell, choice: str) -> tuple[uuid.UUID | None, str]:
    """``me``, ``nobody`` or a reviewing operator's id -> (account id, label) for the assignment."""
    if choice in ("", "me"):
        return shell.principal.account_id, shell.principal.display_name or shell.principal.label
    if choice == "nobody":
        return None, ""
    for account in await reviewers(ctx):
        if str(account.id) == choice:
            return account.id, account.display_name or account.email
    raise ValidationFailed(N_("choose a reviewer"), field="to")


async def reviewers(ctx: OpsCtx) -> list[identity.AccountView]:
    """Active operators who may review (reviewers and administrators)."""
    return [a for a in await identity.list_operators(ctx)
            if a.is_active and {OPS_REVIEWER, OPS_ADMIN} & set(a.roles)]


ACTION_MESSAGES: Mapping[str, str] = {
    "assign": N_("Assignment saved."), "comment": N_("Comment added."),
    "quality": N_("Saved. Re-run the checks to apply it."), "checks": N_("Checks re-run."),
    "start-review": N_("Review started."), "request-info": N_("Sent back to the applicant for more information."),
    "reject": N_("Application rejected."),
}


async def _simple_action(ctx: OpsCtx, shell: Shell, application_id: uuid.UUID, action: str, form: Form) -> str:
    """Run one review action (all but approve); the flash message to show after it."""
    if action == "assign":
        reviewer_id, label = await _reviewer(ctx, shell, form.text("to"))
        await onboarding.assign(ctx, application_id, reviewer_id, label)
    elif action == "comment":
        await onboarding.add_comment(ctx, application_id, form.text("comment"))
    elif action == "quality":
        await onboarding.set_quality(ctx, application_id, form.flag("quality"))
    elif action == "checks":
        await onboarding.run_checks(ctx, application_id)
    elif action == "start-review":
        await onboarding.start_review(ctx, application_id)
    elif action == "request-info":
        await onboarding.request_info(ctx, application_id, form.text("reason"))
    elif action == "reject":
        await onboarding.reject(ctx, application_id, form.text("reason"))
    else:
        raise NotFound("Not Found")
    return ACTION_MESSAGES[action]


ROUTES: list[Any] = [apply_form, apply_start, apply_resume, apply_save, apply_upload, apply_remove, apply_submit,
                     ApplicationPages]
NAV: dict[str, list[NavItem]] = {
    OPS: [NavItem(label=N_("Applications"), path="/ops/applications", order=5)],
}
