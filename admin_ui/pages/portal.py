"""The customer's own pages (``/sign/{store_slug}/my``): phone-sized, zh-CN first.

The customer signs in with the same phone-code session as the signing pages (cookie ``pawpay_sign``,
``signing.session_for``) and sees what is theirs only: the customer is the store's customer with the
session's phone number, and every contract, shipment and ticket shown or acted on is checked to be
that customer's (another customer's id is the same 404 as an unknown one). Pages: their contracts,
their shipments with tracking, their after-sales tickets (timeline, photos, reply, the answer to a
pause proposal) and a form to open a ticket with photos. ``/sign/{store_slug}/my/api/tickets`` is
the same as JSON (the session cookie plus the form token in ``x-csrftoken`` for POST).

Like the signing pages, the routes run without the request transaction (the services open the
store's tenant scope themselves).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages import signing as signing_pages
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.pages.aftersales import EVENT_LABELS, KIND_LABELS, PAUSE_LABELS, SHIPMENT_LABELS, STATE_LABELS
from pawpay.admin_ui.shell import FieldErrors, field_errors, is_form_error
from pawpay.admin_ui.translations import html_lang, request_locale
from pawpay.platform.crypto import mask
from pawpay.platform.errors import NotAuthenticated, NotFound, PawPayError, PermissionDenied
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.aftersales import rules
from pawpay.tenants.aftersales import services as aftersales
from pawpay.tenants.aftersales.schemas import CustomerTicketOut, OpenTicketBody
from pawpay.tenants.signing import rules as signing_rules
from pawpay.tenants.signing import services as signing

MY = "/sign/{store_slug:str}/my"
_PUBLIC = {"auth": "public", "transaction": False}
_NO_STORE = {"cache-control": "no-store", "referrer-policy": "no-referrer"}
CUSTOMER_KINDS = rules.KINDS
# What the customer's timeline shows (staff-only events such as assignment stay out).
CUSTOMER_EVENTS = frozenset({"opened", "start", "wait_customer", "customer_reply", "customer_note", "resolve",
                             "close", "reopen", "reshipped", "coupon_sent", "pause_proposed", "pause_agreed",
                             "pause_declined", "pause_applied", "escalated", "photos_added"})
CONTRACT_LABELS = {
    "active": N_("In force"), "completed": N_("Completed"), "terminated": N_("Terminated"),
    "cancelled": N_("Cancelled"), "draft": N_("Draft"), "pending_signature": N_("Awaiting signature"),
}
PORTAL_MESSAGES = (
    N_("My orders and after-sales"),
    N_("this field is required"),
    N_("this ticket is finished; open a new one"),
    N_("there is no pause proposal to answer"),
)


class _Customer:
    """The signed-in customer of one store (resolved from the session's phone number)."""

    def __init__(self, store: signing.StoreRef, session: signing.SessionView, customer_id: uuid.UUID | None,
                 token: str) -> None:
        self.store = store
        self.session = session
        self.customer_id = customer_id
        self.token = token
        # Who acted, in the ticket's log and the audit log: the customer (phone masked), not "signing".
        self.ctx = TenantContext(tenant_id=store.id, actor_label=f"customer {mask(session.phone)}")

    @property
    def csrf(self) -> str:
        return signing_rules.csrf_for(self.token)


async def _signed_in(request: Request[Any, Any, Any], store_slug: str
                     ) -> tuple[signing.StoreRef, _Customer | None]:
    from pawpay.tenants.customers import services as customers

    store = await signing.resolve_store(store_slug)
    token = request.cookies.get(signing_pages.COOKIE) or ""
    session = await signing_pages._session(request, store)
    if session is None:
        return store, None
    person = await customers.find_by_phone(store.context(), session.phone)
    return store, _Customer(store, session, person.id if person else None, token)


def _page(request: Request[Any, Any, Any], store: signing.StoreRef, template: str, context: dict[str, Any], *,
          status_code: int = 200, cookies: list[Any] | None = None) -> Template:
    locale = request_locale(request)
    return Template(template_name=f"portal/{template}", context={
        "locale": locale, "html_lang": html_lang(locale), "time_zone": store.time_zone, "store": store,
        "my_base": f"{signing_pages.SIGN}/{store.slug}/my", "kind_labels": KIND_LABELS, "state_labels": STATE_LABELS,
        "event_labels": EVENT_LABELS, "shipment_labels": SHIPMENT_LABELS, "contract_labels": CONTRACT_LABELS,
        "pause_labels": PAUSE_LABELS,
        "errors": {}, **context,
    }, status_code=status_code, cookies=cookies or [], headers=_NO_STORE)


def _login(request: Request[Any, Any, Any], store: signing.StoreRef, *, phone: str = "", stage: str = "phone",
           errors: FieldErrors | None = None, sent: signing.OtpSent | None = None, status_code: int = 200) -> Template:
    return _page(request, store, "login.html", {"phone": phone, "stage": stage, "errors": errors or {},
                                                "sent": sent}, status_code=status_code)


def _home(store: signing.StoreRef) -> str:
    return f"{signing_pages.SIGN}/{store.slug}/my"


async def _contracts(me: _Customer) -> list[Any]:
    from pawpay.tenants.contracts import services as contracts

    if me.customer_id is None:
        return []
    rows, _total = await contracts.list_contracts(me.ctx, customer_id=me.customer_id, limit=50)
    return [c for c in rows if c.state not in ("draft", "pending_signature")]


async def _shipments(me: _Customer) -> list[Any]:
    from pawpay.tenants.fulfilment import services as fulfilment

    if me.customer_id is None:
        return []
    rows, _total = await fulfilment.list_shipments(me.ctx, customer_id=me.customer_id, limit=50)
    return rows


async def _own_shipment(me: _Customer, shipment_id: uuid.UUID) -> Any:
    from pawpay.tenants.fulfilment import services as fulfilment

    shipment = await fulfilment.get_shipment(me.ctx, shipment_id)
    if me.customer_id is None or shipment.customer_id != me.customer_id:
        raise NotFound("shipment not found")
    return shipment


# --- sign in (the signing session, landing back here) --------------------------------------------------

@get(MY, opt=_PUBLIC, name="portal:home", include_in_schema=False)
async def home(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Template:
    store, me = await _signed_in(request, store_slug)
    if me is None:
        return _login(request, store)
    tickets: list[Any] = []
    if me.customer_id is not None:
        tickets, _total = await aftersales.list_tickets(me.ctx, customer_id=me.customer_id, limit=50)
        tickets.sort(key=lambda t: t.created_at, reverse=True)
    return _page(request, store, "home.html", {
        "me": me, "contracts": await _contracts(me), "shipments": await _shipments(me), "tickets": tickets,
    })


@post(MY + "/code", opt=_PUBLIC, name="portal:code", include_in_schema=False, status_code=200)
async def send_code(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Template:
    store = await signing.resolve_store(store_slug)
    form = await Form.read(request)
    phone = form.text("phone")
    try:
        sent = await signing.request_code(store.context(), phone, ip=signing_pages._ip(request))
    except PawPayError as exc:
        if not is_form_error(exc):
            raise
        stage = "code" if str(exc.code) == "SIGNING_OTP_RATE_LIMITED" else "phone"
        return _login(request, store, phone=phone, stage=stage,
                      errors=field_errors(exc, by_code={"SIGNING_OTP_RATE_LIMITED": "phone"}), status_code=422)
    return _login(request, store, phone=phone, stage="code", sent=sent)


@post(MY + "/login", opt=_PUBLIC, name="portal:login", include_in_schema=False, status_code=303)
async def login(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Template | Redirect:
    store = await signing.resolve_store(store_slug)
    form = await Form.read(request)
    phone = form.text("phone")
    try:
        token, _view = await signing.verify_code(store.context(), phone, form.text("code"),
                                                 ip=signing_pages._ip(request))
    except PawPayError as exc:
        if not is_form_error(exc):
            raise
        return _login(request, store, phone=phone, stage="code", errors=field_errors(exc), status_code=422)
    max_age = int(signing_rules.SESSION_TTL.total_seconds())
    return Redirect(path=_home(store), status_code=303, cookies=[signing_pages._cookie(token, max_age)])


# --- shipments ------------------------------------------------------------------------------------------

@get(MY + "/shipments/{shipment_id:uuid}", opt=_PUBLIC, name="portal:shipment", include_in_schema=False)
async def shipment_page(request: Request[Any, Any, Any], store_slug: FromPath[str],
                        shipment_id: FromPath[uuid.UUID]) -> Template | Redirect:
    from pawpay.tenants.fulfilment import services as fulfilment

    store, me = await _signed_in(request, store_slug)
    if me is None:
        return Redirect(path=_home(store), status_code=303)
    shipment = await _own_shipment(me, shipment_id)
    return _page(request, store, "shipment.html", {
        "me": me, "shipment": shipment, "tracking": await fulfilment.tracking(me.ctx, shipment_id)})


# --- tickets --------------------------------------------------------------------------------------------

async def _read(request: Request[Any, Any, Any]) -> tuple[Form, list[aftersales.PhotoUpload]]:
    data = await request.form()
    files = [f for f in data.getall("photos") if isinstance(f, UploadFile) and f.filename] \
        if "photos" in data else []
    return Form([(k, v) for k, v in data.multi_items() if not isinstance(v, UploadFile)]), \
        [aftersales.PhotoUpload(await f.read(), f.filename) for f in files]


async def _new_page(request: Request[Any, Any, Any], me: _Customer, *, errors: FieldErrors | None = None,
                    values: dict[str, str] | None = None, status_code: int = 200) -> Template:
    return _page(request, me.store, "new_ticket.html", {
        "me": me, "contracts": await _contracts(me), "shipments": await _shipments(me),
        "kinds": [(k, KIND_LABELS[k]) for k in CUSTOMER_KINDS], "errors": errors or {}, "values": values or {},
        "max_photos": rules.MAX_PHOTOS,
    }, status_code=status_code)


@get(MY + "/tickets/new", opt=_PUBLIC, name="portal:new_ticket", include_in_schema=False)
async def new_ticket(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Template | Redirect:
    store, me = await _signed_in(request, store_slug)
    if me is None or me.customer_id is None:
        return Redirect(path=_home(store), status_code=303)
    return await _new_page(request, me, values={"shipment_id": request.query_params.get("shipment") or ""})


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


@post(MY + "/tickets", opt=_PUBLIC, name="portal:open_ticket", include_in_schema=False, status_code=303)
async def open_ticket(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Template | Redirect:
    store, me = await _signed_in(request, store_slug)
    if me is None or me.customer_id is None:
        return Redirect(path=_home(store), status_code=303)
    form, uploads = await _read(request)
    values = {k: form.text(k) for k in ("kind", "contract_id", "shipment_id", "description")}
    errors: FieldErrors = {}
    if form.text("_csrf") != me.csrf:
        errors = {"__all__": N_("the page has expired; reload it and try again")}
    contract_id = _uuid(form.text("contract_id"))
    shipment_id = _uuid(form.text("shipment_id"))
    if not errors and contract_id is None and shipment_id is not None:
        try:
            contract_id = (await _own_shipment(me, shipment_id)).contract_id
        except NotFound:
            errors["shipment_id"] = N_("choose a shipment of this contract")
    if not errors and contract_id is None:
        errors["contract_id"] = N_("this field is required")
    if not errors and contract_id is not None:
        try:
            ticket = await aftersales.open_customer_ticket(
                me.ctx, me.customer_id, kind=form.text("kind"), contract_id=contract_id,
                description=form.text("description"), shipment_id=shipment_id, photos=uploads)
        except PawPayError as exc:
            if not is_form_error(exc) and exc.http_status != 404:
                raise
            errors = field_errors(exc, rename={"file": "photos"}) if exc.http_status != 404 else \
                {"contract_id": N_("this field is required")}
    if errors:
        return await _new_page(request, me, errors=errors, values=values, status_code=422)
    return Redirect(path=f"{_home(store)}/tickets/{ticket.id}", status_code=303)


async def _ticket_page(request: Request[Any, Any, Any], me: _Customer, ticket_id: uuid.UUID, *,
                       errors: FieldErrors | None = None, status_code: int = 200) -> Template:
    assert me.customer_id is not None
    ticket = await aftersales.customer_ticket(me.ctx, me.customer_id, ticket_id)
    timeline = [e for e in await aftersales.events(me.ctx, ticket_id) if e.kind in CUSTOMER_EVENTS]
    return _page(request, me.store, "ticket.html", {
        "me": me, "ticket": ticket, "events": timeline, "photos": await aftersales.photos(me.ctx, ticket_id),
        "coupons": await aftersales.coupons(me.ctx, ticket_id), "errors": errors or {},
    }, status_code=status_code)


@get(MY + "/tickets/{ticket_id:uuid}", opt=_PUBLIC, name="portal:ticket", include_in_schema=False)
async def ticket_page(request: Request[Any, Any, Any], store_slug: FromPath[str], ticket_id: FromPath[uuid.UUID]
                      ) -> Template | Redirect:
    store, me = await _signed_in(request, store_slug)
    if me is None or me.customer_id is None:
        return Redirect(path=_home(store), status_code=303)
    return await _ticket_page(request, me, ticket_id)


@post(MY + "/tickets/{ticket_id:uuid}/{action:str}", opt=_PUBLIC, name="portal:ticket_action",
      include_in_schema=False, status_code=303)
async def ticket_action(request: Request[Any, Any, Any], store_slug: FromPath[str], ticket_id: FromPath[uuid.UUID],
                        action: FromPath[str]) -> Template | Redirect:
    store, me = await _signed_in(request, store_slug)
    if me is None or me.customer_id is None:
        return Redirect(path=_home(store), status_code=303)
    form, uploads = await _read(request)
    if form.text("_csrf") != me.csrf:
        return await _ticket_page(request, me, ticket_id, status_code=422,
                                  errors={"__all__": N_("the page has expired; reload it and try again")})
    try:
        if action == "reply":
            await aftersales.customer_reply(me.ctx, me.customer_id, ticket_id, note=form.text("note"), uploads=uploads)
        elif action in ("agree_pause", "decline_pause"):
            await aftersales.answer_pause(me.ctx, me.customer_id, ticket_id, agree=action == "agree_pause")
        else:
            raise NotFound("no such action")
    except PawPayError as exc:
        if not is_form_error(exc):
            raise
        return await _ticket_page(request, me, ticket_id, errors=field_errors(exc, rename={"file": "photos"}),
                                  status_code=exc.http_status)
    return Redirect(path=f"{_home(store)}/tickets/{ticket_id}", status_code=303)


# --- the JSON API ---------------------------------------------------------------------------------------

async def _api_customer(request: Request[Any, Any, Any], store_slug: str, *, unsafe: bool) -> _Customer:
    _store, me = await _signed_in(request, store_slug)
    if me is None:
        raise NotAuthenticated("sign in with your phone first")
    if unsafe and request.headers.get("x-csrftoken") != me.csrf:
        raise PermissionDenied("the form token is missing or wrong")
    if me.customer_id is None:
        raise NotFound("no customer with this phone number")
    return me


def _json(value: Any, status_code: int = 200) -> Response[bytes]:
    return Response(msgspec.json.encode(value), media_type="application/json", status_code=status_code,
                    headers=_NO_STORE)


@get(MY + "/api/tickets", opt=_PUBLIC, name="portal:api_tickets", include_in_schema=False)
async def api_tickets(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Response[bytes]:
    me = await _api_customer(request, store_slug, unsafe=False)
    assert me.customer_id is not None
    rows, _total = await aftersales.list_tickets(me.ctx, customer_id=me.customer_id, limit=200)
    return _json([msgspec.convert(t, CustomerTicketOut, from_attributes=True) for t in rows])


@post(MY + "/api/tickets", opt=_PUBLIC, name="portal:api_open_ticket", include_in_schema=False, status_code=201)
async def api_open_ticket(request: Request[Any, Any, Any], store_slug: FromPath[str]) -> Response[bytes]:
    from pawpay.platform.errors import ValidationFailed

    me = await _api_customer(request, store_slug, unsafe=True)
    assert me.customer_id is not None
    try:
        body = msgspec.json.decode(await request.body(), type=OpenTicketBody)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(str(exc)) from None
    except msgspec.DecodeError:
        raise ValidationFailed("the body is not JSON") from None
    ticket = await aftersales.open_customer_ticket(me.ctx, me.customer_id, kind=body.kind,
                                                   contract_id=body.contract_id, description=body.description,
                                                   shipment_id=body.shipment_id, title=body.title)
    return _json(msgspec.convert(ticket, CustomerTicketOut, from_attributes=True), 201)


ROUTES: list[object] = [home, send_code, login, shipment_page, new_ticket, open_ticket, ticket_page, ticket_action,
                        api_tickets, api_open_ticket]
NAV: dict[str, list[NavItem]] = {}
