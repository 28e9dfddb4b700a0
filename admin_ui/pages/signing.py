"""The customer's signing pages (``/sign``) and the store's signing pages (``/admin/signings``).

``/sign/{store_slug}/...`` is public and phone-sized: the customer logs in with a code sent by SMS
(a signing session of its own, cookie ``pawpay_sign`` scoped to ``/sign``; never a staff session),
then walks the seven steps; every POST carries the session's form token. The routes run without
the request transaction (a staff member of another store opening the link must not have the page
run in their store's scope): the services open the store's tenant scope themselves.

``/admin/signings``: staff produce a customer's start link / QR for a plan, see the signings in
progress with their step, and managers decide the manual review queue (audited). Staff can never
complete a customer's step: the customer's session is created only by the phone code.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Pager, Shell, field_errors, is_form_error, parse_window, redirect
from pawpay.admin_ui.translations import html_lang, request_locale
from pawpay.platform.errors import NotFound, PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.settings import get_settings
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.plans import services as plans
from pawpay.tenants.signing import rules
from pawpay.tenants.signing import services as signing

SIGN = "/sign"
PAGE = "/admin/signings"
COOKIE = "pawpay_sign"
STAFF_ROLES = frozenset({MANAGER, FRONT_DESK, AFTER_SALES, FINANCE})
_PUBLIC = {"auth": "public", "transaction": False}
FORM_FIELDS = ("plan_id", "debit_day", "pet_name", "species", "breed", "birthday", "adoption_date", "name",
               "id_number", "address", "occupation", "income", "residence")
_NO_STORE = {"cache-control": "no-store", "referrer-policy": "no-referrer"}

STEP_TITLES = {
    rules.PLAN: N_("Choose a plan"),
    rules.PET: N_("Your pet"),
    rules.DETAILS: N_("Your details"),
    rules.IDENTITY: N_("Real-name and face check"),
    rules.RISK: N_("Eligibility check"),
    rules.CONTRACT: N_("Read and sign the contracts"),
    rules.DEBIT: N_("Authorise the monthly debit"),
}
STATE_LABELS = {
    rules.IN_PROGRESS: N_("In progress"),
    rules.MANUAL_REVIEW: N_("Manual review"),
    rules.DECLINED: N_("Declined"),
    rules.COMPLETED: N_("Signed"),
    rules.EXPIRED: N_("Expired"),
}
OUTCOME_LABELS = {
    rules.APPROVE: N_("Approved"),
    rules.CONDITIONAL: N_("Conditional"),
    rules.DECLINE: N_("Declined"),
    rules.REVIEW: N_("Manual review"),
}
REASON_LABELS = {
    "UNDERAGE": N_("Under 18"),
    "ID_MISMATCH_REAL_NAME": N_("Name and ID number do not match"),
    "ID_MISMATCH_FACE": N_("The face check shows another person"),
    "ID_MISMATCH_PAYER": N_("The payer is not the signer"),
    "DECLARED_STUDENT": N_("Declared student"),
    "NO_STABLE_INCOME": N_("No stable income declared"),
    "NO_FIXED_ADDRESS": N_("No fixed address declared"),
    "CREDIT_FAIL": N_("Credit check failed"),
    "CREDIT_CONDITIONAL": N_("Credit check conditional"),
    "SCORE_BELOW_THRESHOLD": N_("Credit score below the store's threshold"),
    "CREDIT_PASS": N_("Credit check passed"),
    "FORM_TOO_FAST": N_("Form filled in implausibly fast"),
    "MANY_EDITS": N_("Many edits"),
    "ID_IN_OTHER_STORES": N_("Same ID number at other stores"),
    "PHONE_IN_OTHER_STORES": N_("Same phone at other stores"),
    "MANY_ATTEMPTS": N_("Many attempts"),
    "PROOF_UPLOADED": N_("Proof uploaded"),
    "MANUAL_REVIEW": N_("Declined in manual review"),
}
OCCUPATION_LABELS = {
    "employed": N_("Employed"), "self_employed": N_("Self-employed"), "retired": N_("Retired"),
    "student": N_("Student"), "unemployed": N_("Not working"), "other": N_("Other"),
}
INCOME_LABELS = {"stable": N_("Stable income"), "unstable": N_("Irregular income"), "none": N_("No income")}
RESIDENCE_LABELS = {
    "owned": N_("Own home"), "rented": N_("Rented home"), "with_family": N_("With family"),
    "none": N_("No fixed address"),
}
SPECIES_LABELS = {"cat": N_("Cat"), "dog": N_("Dog")}
ANSWER_LABELS = {"occupation_labels": OCCUPATION_LABELS, "income_labels": INCOME_LABELS,
                 "residence_labels": RESIDENCE_LABELS}
# Service error details shown to the customer (translated by the catalogs).
SERVICE_MESSAGES = (
    N_("enter an 11-digit mainland mobile number"),
    N_("a code was sent a moment ago; wait a minute before asking again"),
    N_("too many codes were sent to this phone; try again in an hour"),
    N_("too many codes were asked from this network; try again later"),
    N_("the SMS could not be sent; try again in a minute"),
    N_("enter the 6-digit code from the SMS"),
    N_("ask for a code first"),
    N_("the code is wrong"),
    N_("this code was already used; ask for a new one"),
    N_("this code has expired; ask for a new one"),
    N_("too many wrong codes; ask for a new one"),
    N_("your sign-in has expired; sign in again with your phone"),
    N_("finish the earlier steps first"),
    N_("there is no such step"),
    N_("this step can no longer be changed"),
    N_("the store is reviewing your application; you will be told the result"),
    N_("this application was declined"),
    N_("this contract is already signed"),
    N_("this field is required"),
    N_("this text is too long"),
    N_("choose one of the options"),
    N_("enter the pet's birthday"),
    N_("the pet's birthday cannot be in the future"),
    N_("the adoption date cannot be in the future"),
    N_("the pet's birthday cannot be after its adoption date"),
    N_("the pet's birthday is too long ago"),
    N_("a resident ID number has 18 characters"),
    N_("the resident ID number is not valid (check digit or birth date)"),
    N_("the birth date in the ID number is in the future"),
    N_("this plan is no longer offered"),
    N_("choose one of the plan's debit days"),
    N_("this plan is for another kind of pet"),
    N_("the chosen plan is for another kind of pet"),
    N_("agree to the use of your face data for the check"),
    N_("the name and the ID number do not match; correct them and try again"),
    N_("the real-name check has not answered yet; try again in a moment"),
    N_("start the face check first"),
    N_("the face check did not pass; start it again"),
    N_("the face check is not finished yet; finish it and come back"),
    N_("the credit check could not be run"),
    N_("the credit check has not answered yet; try again in a moment"),
    N_("no down payment is needed"),
    N_("no proof is needed"),
    N_("choose what the proof shows"),
    N_("read and agree to the contract terms first"),
    N_("the e-sign flow could not be started"),
    N_("start the e-signature first"),
    N_("the contract was not signed"),
    N_("the contract is not signed yet; sign it and come back"),
    N_("agree to the debit authorisation first"),
    N_("the debit authorisation could not be started"),
    N_("start the debit authorisation first"),
    N_("the debit authorisation is not finished yet; finish it and come back"),
    N_("the debit authorisation was not completed; start it again"),
    N_("the payer is not the person who signed"),
    N_("the down payment is being confirmed; try again in a moment"),
    N_("the down payment failed; check your balance and try again"),
    N_("this store is not taking new signings right now"),
    N_("this link is not valid; ask the store for a new one"),
    N_("this pet already has a contract being signed or active"),
    N_("a reason is required"),
    N_("this signing is not waiting for a review"),
    N_("signing not found"),
    N_("the page has expired; reload it and try again"),
    N_("no such plan"),
    N_("this signing has expired; start again from the store's link"),
)


# --- the customer's side ------------------------------------------------------------------------------

def _cookie(token: str, max_age: int) -> Cookie:
    return Cookie(key=COOKIE, value=token, max_age=max_age, path=SIGN, httponly=True, samesite="lax",
                  secure=get_settings().secure_cookies)


def _ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


def _base(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


def _page(request: Request[Any, Any, Any], store: signing.StoreRef, template: str, context: dict[str, Any], *,
          status_code: int = 200, cookies: list[Cookie] | None = None) -> Template:
    locale = request_locale(request)
    return Template(template_name=f"signing/{template}", context={
        "locale": locale, "html_lang": html_lang(locale), "time_zone": store.time_zone, "store": store,
        "sign_base": f"{SIGN}/{store.slug}", "total_steps": rules.TOTAL_STEPS, "steps": rules.STEPS,
        "step_titles": STEP_TITLES, **context,
    }, status_code=status_code, cookies=cookies or [], headers=_NO_STORE)


async def _session(request: Request[Any, Any, Any], store: signing.StoreRef) -> signing.SessionView | None:
    try:
        return await signing.session_for(store.context(), request.cookies.get(COOKIE))
    except PawPayError:
        return None


def _plan_param(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _login_page(request: Request[Any, Any, Any], store: signing.StoreRef, *, plan: str, phone: str = "",
                stage: str = "phone", errors: FieldErrors | None = None, status_code: int = 200,
                sent: signing.OtpSent | None = None) -> Template:
    return _page(request, store, "login.html", {"plan": plan, "phone": phone, "stage": stage,
                                                "errors": errors or {}, "sent": sent}, status_code=status_code)


@get(SIGN + "/{store_slug:str}/start", opt=_PUBLIC, name="signing:start", include_in_schema=False)
async def start(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Template | Redirect:
    store = await signing.resolve_store(store_slug)
    plan_raw = request.query_params.get("plan") or ""
    if store.status != "active":
        return _login_page(request, store, plan=plan_raw, stage="closed",
                           errors={"__all__": N_("this store is not taking new signings right now")})
    session = await _session(request, store)
    if session is None:
        return _login_page(request, store, plan=plan_raw)
    try:
        view = await signing.start_signing(store.context(), session, _plan_param(plan_raw))
    except PawPayError as exc:
        if not (is_form_error(exc) or exc.http_status == 404):
            raise
        return _login_page(request, store, plan=plan_raw, stage="closed", errors={"__all__": exc.detail},
                           status_code=exc.http_status)
    return Redirect(path=f"{SIGN}/{store.slug}/s/{view.id}", status_code=303)


@post(SIGN + "/{store_slug:str}/code", opt=_PUBLIC, name="signing:code", include_in_schema=False, status_code=200)
async def send_code(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Template:
    store = await signing.resolve_store(store_slug)
    form = await Form.read(request)
    plan, phone = form.text("plan"), form.text("phone")
    try:
        sent = await signing.request_code(store.context(), phone, ip=_ip(request))
    except PawPayError as exc:
        if not is_form_error(exc):
            raise
        # A code sent a moment ago is still good: let the customer type it.
        stage = "code" if str(exc.code) == "SIGNING_OTP_RATE_LIMITED" else "phone"
        return _login_page(request, store, plan=plan, phone=phone, stage=stage,
                           errors=field_errors(exc, by_code={"SIGNING_OTP_RATE_LIMITED": "phone"}), status_code=422)
    return _login_page(request, store, plan=plan, phone=phone, stage="code", sent=sent)


@post(SIGN + "/{store_slug:str}/login", opt=_PUBLIC, name="signing:login", include_in_schema=False, status_code=303)
async def login(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Template | Redirect:
    store = await signing.resolve_store(store_slug)
    form = await Form.read(request)
    plan, phone = form.text("plan"), form.text("phone")
    try:
        token, _session_view = await signing.verify_code(store.context(), phone, form.text("code"), ip=_ip(request))
    except PawPayError as exc:
        if not is_form_error(exc):
            raise
        return _login_page(request, store, plan=plan, phone=phone, stage="code", errors=field_errors(exc),
                           status_code=422)
    max_age = int(rules.SESSION_TTL.total_seconds())
    target = f"{SIGN}/{store.slug}/start" + (f"?plan={plan}" if _plan_param(plan) else "")
    return Redirect(path=target, status_code=303, cookies=[_cookie(token, max_age)])


@post(SIGN + "/{store_slug:str}/logout", opt=_PUBLIC, name="signing:logout", include_in_schema=False,
      status_code=303)
async def logout(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Redirect:
    store = await signing.resolve_store(store_slug)
    token = request.cookies.get(COOKIE)
    if token:
        await signing.end_session(store.context(), token)
    return Redirect(path=f"{SIGN}/{store.slug}/start", status_code=303, cookies=[_cookie("", 0)])


async def _customer(request: Request[Any, Any, Any], store_slug: str
                    ) -> tuple[signing.StoreRef, signing.SessionView | None]:
    store = await signing.resolve_store(store_slug)
    return store, await _session(request, store)


def _relogin(store: signing.StoreRef) -> Redirect:
    return Redirect(path=f"{SIGN}/{store.slug}/start", status_code=303)


def _step_url(store: signing.StoreRef, signing_id: uuid.UUID, step: str | None = None) -> str:
    return f"{SIGN}/{store.slug}/s/{signing_id}" + (f"/{step}" if step else "")


@get(SIGN + "/{store_slug:str}/s/{signing_id:uuid}", opt=_PUBLIC, name="signing:current", include_in_schema=False)
async def current(request: Request[Any, Any, Any], store_slug: FromPath[str], signing_id: FromPath[uuid.UUID]
                  ) -> Redirect:
    store, session = await _customer(request, store_slug)
    if session is None:
        return _relogin(store)
    view = await signing.get_signing(store.context(), session, signing_id)
    if view.state != rules.IN_PROGRESS or view.next_step is None:
        return Redirect(path=_step_url(store, signing_id, "status"), status_code=303)
    return Redirect(path=_step_url(store, signing_id, view.next_step), status_code=303)


async def _step_context(store: signing.StoreRef, session: signing.SessionView, view: signing.SigningView,
                        step: str) -> dict[str, Any]:
    ctx = store.context()
    context: dict[str, Any] = {"signing": view, "step": step, "step_number": rules.step_number(step),
                               "csrf": "", "errors": {}, "values": {}}
    if step == rules.PLAN:
        offered = await plans.list_plans(ctx)
        context["plans"] = offered
        context["species_labels"] = SPECIES_LABELS
        chosen = view.plan_id or (offered[0].id if offered else None)
        context["values"] = {"plan_id": str(chosen) if chosen else "", "debit_day": str(view.debit_day or "")}
    elif step == rules.PET:
        pet = view.answers.get("pet", {})
        context["species_labels"] = SPECIES_LABELS
        context["values"] = {"pet_name": pet.get("name", ""), "species": pet.get("species", ""),
                             "breed": pet.get("breed", ""), "birthday": pet.get("birthday", ""),
                             "adoption_date": pet.get("adoption_date", "")}
        if view.plan_id and view.plan_version:
            plan = await plans.get_plan_version(ctx, view.plan_id, view.plan_version)
            context["values"].setdefault("species", plan.species)
            if not context["values"]["species"]:
                context["values"]["species"] = plan.species
    elif step == rules.DETAILS:
        await signing.mark_shown(ctx, session, view.id, rules.DETAILS)
        declared = view.answers.get("declared", {})
        context.update({"occupation_labels": OCCUPATION_LABELS, "income_labels": INCOME_LABELS,
                        "residence_labels": RESIDENCE_LABELS, "values": dict(declared)})
    elif step == rules.RISK:
        context["reason_labels"] = REASON_LABELS
    elif step in (rules.CONTRACT, rules.DEBIT):
        context["preview"] = await signing.contract_preview(ctx, session, view.id)
    if view.plan_id and view.plan_version and step != rules.PLAN:
        context["plan"] = await plans.get_plan_version(ctx, view.plan_id, view.plan_version)
    return context


@get(SIGN + "/{store_slug:str}/s/{signing_id:uuid}/{step:str}", opt=_PUBLIC, name="signing:step",
     include_in_schema=False)
async def step_page(request: Request[Any, Any, Any], store_slug: FromPath[str], signing_id: FromPath[uuid.UUID],
                    step: FromPath[str]) -> Template | Redirect:
    store, session = await _customer(request, store_slug)
    if session is None:
        return _relogin(store)
    view = await signing.get_signing(store.context(), session, signing_id)
    if step == "status" or view.state != rules.IN_PROGRESS or view.next_step is None:
        return await _status_page(request, store, session, view)
    if step not in rules.STEPS:
        raise NotFound("signing not found")
    if rules.STEPS.index(step) > rules.STEPS.index(view.next_step):
        return Redirect(path=_step_url(store, signing_id, view.next_step), status_code=303)
    try:
        context = await _step_context(store, session, view, step)
    except PawPayError as exc:
        if not is_form_error(exc):
            raise
        # E.g. the pet already has a contract being signed: say so instead of an error page.
        return _page(request, store, "status.html", {"signing": view, "contract": None, "errors": field_errors(exc),
                                                     "problem": True}, status_code=exc.http_status)
    context["csrf"] = rules.csrf_for(request.cookies.get(COOKIE) or "")
    return _page(request, store, f"step_{step}.html", context)


async def _status_page(request: Request[Any, Any, Any], store: signing.StoreRef, session: signing.SessionView,
                       view: signing.SigningView) -> Template:
    contract = None
    if view.state == rules.COMPLETED and view.contract_id is not None:
        from pawpay.tenants.contracts import services as contracts

        contract = await contracts.get_contract(store.context(), view.contract_id)
    return _page(request, store, "status.html", {"signing": view, "contract": contract,
                                                 "csrf": rules.csrf_for(request.cookies.get(COOKIE) or "")})


@get(SIGN + "/{store_slug:str}/s/{signing_id:uuid}/contract.pdf", opt=_PUBLIC, name="signing:pdf",
     include_in_schema=False)
async def contract_pdf(request: Request[Any, Any, Any], store_slug: FromPath[str], signing_id: FromPath[uuid.UUID]
                       ) -> Response[bytes] | Redirect:
    store, session = await _customer(request, store_slug)
    if session is None:
        return _relogin(store)
    pdf = await signing.contract_pdf(store.context(), session, signing_id)
    return Response(pdf, media_type="application/pdf", headers={
        **_NO_STORE, "content-disposition": 'inline; filename="contract.pdf"'})


def _date(raw: str, name: str, errors: FieldErrors) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = N_("enter a date like 2026-03-01")
        return None


async def _read_form(request: Request[Any, Any, Any]) -> tuple[Form, UploadFile | None]:
    data = await request.form()
    upload = data.get("file")
    return Form(list(data.multi_items())), upload if isinstance(upload, UploadFile) else None


async def _submit(  # noqa: PLR0912 - one branch per step and sub-action
    request: Request[Any, Any, Any], store: signing.StoreRef, session: signing.SessionView, signing_id: uuid.UUID,
    step: str, form: Form, upload: UploadFile | None,
) -> None:
    """Apply one posted step (or sub-action); raises the service's errors."""
    ctx = store.context()
    action = form.text("action")
    base = _base(request) + _step_url(store, signing_id, step)
    if step == rules.PLAN:
        plan_id = _plan_param(form.text("plan_id"))
        if plan_id is None:
            raise _FormErrors({"plan_id": N_("choose one of the options")})
        try:
            day = int(form.text("debit_day"))
        except ValueError:
            raise _FormErrors({"debit_day": N_("choose one of the options")}) from None
        await signing.submit_plan(ctx, session, signing_id, plan_id=plan_id, debit_day=day)
    elif step == rules.PET:
        errors: FieldErrors = {}
        birthday = _date(form.text("birthday"), "birthday", errors)
        adoption = _date(form.text("adoption_date"), "adoption_date", errors)
        if errors:
            raise _FormErrors(errors)
        await signing.submit_pet(ctx, session, signing_id, name=form.text("pet_name"), species=form.text("species"),
                                 breed=form.text("breed"), birthday=birthday, adoption_date=adoption)
    elif step == rules.DETAILS:
        await signing.submit_details(ctx, session, signing_id, name=form.text("name"),
                                     id_number=form.text("id_number"), address=form.text("address"),
                                     occupation=form.text("occupation"), income=form.text("income"),
                                     residence=form.text("residence"))
    elif step == rules.IDENTITY:
        if action == "finish":
            await signing.finish_identity(ctx, session, signing_id)
        else:
            await signing.start_identity(ctx, session, signing_id, face_consent=form.flag("face_consent"),
                                         return_url=base)
    elif step == rules.RISK:
        if action == "down_payment":
            await signing.choose_down_payment(ctx, session, signing_id)
        elif action == "proof":
            data = await upload.read() if upload is not None else b""
            await signing.upload_proof(ctx, session, signing_id, kind=form.text("kind"), data=data,
                                       filename=upload.filename if upload is not None else "")
        else:
            await signing.run_risk(ctx, session, signing_id)
    elif step == rules.CONTRACT:
        if action == "finish":
            await signing.finish_esign(ctx, session, signing_id)
        else:
            await signing.start_esign(ctx, session, signing_id, agree_terms=form.flag("agree_terms"),
                                      return_url=base)
    elif step == rules.DEBIT:
        if action == "finish":
            await signing.finish_debit(ctx, session, signing_id, ip=_ip(request),
                                       user_agent=request.headers.get("user-agent", "")[:1000], device="h5")
        else:
            await signing.start_debit(ctx, session, signing_id, agree_debit=form.flag("agree_debit"),
                                      return_url=base)
    else:
        raise NotFound("signing not found")


class _FormErrors(Exception):
    def __init__(self, errors: FieldErrors) -> None:
        super().__init__("form errors")
        self.errors = errors


@post(SIGN + "/{store_slug:str}/s/{signing_id:uuid}/{step:str}", opt=_PUBLIC, name="signing:submit",
      include_in_schema=False, status_code=303)
async def submit(request: Request[Any, Any, Any], store_slug: FromPath[str], signing_id: FromPath[uuid.UUID],
                 step: FromPath[str]) -> Template | Redirect:
    store, session = await _customer(request, store_slug)
    if session is None:
        return _relogin(store)
    form, upload = await _read_form(request)
    token = request.cookies.get(COOKIE) or ""
    view = await signing.get_signing(store.context(), session, signing_id)
    errors: FieldErrors = {}
    if form.text("_csrf") != rules.csrf_for(token):
        errors = {"__all__": N_("the page has expired; reload it and try again")}
    else:
        try:
            await _submit(request, store, session, signing_id, step, form, upload)
        except _FormErrors as exc:
            errors = exc.errors
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            errors = field_errors(exc)
            if step not in (rules.PLAN, rules.PET, rules.DETAILS) and "__all__" not in errors:
                errors = {"__all__": next(iter(errors.values()))}
    view = await signing.get_signing(store.context(), session, signing_id)
    if not errors:
        return Redirect(path=_step_url(store, signing_id), status_code=303)
    if view.state != rules.IN_PROGRESS or view.next_step is None:
        return await _status_page(request, store, session, view)
    shown = step if step in rules.STEPS and rules.STEPS.index(step) <= rules.STEPS.index(view.next_step) \
        else view.next_step
    context = await _step_context(store, session, view, shown)
    context["csrf"] = rules.csrf_for(token)
    context["errors"] = errors
    context["values"] = {**context["values"], **{k: form.text(k) for k in FORM_FIELDS if form.text(k)}}
    return _page(request, store, f"step_{shown}.html", context, status_code=422)


# --- the store's side -----------------------------------------------------------------------------------

class SigningPages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": STAFF_ROLES}
    include_in_schema = False

    @get("/", name="signings:list")
    async def index(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        errors: FieldErrors = {}
        limit, offset = parse_window(request.query_params, errors)
        state = request.query_params.get("state") or ""
        if state and state not in rules.STATES:
            errors["state"] = N_("choose one of the options")
            state = ""
        rows, total = await signing.list_signings(ctx, state=state or None, limit=limit, offset=offset)
        queue, queued = await signing.list_signings(ctx, state=rules.MANUAL_REVIEW, limit=50)
        offered = await plans.list_plans(ctx)
        return shell.render("signing/list.html", {
            "rows": rows, "queue": queue, "queued": queued, "plans": offered, "state": state,
            "errors": errors, "state_labels": STATE_LABELS, "step_titles": STEP_TITLES,
            "outcome_labels": OUTCOME_LABELS, "total_steps": rules.TOTAL_STEPS, "steps": rules.STEPS,
            "pager": Pager(total=total, limit=limit, offset=offset, path=PAGE, params={"state": state}),
            "can_review": MANAGER in shell.principal.roles,
        }, status_code=422 if errors else 200)

    @post("/link", name="signings:link", opt={"roles": {MANAGER, FRONT_DESK}}, status_code=200)
    async def link(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        form = await Form.read(request)
        plan_id = _plan_param(form.text("plan_id"))
        if plan_id is None:
            return redirect(PAGE, flash(N_("Choose a plan first."), "warning"))
        shell = await Shell.load(request, ADMIN)
        url = await signing.signing_link(ctx, plan_id, base_url=_base(request))
        plan = await plans.get_plan(ctx, plan_id)
        qr = segno.make(url, error="m")
        return shell.render("signing/link.html", {"url": url, "plan": plan,
                                                  "qr_svg": qr.svg_inline(scale=6, border=2, title=plan.name)})

    @get("/{signing_id:uuid}", name="signings:detail")
    async def detail(self, request: Request[Any, Any, Any], ctx: TenantCtx, signing_id: FromPath[uuid.UUID]
                     ) -> Template:
        shell = await Shell.load(request, ADMIN)
        view = await signing.staff_signing(ctx, signing_id)
        return shell.render("signing/detail.html", {
            "signing": view, "decisions": await signing.decisions(ctx, signing_id), "state_labels": STATE_LABELS,
            "step_titles": STEP_TITLES, "outcome_labels": OUTCOME_LABELS, "reason_labels": REASON_LABELS,
            "steps": rules.STEPS, "total_steps": rules.TOTAL_STEPS, "errors": {},
            "can_review": MANAGER in shell.principal.roles, **ANSWER_LABELS,
        })

    @post("/{signing_id:uuid}/review", name="signings:review", opt={"roles": {MANAGER}}, status_code=303)
    async def review(self, request: Request[Any, Any, Any], ctx: TenantCtx, signing_id: FromPath[uuid.UUID]
                     ) -> Template | Redirect:
        form = await Form.read(request)
        approve = form.text("verdict") == "approve"
        try:
            await signing.review(ctx, signing_id, approve=approve, reason=form.text("reason"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            shell = await Shell.load(request, ADMIN)
            view = await signing.staff_signing(ctx, signing_id)
            return shell.render("signing/detail.html", {
                "signing": view, "decisions": await signing.decisions(ctx, signing_id),
                "state_labels": STATE_LABELS, "step_titles": STEP_TITLES, "outcome_labels": OUTCOME_LABELS,
                "reason_labels": REASON_LABELS, "steps": rules.STEPS, "total_steps": rules.TOTAL_STEPS,
                "errors": field_errors(exc), "can_review": True, **ANSWER_LABELS,
            }, status_code=422)
        message = N_("Approved: the customer can go on to the contracts.") if approve else N_("Declined.")
        return redirect(f"{PAGE}/{signing_id}", flash(message))


ROUTES: list[Any] = [start, send_code, login, logout, current, contract_pdf, step_page, submit, SigningPages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(label=N_("Signings"), path=PAGE, order=35, roles=STAFF_ROLES)],
}
