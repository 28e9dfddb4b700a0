"""Sign in, sign out, and the language switch (all usable without JavaScript)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import FLASH_COOKIE, clear_cookie, decode, flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.shell import current_url, home_for, redirect, safe_next
from pawpay.admin_ui.translations import (
    LOCALE_COOKIE,
    LOCALE_NAMES,
    LOCALES,
    html_lang,
    normalise_locale,
    request_locale,
)
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import ErrorCode, NotAuthenticated, RateLimited
from pawpay.platform.identity import services as identity
from pawpay.platform.identity.controllers import session_cookie
from pawpay.platform.identity.principal import Principal
from pawpay.platform.settings import get_settings
from pawpay.platform.web.deps import RequestId
from pawpay.platform.web.middleware import SESSION_COOKIE

LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600


def _local_time(iso: str) -> str:
    """An ISO UTC time as the platform's local ``YYYY-MM-DD HH:MM`` (the store is not known yet)."""
    try:
        return datetime.fromisoformat(iso).astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _login_page(
    request: Request[Any, Any, Any], *, email: str = "", next_path: str = "", error: str = "",
    error_params: dict[str, str] | None = None, status_code: int = 200, headers: dict[str, str] | None = None,
) -> Template:
    principal: Principal | None = request.scope.get("user")
    locale = request_locale(request)
    flashes = decode(request.cookies.get(FLASH_COOKIE))
    return Template(
        template_name="shell/login.html",
        context={
            "principal": principal,
            # A stale-but-valid session cookie makes this POST cookie-authenticated: send its token.
            "csrf_token": principal.csrf_token if principal and principal.csrf_token else "",
            "email": email,
            "next": next_path,
            "error": error,
            "error_params": error_params or {},
            "flashes": flashes,
            "locale": locale,
            "html_lang": html_lang(locale),
            "locales": [(code, LOCALE_NAMES[code]) for code in LOCALES],
            "current_url": current_url(request),
        },
        status_code=status_code,
        headers={"cache-control": "no-store", **(headers or {})},
        cookies=[clear_cookie()] if flashes else [],
    )


@get("/login", opt={"auth": "public"}, name="shell:login", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any]) -> Template:
    return _login_page(request, next_path=safe_next(request.query_params.get("next"), ""))


# No request transaction (identity.login runs its own), hence no authentication either.
@post("/login", opt={"auth": "public", "transaction": False}, name="shell:login-submit",
      include_in_schema=False, status_code=303)
async def login_submit(request: Request[Any, Any, Any], request_id: RequestId) -> Template | Redirect:
    form = await Form.read(request)
    email, next_path = form.text("email"), safe_next(form.text("next"), "")
    try:
        result = await identity.login(
            email, form.raw("password"), ip=request.client.host if request.client else "",
            user_agent=request.headers.get("user-agent", ""), request_id=request_id,
        )
    except RateLimited as exc:
        seconds = int(exc.data.get("retry_after_seconds", 60))
        return _login_page(
            request, email=email, next_path=next_path, status_code=429, headers={"retry-after": str(seconds)},
            error=N_("Too many sign-in attempts from your network. Try again in %(minutes)s minutes."),
            error_params={"minutes": str(max(1, (seconds + 59) // 60))},
        )
    except NotAuthenticated as exc:
        if exc.code == ErrorCode.ACCOUNT_LOCKED:
            return _login_page(
                request, email=email, next_path=next_path, status_code=401,
                error=N_("This account is locked after too many wrong passwords. Try again after %(until)s."),
                error_params={"until": _local_time(str(exc.data.get("locked_until", "")))},
            )
        return _login_page(request, email=email, next_path=next_path, status_code=401,
                           error=N_("Wrong e-mail or password."))
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        # Signing in again on this browser ends the previous session.
        await identity.end_session(previous, request_id=request_id)
    max_age = int((result.expires_at - utcnow()).total_seconds())
    return redirect(safe_next(next_path, home_for(result.principal)), session_cookie(result.token, max_age))


@post("/logout", opt={"auth": "any"}, name="shell:logout", include_in_schema=False, status_code=303)
async def logout(request: Request[Any, Any, Any], request_id: RequestId) -> Redirect:
    principal: Principal = request.scope["user"]
    await identity.logout(principal, request_id=request_id)
    return redirect("/login", session_cookie("", 0), flash(N_("You have signed out."), "info"))


@get("/locale", opt={"auth": "public"}, name="shell:locale", include_in_schema=False, status_code=303)
async def switch_locale(request: Request[Any, Any, Any]) -> Redirect:
    """``/locale?lang=en&next=/admin/audit``: remember the language in a cookie and go back."""
    locale = normalise_locale(request.query_params.get("lang"))
    target = safe_next(request.query_params.get("next"), home_for(request.scope.get("user")))
    if locale is None:
        return redirect(target)
    return redirect(target, Cookie(key=LOCALE_COOKIE, value=locale, max_age=LOCALE_COOKIE_MAX_AGE, path="/",
                                   samesite="lax", httponly=True, secure=get_settings().secure_cookies))
