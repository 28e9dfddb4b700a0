"""Issue 4's "done when", in headless Chromium: a store applies through /apply (the form, the
documents and three labelled store photos, submit), an operator reviews and approves it in
/ops/applications, the store manager accepts the invitation, signs in and lands on /admin in test
mode; and every step is in the audit log.

The app runs under uvicorn in a subprocess against the test session's database (``live_server``);
Chromium is the system's (/usr/bin/chromium), never a downloaded one.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")]

BANNER_ZH = "测试模式 — 测试时钟与沙箱通道，不产生真实扣款"
DOCUMENTS = ("business_licence", "id_front", "id_back", "certificate")
PHOTOS = ("pet_selection_area", "signing_area", "storefront")


def make_png(path: Path, text: str, color: str) -> Path:
    """A real PNG file (Pillow): a coloured picture with a caption."""
    image = Image.new("RGB", (320, 240), color)
    ImageDraw.Draw(image).text((12, 12), text, fill="black")
    image.save(path, format="PNG")
    return path


async def sign_in(page: Any, base: str, target: str, email: str, password: str) -> None:
    await page.goto(f"{base}{target}")
    assert "/login?next=" in page.url  # anonymous: sent to the login form, keeping the target
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    async with page.expect_navigation():
        await page.click("form[action='/login'] button[type=submit]")


async def test_a_store_applies_is_approved_and_its_manager_signs_in_in_test_mode(
    live_server: str, chromium: Any, operator: dict[str, Any], tmp_path: Path
) -> None:
    from pawpay.platform.audit.services import AuditFilter, list_entries
    from pawpay.platform.onboarding import services as onboarding
    from pawpay.platform.onboarding.testing import full_draft
    from pawpay.platform.tenancy.context import PlatformContext
    from pawpay.platform.testing.plugin import PASSWORD

    ops_ctx = PlatformContext(actor_label="browser test")
    suffix = uuid.uuid4().hex[:6]
    draft = full_draft(store_name=f"汪汪宠物店 {suffix}")
    files = {kind: make_png(tmp_path / f"{kind}.png", kind, "lightblue") for kind in DOCUMENTS}
    photos = {label: make_png(tmp_path / f"{label}.png", label, color)
              for label, color in zip(PHOTOS, ("orange", "lightgreen", "pink"), strict=True)}

    # 1. The store applies on the public pages.
    applicant = await chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = await applicant.new_page()
    try:
        await page.goto(f"{live_server}/apply")
        assert await page.get_attribute("html", "lang") == "zh-CN"
        for name in ("store_name", "legal_name", "uscc", "legal_rep_name", "legal_rep_id_number", "contact_name",
                     "contact_phone", "contact_email", "region", "address", "certificate_number"):
            await page.fill(f"input[name={name}]", getattr(draft, name))
        await page.fill("input[name=opened_on]", draft.opened_on.isoformat())
        await page.fill("input[name=certificate_expires_on]", draft.certificate_expires_on.isoformat())
        async with page.expect_navigation():
            await page.click("form[action='/apply'] button[type=submit]")
        match = re.fullmatch(rf"{re.escape(live_server)}/apply/([A-Za-z0-9_-]+)(\?started=1)?", page.url)
        assert match, page.url
        token = match.group(1)
        assert f"/apply/{token}" in await page.inner_text("[data-testid=resume-link]")
        assert draft.legal_rep_id_number not in await page.content()  # only masked

        upload_form = f"form[action='/apply/{token}/documents']"
        for kind, path in files.items():
            await page.select_option(f"{upload_form} select[name=kind]", kind)
            await page.set_input_files(f"{upload_form} input[name=file]", str(path))
            async with page.expect_navigation():
                await page.click(f"{upload_form} button[type=submit]")
            assert await page.locator(f"[data-testid=document-{kind}]").count() == 1, kind
        for label, path in photos.items():
            await page.select_option(f"{upload_form} select[name=kind]", "photo")
            await page.select_option(f"{upload_form} select[name=label]", label)
            await page.set_input_files(f"{upload_form} input[name=file]", str(path))
            async with page.expect_navigation():
                await page.click(f"{upload_form} button[type=submit]")
        assert await page.locator("[data-testid=document-photo]").count() == len(PHOTOS)

        async with page.expect_navigation():
            await page.click("[data-testid=submit]")
        assert await page.inner_text("[data-testid=state]") == "已提交"
    finally:
        await applicant.close()
    application = await onboarding.get_own_application(token)
    assert application.state == "submitted"
    assert sorted(d.label for d in application.documents if d.kind == "photo") == sorted(PHOTOS)

    # 2. An operator reviews it in /ops: finds it in the queue, takes it, approves it with terms.
    slug = f"shop-{suffix}"
    manager_email = f"manager@{slug}.test"
    ops = await chromium.new_context(viewport={"width": 1280, "height": 900})
    page = await ops.new_page()
    try:
        await sign_in(page, live_server, "/ops/applications", operator["email"], PASSWORD)
        assert page.url == f"{live_server}/ops/applications"
        await page.fill("input[name=q]", draft.store_name)
        async with page.expect_navigation():
            await page.press("input[name=q]", "Enter")
        async with page.expect_navigation():
            await page.click(f"main a:has-text('{draft.store_name}')")
        assert page.url == f"{live_server}/ops/applications/{application.id}"
        assert draft.legal_rep_id_number not in await page.content()
        async with page.expect_navigation():
            await page.click("button[name=to][value=me]")
        assert await page.inner_text("[data-testid=state]") == "审核中"

        approve = f"form[action='/ops/applications/{application.id}/approve']"
        await page.fill(f"{approve} input[name=slug]", slug)
        await page.fill(f"{approve} input[name=manager_email]", manager_email)
        await page.fill(f"{approve} input[name=manager_name]", "王店长")
        await page.fill(f"{approve} input[name=fee_rate_bp]", "300")
        await page.select_option(f"{approve} select[name=settlement_days]", "1")
        await page.fill(f"{approve} input[name=deposit_ratio_bp]", "3000")
        await page.fill(f"{approve} input[name=comment]", "证照齐全，同意入驻")
        async with page.expect_navigation():
            await page.click(f"{approve} button[type=submit]")
        invitation_url = (await page.inner_text("[data-testid=invitation-link]")).strip()
        assert invitation_url.startswith(f"{live_server}/invite/"), invitation_url
    finally:
        await ops.close()
    detail = await onboarding.get_application(ops_ctx, application.id)
    assert detail.application.state == "approved"
    tenant_id = detail.application.provisioned_tenant_id
    assert tenant_id is not None
    from pawpay.platform.merchants.services import store_terms

    terms = await store_terms(ops_ctx, tenant_id)
    assert (terms.fee_rate_bp, terms.settlement_days, terms.deposit_ratio_bp) == (300, 1, 3000)

    # 3. The manager accepts the invitation, signs in and lands on /admin in test mode.
    manager = await chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = await manager.new_page()
    try:
        await page.goto(invitation_url)
        assert manager_email in await page.inner_text("main")
        await page.fill("input[name=display_name]", "王店长")
        await page.fill("input[name=password]", PASSWORD)
        await page.fill("input[name=password_again]", PASSWORD)
        async with page.expect_navigation():
            await page.click("[data-testid=invite-form] button[type=submit]")
        assert page.url.startswith(f"{live_server}/login")
        await page.fill("input[name=email]", manager_email)
        await page.fill("input[name=password]", PASSWORD)
        async with page.expect_navigation():
            await page.click("form[action='/login'] button[type=submit]")
        assert page.url == f"{live_server}/admin"
        assert await page.inner_text("a.brand") == draft.store_name
        assert "店长" in await page.inner_text("main")
        banner = page.locator("[data-testid=test-mode-banner]")
        assert await banner.is_visible()
        assert (await banner.inner_text()).strip() == BANNER_ZH
        await page.goto(invitation_url)  # single use
        assert await page.is_visible("[data-testid=invite-invalid]")
    finally:
        await manager.close()

    # 4. Every step is in the audit log.
    async def actions(flt: AuditFilter) -> list[str]:
        entries, _ = await list_entries(ops_ctx, flt, limit=200)
        return [e.action for e in entries]

    on_application = await actions(AuditFilter(target_type="store_application", target_id=str(application.id)))
    for action in ("onboarding.application_started", "onboarding.application_submitted", "onboarding.assigned",
                   "onboarding.application_in_review", "onboarding.application_approved"):
        assert action in on_application, (action, on_application)
    assert on_application.count("onboarding.document_added") == len(DOCUMENTS) + len(PHOTOS)
    in_store = await actions(AuditFilter(tenant_id=tenant_id))
    for action in ("tenant.created", "merchant.provisioned", "merchant.terms_set", "invitation.created",
                   "account.created", "invitation.accepted", "session.login"):
        assert action in in_store, (action, in_store)
    logins, _ = await list_entries(ops_ctx, AuditFilter(action="session.login", tenant_id=tenant_id))
    assert [entry.actor_label for entry in logins] == [manager_email]
