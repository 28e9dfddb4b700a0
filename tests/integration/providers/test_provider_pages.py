"""The provider pages (issue 3, item 2): ``/admin/settings/providers`` for store managers (a form
from the provider's schema, secrets shown only as "set", zh-CN field errors, test connection) and
``/ops/providers`` for operators."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.platform.providers.services import store_provider_overview
from pawpay.platform.tenancy.context import PlatformContext
from pawpay.platform.testing.plugin import create_store

pytestmark = pytest.mark.integration

PAGE = "/admin/settings/providers"
SECRET = "whsec-page-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
async def store(pawpay_database: Any) -> Any:
    return await create_store()


def form(merchant_id: str, secret: str) -> dict[str, str]:
    return {"provider": "sandbox", "config.merchant_id": merchant_id, "config.webhook_secret": secret}


async def test_manager_saves_tests_and_never_sees_the_secret_again(store: Any, new_browser: Any) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    page = await browser.get(PAGE)
    assert page.status_code == 200
    assert 'data-testid="form-payments-sandbox"' in page.text
    assert 'type="password"' in page.text
    assert "默认" in page.text  # zh-CN by default; the sandbox stands in until the store chooses

    saved = await browser.submit(f"{PAGE}/payments", form("m_page", SECRET), csrf_from=PAGE)
    assert saved.status_code == 303
    assert saved.headers["location"] == PAGE
    page = await browser.get(PAGE)
    assert SECRET not in page.text
    assert 'data-testid="secret-set"' in page.text
    assert 'value="m_page"' in page.text

    tested = await browser.submit(f"{PAGE}/payments/test", {}, csrf_from=PAGE)
    assert tested.status_code == 303
    page = await browser.get(PAGE)
    assert "连接测试通过" in page.text
    assert 'data-testid="last-check"' in page.text
    assert SECRET not in page.text

    # Blank secret keeps the saved one; a refused test shows its code.
    kept = await browser.submit(f"{PAGE}/payments", form("sandbox_bad_credentials", ""), csrf_from=PAGE)
    assert kept.status_code == 303
    await browser.submit(f"{PAGE}/payments/test", {}, csrf_from=PAGE)
    page = await browser.get(PAGE)
    assert "AUTH_FAILED" in page.text
    assert SECRET not in page.text


async def test_field_errors_are_shown_in_chinese_and_nothing_is_saved(store: Any, new_browser: Any,
                                                                      owner: Any) -> None:
    fresh = await create_store()
    browser = await new_browser()
    await browser.sign_in(fresh.manager_email)
    response = await browser.submit(f"{PAGE}/payments",
                                    {**form("", "short"), "config.bogus": "x"}, csrf_from=PAGE)
    assert response.status_code == 422
    errors = re.findall(r'class="field-error"[^>]*>([^<]+)<', response.text)
    assert "这个太短了。" in errors or any("太短" in e for e in errors)
    assert "此设置项不属于该服务商。" in response.text
    assert "short" not in re.findall(r'value="([^"]*)"', response.text)  # the secret is not echoed
    assert await owner.fetchval("SELECT count(*) FROM tenant_provider WHERE tenant_id = $1", fresh.tenant_id) == 0

    english = await new_browser("en")
    await english.sign_in(fresh.manager_email)
    response = await english.submit(f"{PAGE}/payments", form("", "a" * 20), csrf_from=PAGE)
    assert response.status_code == 422
    assert "This is too short." in response.text


async def test_testing_before_saving_warns(new_browser: Any) -> None:
    fresh = await create_store()
    browser = await new_browser()
    await browser.sign_in(fresh.manager_email)
    response = await browser.submit(f"{PAGE}/payments/test", {}, csrf_from=PAGE)
    assert response.status_code == 303
    page = await browser.get(PAGE)
    assert "请先保存" in page.text


async def test_only_managers_and_nav(store: Any, new_browser: Any, make_staff: Any) -> None:
    _, email = await make_staff(store, [FRONT_DESK])
    staff = await new_browser()
    await staff.sign_in(email)
    assert (await staff.get(PAGE)).status_code == 403
    assert PAGE not in (await staff.get("/admin")).text
    manager = await new_browser()
    await manager.sign_in(store.manager_email)
    assert f'href="{PAGE}"' in (await manager.get("/admin")).text


async def test_operators_overview_page(store: Any, operator: Any, new_browser: Any) -> None:
    manager = await new_browser()
    await manager.sign_in(store.manager_email)
    await manager.submit(f"{PAGE}/payments", form("m_ops", SECRET), csrf_from=PAGE)
    ops = await new_browser()
    await ops.sign_in(operator["email"])
    # Stores are listed oldest first and the suite makes many: ask for the last page.
    _, total = await store_provider_overview(PlatformContext(actor_label="test"), limit=1)
    page = await ops.get("/ops/providers", params={"limit": 200, "offset": max(total - 200, 0)})
    assert page.status_code == 200
    assert store.name in page.text
    assert "支付" in page.text
    assert SECRET not in page.text
    assert 'href="/ops/providers"' in page.text
    assert (await manager.get("/ops/providers")).status_code == 403
