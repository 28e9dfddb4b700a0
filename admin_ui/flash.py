"""Flash messages: one short-lived, signed cookie carried across a POST -> 303 -> GET.

litestar's flash plugin keeps messages in ``request.session``, which needs litestar's session
middleware; pawpay's sessions are its own (``pawpay_session``), so the shell signs a small cookie
instead. Messages are stored as English msgids plus parameters and translated when shown, so a
language switch in between still shows them in the new language. Never put secrets in a flash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from litestar.datastructures import Cookie

from pawpay.platform.settings import get_settings

FLASH_COOKIE: Final = "pawpay_flash"
FLASH_MAX_AGE: Final = 120  # seconds: long enough for the redirect, short enough to never linger
MAX_MESSAGES: Final = 5
Category = Literal["success", "info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Flash:
    category: str
    message: str  # English msgid, translated (and formatted with params) when rendered
    params: dict[str, str] = field(default_factory=dict)


def _key() -> bytes:
    return hashlib.sha256(b"pawpay-flash:" + get_settings().secret().encode()).digest()


def _sign(payload: bytes) -> str:
    return hmac.new(_key(), payload, hashlib.sha256).hexdigest()[:32]


def encode(messages: list[Flash]) -> str:
    payload = json.dumps(
        [[m.category, m.message, m.params] for m in messages[-MAX_MESSAGES:]], ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    return f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{_sign(payload)}"


def decode(value: str | None) -> list[Flash]:
    """The messages in a cookie value; anything tampered with or malformed reads as none."""
    if not value or "." not in value:
        return []
    data, _, signature = value.rpartition(".")
    try:
        payload = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except ValueError:
        return []
    if not hmac.compare_digest(signature, _sign(payload)):
        return []
    try:
        items: Any = json.loads(payload)
        return [Flash(str(c), str(m), {str(k): str(v) for k, v in dict(p).items()})
                for c, m, p in items][:MAX_MESSAGES]
    except (ValueError, TypeError):
        return []


def flash_cookie(*messages: Flash) -> Cookie:
    return Cookie(key=FLASH_COOKIE, value=encode(list(messages)), max_age=FLASH_MAX_AGE, path="/",
                  httponly=True, samesite="lax", secure=get_settings().secure_cookies)


def clear_cookie() -> Cookie:
    return Cookie(key=FLASH_COOKIE, value="", max_age=0, path="/", httponly=True, samesite="lax",
                  secure=get_settings().secure_cookies)


def flash(message: str, category: Category = "success", **params: Any) -> Cookie:
    """A cookie carrying one message to the next page: ``Redirect(..., cookies=[flash(...)])``."""
    return flash_cookie(Flash(category, message, {k: str(v) for k, v in params.items()}))
