"""Pages of the sandbox providers.

``/admin/sandbox/inbox``: every SMS and mini-program message the store's sandbox notifier
"sent", for any staff member; a manager may clear it. ``/sign/sandbox/{store}/{face|sign}/{token}``:
the public page a customer opens from the link the sandbox identity provider returned, to pass
the (simulated) face check or sign the contract.

The UI never imports a plugin: it gets the store's provider from
:func:`pawpay.platform.providers.services.provider_for` and uses the sandbox-only methods only
if the provider has them (another provider simply has no inbox and no page).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Pager, Shell, current_url, parse_window, redirect
from pawpay.admin_ui.translations import html_lang, request_locale
from pawpay.platform.audit.services import record
from pawpay.platform.crypto import mask
from pawpay.platform.errors import NotFound
from pawpay.platform.hooks import ProviderError, ProviderStatus
from pawpay.platform.identity.roles import MANAGER
from pawpay.platform.providers import services as providers
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.web.deps import TenantCtx

INBOX = "/admin/sandbox/inbox"
SIGN_PAGES = "/sign/sandbox"
PAGE_KINDS = ("face", "sign")
MAX_RECIPIENT = 64

CHANNEL_LABELS = {"sms": N_("SMS"), "mini_program": N_("Mini-program message")}
DELIVERY_LABELS = {
    ProviderStatus.SUCCEEDED.value: N_("Delivered"),
    ProviderStatus.FAILED.value: N_("Not delivered"),
    ProviderStatus.PENDING.value: N_("No delivery report yet"),
    ProviderStatus.UNKNOWN.value: N_("Unknown"),
    ProviderStatus.NOT_SUBMITTED.value: N_("Not sent"),
}
# The identity sandbox's documented outcome codes, as the customer reads them.
OUTCOME_MESSAGES = {
    "NAME_ID_MISMATCH": N_("The name and the ID number do not belong together."),
    "ID_NUMBER_INVALID": N_("The ID number is not valid."),
    "FACE_MISMATCH": N_("The face does not match the person named."),
    "LIVENESS_FAILED": N_("The liveness check failed (a photo or a mask?)."),
    "SIGNER_DECLINED": N_("A signer declined to sign."),
    "EXPIRED": N_("This link expired before it was finished."),
    "DOCUMENT_EMPTY": N_("The contract has no document."),
    "NO_PERSON_SIGNER": N_("The contract has no person to sign it."),
    "INVALID_SIGNER": N_("The contract names a signer that cannot sign."),
}
OUTCOME_DEFAULT = N_("The check did not pass.")
# One answer for every wrong link: whether the store, the kind or the token was wrong stays unsaid.
PAGE_NOT_FOUND = N_("This link is not valid. Ask the store for a new one.")
PAGE_TITLES = {"face": N_("Real-name and face check"), "sign": N_("Sign the contract")}


def masked_recipient(recipient: str) -> str:
    """A phone number or openid with everything but its last 4 characters hidden."""
    return mask(recipient, keep_start=0, keep_end=4)


def masked_name(name: str) -> str:
    """``张三丰`` → ``张**``: enough for the person to recognise their own name."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def normalise_recipient(raw: str) -> str:
    """What the sandbox keys its inbox by: the phone without ``+86`` (an openid as is)."""
    return raw.strip()[:MAX_RECIPIENT].replace(" ", "").removeprefix("+86")


def has_inbox(provider: Any) -> bool:
    return callable(getattr(provider, "inbox", None)) and callable(getattr(provider, "clear_inbox", None))


def has_pages(provider: Any) -> bool:
    return all(callable(getattr(provider, name, None))
               for name in ("page_session", "complete_face_check", "complete_sign_flow"))


@dataclass(frozen=True, slots=True)
class InboxRow:
    channel: str
    recipient: str  # masked
    template: str
    text: str
    delivery: str
    sent_at: datetime
    page: str


def _row(message: Any) -> InboxRow:
    delivery = getattr(message.delivery, "value", str(message.delivery))
    return InboxRow(message.channel, masked_recipient(message.recipient), message.template, message.text,
                    delivery, message.sent_at, message.page)


class SandboxInboxPages(Controller):
    path = INBOX
    opt = {"auth": "tenant"}
    include_in_schema = False

    @get("/", name="sandbox:inbox")
    async def inbox(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        errors: FieldErrors = {}
        limit, offset = parse_window(request.query_params, errors)
        recipient = normalise_recipient(request.query_params.get("recipient") or "")
        provider, pctx = await providers.provider_for(ctx, "notifications")
        available = has_inbox(provider)
        messages = provider.inbox(pctx, recipient=recipient or None) if available else []
        rows = [_row(m) for m in messages[offset:offset + limit]]
        view = await providers.get_store_provider(ctx, "notifications")
        return shell.render("sandbox/inbox.html", {
            "available": available,
            "provider_label": view.label or view.provider_name or "",
            "rows": rows,
            "filters": {"recipient": recipient},
            "errors": errors,
            "pager": Pager(total=len(messages), limit=limit, offset=offset, path=INBOX,
                           params={"recipient": recipient}),
            "channel_labels": CHANNEL_LABELS,
            "delivery_labels": DELIVERY_LABELS,
            "can_clear": MANAGER in shell.principal.roles,
        }, status_code=422 if errors else 200)

    @post("/clear", name="sandbox:inbox-clear", status_code=303, opt={"roles": {MANAGER}})
    async def clear(self, ctx: TenantCtx) -> Redirect:
        provider, pctx = await providers.provider_for(ctx, "notifications")
        if not has_inbox(provider):
            return redirect(INBOX, flash(N_("This store's notifications provider has no sandbox inbox."), "warning"))
        count = provider.clear_inbox(pctx)
        await record(ctx, "sandbox.inbox_cleared", target_type="sandbox_inbox", after={"messages": count})
        return redirect(INBOX, flash(N_("Sandbox inbox cleared: %(count)s removed."), count=count))


# --- the identity sandbox's public page -------------------------------------------------------------


async def _page_provider(store_id: str, kind: str) -> tuple[Any, Any, tenancy.TenantView]:
    """The store's identity provider, if the store exists and the provider has sandbox pages.

    The store comes from the URL; the token is then looked up only among that store's sessions,
    so a token of one store under another store's id finds nothing (404).
    """
    if kind not in PAGE_KINDS:
        raise NotFound(PAGE_NOT_FOUND)
    try:
        tenant_id = uuid.UUID(store_id)
    except ValueError:
        raise NotFound(PAGE_NOT_FOUND) from None
    # Anonymous: the one platform-scope read is whether the store exists.
    try:
        store = await tenancy.get_tenant(PlatformContext(actor_label="sandbox identity page"), tenant_id)
    except NotFound:
        raise NotFound(PAGE_NOT_FOUND) from None
    ctx = TenantContext(tenant_id=tenant_id, actor_label="sandbox identity page")
    provider, pctx = await providers.provider_for(ctx, "identity")
    if not has_pages(provider):
        raise NotFound(PAGE_NOT_FOUND)
    return provider, pctx, store


def _session(provider: Any, pctx: Any, kind: str, token: str) -> Any:
    try:
        return provider.page_session(pctx, kind, token)
    except ProviderError:
        raise NotFound(PAGE_NOT_FOUND) from None


def _sign_page(request: Request[Any, Any, Any], store: tenancy.TenantView, kind: str, session: Any) -> Template:
    locale = request_locale(request)
    result = session.result
    return Template(
        template_name="sandbox/sign.html",
        context={
            "locale": locale,
            "html_lang": html_lang(locale),
            "time_zone": store.time_zone,
            "kind": kind,
            "title": PAGE_TITLES[kind],
            "names": [masked_name(n) for n in session.names],
            "document_name": session.document_name,
            "expires_at": session.expires_at,
            "status": result.status.value,
            "error_code": result.error_code or "",
            "outcome_message": OUTCOME_MESSAGES.get(result.error_code or "", OUTCOME_DEFAULT),
            "action": current_url(request),
        },
        # A page behind a secret link: never cached, never leaks the link to other sites.
        headers={"cache-control": "no-store", "referrer-policy": "no-referrer"},
    )


# No request transaction and so no session: the customer is anonymous, and a staff member of
# another store who opens the link must not have the page run in their store's scope.
_PUBLIC = {"auth": "public", "transaction": False}


@get(SIGN_PAGES + "/{store_id:str}/{kind:str}/{token:str}", opt=_PUBLIC, name="sandbox:identity-page",
     include_in_schema=False)
async def identity_page(request: Request[Any, Any, Any], store_id: FromPath[str], kind: FromPath[str],
                        token: FromPath[str]) -> Template:
    provider, pctx, store = await _page_provider(store_id, kind)
    return _sign_page(request, store, kind, _session(provider, pctx, kind, token))


@post(SIGN_PAGES + "/{store_id:str}/{kind:str}/{token:str}", opt=_PUBLIC, name="sandbox:identity-complete",
      include_in_schema=False, status_code=303)
async def identity_complete(store_id: FromPath[str], kind: FromPath[str], token: FromPath[str]) -> Redirect:
    provider, pctx, store = await _page_provider(store_id, kind)
    _session(provider, pctx, kind, token)  # 404 before acting on an unknown token
    complete = provider.complete_face_check if kind == "face" else provider.complete_sign_flow
    complete(pctx, token)  # the outcome is shown by the page it redirects to
    return Redirect(path=f"{SIGN_PAGES}/{store.id}/{kind}/{token}", status_code=303)
