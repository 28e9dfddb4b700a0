"""Merchants: the store's own merchant page ``/admin/merchant`` (profile, current terms read-only, the
merchant service agreement to e-sign, sub-merchant onboarding, the request to go live) and the public
invitation page ``/invite/{token}`` where a new staff member sets a password.

The operators' store console is in :mod:`pawpay.admin_ui.pages.ops` (``/ops/stores``). The helpers
:func:`terms_field_errors` and the ``merchants/_terms_form.html`` macro are shared with the onboarding
approval form.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Shell, current_url, field_errors, is_form_error, redirect
from pawpay.admin_ui.translations import LOCALE_NAMES, LOCALES, html_lang, request_locale
from pawpay.platform.errors import NotFound, PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity import services as identity
from pawpay.platform.identity.principal import Principal
from pawpay.platform.identity.roles import MANAGER
from pawpay.platform.merchants import services as merchants
from pawpay.platform.web.deps import TenantCtx

PAGE = "/admin/merchant"

# A terms field error, whatever the bound that failed, as one fixed (translatable) message per field.
TERMS_ERROR_MESSAGES = {
    "fee_rate_bp": N_("Enter a fee rate from 0 to 1000 basis points."),
    "settlement_days": N_("Choose T+1 or T+7."),
    "advances_allowed": N_("Choose whether advances are allowed."),
    "advance_ratio_bp": N_("With advances allowed, the ratio is 4000-5000 basis points (40-50%)."),
    "advance_fee_bp": N_("Enter an advance fee from 0 to 3000 basis points."),
    "financing_provider": N_("Name the financing provider (e.g. sandbox)."),
    "guarantee_policy": N_("Choose a bad-debt guarantee policy."),
    "deposit_ratio_bp": N_("The deposit ratio is at least 3000 basis points (30%)."),
    "min_credit_score": N_("Enter a credit score from 300 to 950."),
    "down_payment_fen": N_("Enter a down payment from 0 to 1,000,000 fen."),
    "cooling_off_days_min": N_("Cooling-off days are 0-30, the minimum not above the maximum."),
    "cooling_off_days_max": N_("Cooling-off days are 0-30, the minimum not above the maximum."),
    "plan_amount_warn_min_fen": N_("Enter amounts in fen, the lower warning not above the upper one."),
    "plan_amount_warn_max_fen": N_("Enter amounts in fen, the lower warning not above the upper one."),
}

PROFILE_ERROR_MESSAGES = {
    "uscc": N_("Not a valid unified social credit code."),
    "legal_rep_id_number": N_("Not a valid resident ID number."),
    "contact_phone": N_("Enter a phone number."),
    "legal_name": N_("Enter the company's registered name."),
    "legal_rep_name": N_("Enter the legal representative's name."),
    "contact_name": N_("Enter a contact person."),
    "certificate_number": N_("Enter the certificate number."),
}

# Error details raised by the merchants and identity services, shown in forms (for the catalogs).
SERVICE_MESSAGES = (
    N_("a reason is required"),
    N_("a reason is required to change a store's terms"),
    N_("the reason is too long"),
    N_("the store is already suspended"),
    N_("the store is not suspended"),
    N_("the store cannot go live yet"),
    N_("the store is already live"),
    N_("the merchant service agreement is already signed"),
    N_("the store has no merchant profile"),
    N_("this invitation link is invalid, used or expired"),
    N_("the store's terms were changed at the same time; reload and try again"),
)

SIGNING_BLOCKED = {
    "store_suspended": N_("The store is suspended: no new signings."),
    "licence_expired": N_("The business licence has expired: no new signings until it is renewed."),
    "certificate_expired": N_("The epidemic-prevention certificate has expired: no new signings until it is "
                              "renewed."),
}

GO_LIVE_BLOCKERS = {
    "no_profile": N_("The store has no merchant profile."),
    "agreement_not_signed": N_("The merchant service agreement is not signed yet."),
    "sub_merchant_not_approved": N_("The payment provider has not approved the sub-merchant yet."),
    "go_live_not_requested": N_("The store has not asked to go live yet."),
    "store_suspended": N_("The store is suspended."),
}

AGREEMENT_LABELS = {"unsigned": N_("Not signed"), "pending": N_("Waiting for signature"), "signed": N_("Signed")}
SUB_MERCHANT_LABELS = {"not_started": N_("Not applied"), "pending": N_("Under review"),
                       "approved": N_("Approved"), "rejected": N_("Rejected")}
GO_LIVE_LABELS = {"none": N_("Not requested"), "requested": N_("Requested"), "approved": N_("Live")}
GUARANTEE_LABELS = {"store_bears": N_("The store bears defaults"),
                    "platform_guarantee": N_("The platform guarantees"),
                    "partner_bears": N_("The financing partner bears defaults")}


def terms_field_errors(exc: PawPayError) -> FieldErrors:
    """A terms error (from ``terms_from_form`` / ``validate_terms``) as ``{field: translatable message}``."""
    errors = field_errors(exc)
    return {name: TERMS_ERROR_MESSAGES.get(name, PROFILE_ERROR_MESSAGES.get(name, message))
            for name, message in errors.items()}


def profile_field_errors(exc: PawPayError) -> FieldErrors:
    """A profile error (``validate_profile``) as ``{field: translatable message}``."""
    errors = field_errors(exc)
    return {name: PROFILE_ERROR_MESSAGES.get(name, message) for name, message in errors.items()}


def labels() -> dict[str, Any]:
    return {"agreement_labels": AGREEMENT_LABELS, "sub_merchant_labels": SUB_MERCHANT_LABELS,
            "go_live_labels": GO_LIVE_LABELS, "guarantee_labels": GUARANTEE_LABELS,
            "signing_blocked": SIGNING_BLOCKED}


# --- the store's merchant page ---------------------------------------------------------------------

class MerchantPages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": {MANAGER}}
    include_in_schema = False

    async def _page(self, request: Request[Any, Any, Any], shell: Shell, ctx: TenantCtx, *,
                    errors: FieldErrors | None = None, status_code: int = 200) -> Template:
        profile = await merchants.get_profile(ctx)
        if profile is not None and profile.agreement_status == "pending":
            profile = await merchants.refresh_agreement(ctx)
        if profile is not None and profile.sub_merchant_status == "pending":
            profile = await merchants.refresh_sub_merchant(ctx)
        allowed, why = await merchants.new_signings_allowed(ctx)
        return shell.render("merchants/merchant.html", {
            "profile": profile,
            "terms": await merchants.current_terms(ctx),
            "signing_allowed": allowed,
            "signing_reason": why,
            "blockers": merchants.go_live_blockers(profile),
            "blocker_labels": GO_LIVE_BLOCKERS,
            "errors": errors or {},
            **labels(),
        }, status_code=status_code)

    @get("/", name="merchants:page")
    async def show(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await self._page(request, shell, ctx)

    async def _act(self, request: Request[Any, Any, Any], ctx: TenantCtx, action: str) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        try:
            if action == "sign":
                url = await merchants.start_agreement_signing(ctx, return_url=PAGE)
                if url:
                    return Redirect(path=url, status_code=303)
                return redirect(PAGE, flash(N_("The e-signing provider refused the agreement; contact the "
                                               "platform."), "error"))
            if action == "sub-merchant":
                view = await merchants.apply_sub_merchant(ctx)
                message = {"approved": N_("The payment provider approved the store as a sub-merchant."),
                           "rejected": N_("The payment provider rejected the application.")}.get(
                    view.sub_merchant_status, N_("Application sent; the payment provider is reviewing it."))
                return redirect(PAGE, flash(message, "error" if view.sub_merchant_status == "rejected" else "success"))
            await merchants.request_go_live(ctx)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await self._page(request, shell, ctx, errors=field_errors(exc, None, {
                "MERCHANT_GO_LIVE_NOT_READY": "go_live", "MERCHANT_ALREADY_LIVE": "go_live",
                "MERCHANT_AGREEMENT_ALREADY_SIGNED": "agreement"}), status_code=422)
        return redirect(PAGE, flash(N_("Go-live requested; the platform will review it.")))

    @post("/sign", name="merchants:sign", status_code=303)
    async def sign(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        return await self._act(request, ctx, "sign")

    @post("/sub-merchant", name="merchants:sub-merchant", status_code=303)
    async def sub_merchant(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        return await self._act(request, ctx, "sub-merchant")

    @post("/go-live", name="merchants:go-live", status_code=303)
    async def go_live(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        return await self._act(request, ctx, "go-live")


# --- the public invitation page --------------------------------------------------------------------

def _invite_page(request: Request[Any, Any, Any], invitation: identity.InvitationView | None, *,
                 display_name: str = "", errors: FieldErrors | None = None, status_code: int = 200) -> Template:
    principal: Principal | None = request.scope.get("user")
    locale = request_locale(request)
    return Template(
        template_name="merchants/invite.html",
        context={
            "invitation": invitation,
            "display_name": display_name or (invitation.display_name if invitation else ""),
            "errors": errors or {},
            # A signed-in browser's POST is cookie-authenticated: it needs that session's CSRF token.
            "csrf_token": principal.csrf_token if principal and principal.csrf_token else "",
            "locale": locale,
            "html_lang": html_lang(locale),
            "locales": [(code, LOCALE_NAMES[code]) for code in LOCALES],
            "current_url": current_url(request),
        },
        status_code=status_code,
        # A page behind a secret link: never cached, never leaks the link to other sites.
        headers={"cache-control": "no-store", "referrer-policy": "no-referrer"},
    )


# No request transaction and so no session (like the sandbox's signing pages): the invitee is anonymous,
# and a browser still signed in as someone else must not run the page in that person's store scope.
# The services open their own transactions; the secret link itself is what authorises the POST.
_PUBLIC = {"auth": "public", "transaction": False}


@get(identity.INVITATION_PATH + "{token:str}", opt=_PUBLIC, name="merchants:invite", include_in_schema=False)
async def invite_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
    try:
        invitation = await identity.get_invitation(token)
    except NotFound:
        return _invite_page(request, None, status_code=404)
    return _invite_page(request, invitation)


@post(identity.INVITATION_PATH + "{token:str}", opt=_PUBLIC, name="merchants:invite-accept",
      include_in_schema=False, status_code=303)
async def invite_accept(request: Request[Any, Any, Any], token: FromPath[str]) -> Template | Redirect:
    form = await Form.read(request)
    display_name = form.text("display_name")
    try:
        invitation = await identity.get_invitation(token)
    except NotFound:
        return _invite_page(request, None, status_code=404)
    if form.raw("password") != form.raw("password_again"):
        return _invite_page(request, invitation, display_name=display_name,
                            errors={"password_again": N_("The two passwords differ.")}, status_code=422)
    try:
        await identity.accept_invitation(token, password=form.raw("password"), display_name=display_name)
    except PawPayError as exc:
        if not is_form_error(exc):
            raise
        return _invite_page(request, invitation, display_name=display_name, errors=field_errors(exc),
                            status_code=422)
    return redirect("/login", flash(N_("Your account is ready. Sign in with your e-mail %(email)s."),
                                    email=invitation.email))


ROUTES: list[Any] = [MerchantPages, invite_page, invite_accept]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(label=N_("Merchant account"), path=PAGE, roles=frozenset({MANAGER}), order=800)],
}
