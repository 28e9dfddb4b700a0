"""Test helpers for onboarding: valid (checksummed) application data made with stdnum, never
hard-coded; small images; the platform sandbox's SMS inbox. Used by the onboarding and page tests."""

from __future__ import annotations

import io
import secrets
from datetime import date, timedelta
from typing import Any

from PIL import Image
from stdnum.cn import ric, uscc

from pawpay.platform.onboarding import services as onboarding

SCRIPTED_ENDINGS = ("9999", "8888", "0000")


def a_uscc(ending: str | None = None) -> str:
    """A random valid USCC; ``ending`` (4 characters) picks the credit sandbox's scripted outcome."""
    while True:
        body = "9131" + "".join(secrets.choice("0123456789") for _ in range(13))
        if ending:
            body = body[:14] + ending[:3]
        code = body + uscc.calc_check_digit(body)
        if ending and code.endswith(ending):
            return code
        if not ending and not code.endswith(SCRIPTED_ENDINGS):
            return code


def an_id(born: date = date(1990, 1, 1), seq: str = "550") -> str:
    base = f"110101{born:%Y%m%d}{seq}"
    return base + ric.calc_check_digit(base + "0")  # stdnum wants a placeholder check digit


def a_phone() -> str:
    return "139" + "".join(secrets.choice("0123456789") for _ in range(8))


def full_draft(**overrides: Any) -> onboarding.ApplicationDraft:
    today = onboarding.today()
    values: dict[str, Any] = {
        "store_name": "汪汪宠物店", "legal_name": "上海汪汪宠物用品有限公司", "uscc": a_uscc(),
        "legal_rep_name": "张三", "legal_rep_id_number": an_id(), "contact_name": "李四",
        "contact_phone": a_phone(), "contact_email": f"shop-{secrets.token_hex(3)}@example.test",
        "region": "上海市浦东新区", "address": "世纪大道 100 号", "opened_on": today - timedelta(days=400),
        "certificate_number": "沪动防 2025-001", "certificate_expires_on": today + timedelta(days=365),
    }
    values.update(overrides)
    return onboarding.ApplicationDraft(**values)


def png(size: tuple[int, int] = (64, 48), color: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


PHOTOS = ("pet_selection_area", "signing_area", "storefront")


async def upload_all(token: str, photos: tuple[str, ...] = PHOTOS) -> None:
    for kind in ("business_licence", "id_front", "id_back", "certificate"):
        await onboarding.add_document(token, kind=kind, data=png(), filename=f"{kind}.png")
    for label in photos:
        await onboarding.add_document(token, kind="photo", label=label, data=png(), filename=f"{label}.png")


async def complete_application(photos: tuple[str, ...] = PHOTOS, **overrides: Any) -> onboarding.StartedApplication:
    """A started application with every field and document."""
    started = await onboarding.start_application(full_draft(**overrides))
    await upload_all(started.token, photos)
    return started


def sms_to(phone: str) -> list[Any]:
    """What the platform's sandbox notifier accepted for ``phone``, newest first."""
    from pawpay.platform.clock import utcnow
    from pawpay.platform.hooks._manager import get_plugin_manager
    from pawpay.platform.hooks.providers import ProviderContext
    from pawpay.platform.providers.services import PLATFORM_TENANT_ID

    configured = get_plugin_manager().providers().create("notifications", "sandbox", {})
    pctx: ProviderContext[Any] = ProviderContext(tenant_id=PLATFORM_TENANT_ID, config=configured.config,
                                                 test_mode=True, clock_now=utcnow)
    inbox: list[Any] = configured.provider.inbox(pctx, recipient=phone)
    return inbox
