"""``/admin/staff``: create, re-role, deactivate and reactivate staff through the identity services."""

from __future__ import annotations

import uuid

import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import PASSWORD, create_store

pytestmark = pytest.mark.integration


def ctx_of(store) -> TenantContext:
    return TenantContext(tenant_id=store.tenant_id, actor_label="test")


@pytest.fixture
async def store():
    """A store of its own, so that counting its staff is not disturbed by other tests."""
    return await create_store()


async def test_manager_adds_a_staff_member(new_browser, store) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    email = f"new-{uuid.uuid4().hex[:6]}@example.test"
    response = await browser.submit("/admin/staff", [
        ("email", email), ("display_name", "小王"), ("password", "good-password-1"),
        ("roles", FRONT_DESK), ("roles", AFTER_SALES),
    ])
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/staff"
    page = await browser.get("/admin/staff")
    assert f"已添加 {email}。" in page.text
    assert "小王" in page.text
    views = {v.email: v for v in await identity.list_staff(ctx_of(store))}
    assert views[email].roles == sorted([FRONT_DESK, AFTER_SALES])
    newcomer = await new_browser()
    assert (await newcomer.login(email, "good-password-1")).status_code == 303
    audit = await browser.get("/admin/audit", params={"action": "account.created", "target_id": str(views[email].id)})
    assert "account.created" in audit.text


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"email": "not-an-email", "password": "good-password-1", "roles": FRONT_DESK}, "email", "请输入有效的邮箱地址"),
    ({"email": "x@example.test", "password": "short1", "roles": FRONT_DESK}, "password", "密码至少需要 10 个字符"),
    ({"email": "x@example.test", "password": "good-password-1"}, "roles", "请至少选择一个角色"),
    ({"email": "x@example.test", "password": "good-password-1", "roles": "owner"}, "roles", "unknown role(s): owner"),
])
async def test_bad_input_is_shown_in_the_form_and_nothing_is_created(new_browser, store, fields, field,
                                                                      message) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    before = len(await identity.list_staff(ctx_of(store)))
    response = await browser.submit("/admin/staff", fields)
    assert response.status_code == 422
    assert f'id="err-{field}">{message}</p>' in response.text
    assert 'value="good-password-1"' not in response.text  # passwords are never echoed
    if field != "email":
        assert 'value="x@example.test"' in response.text  # the rest of the input is kept
    assert len(await identity.list_staff(ctx_of(store))) == before


async def test_a_taken_email_is_a_form_error(new_browser, store, store_b) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    # Unique across stores: the unique violation aborts the request's transaction, and the page
    # must still render from what was loaded before the write.
    response = await browser.submit("/admin/staff", {"email": store_b.manager_email, "password": "good-password-1",
                                                     "roles": FRONT_DESK})
    assert response.status_code == 422
    assert "该邮箱已被其他账号使用" in response.text
    assert store.manager_email in response.text  # the staff list is still shown


async def test_change_roles_deactivate_and_reactivate(new_browser, store, make_staff) -> None:
    email = await make_staff(store.tenant_id, FRONT_DESK)
    account = next(v for v in await identity.list_staff(ctx_of(store)) if v.email == email)
    browser = await new_browser()
    await browser.sign_in(store.manager_email)

    changed = await browser.submit(f"/admin/staff/{account.id}", [("action", "roles"), ("roles", FINANCE)],
                                   csrf_from="/admin/staff")
    assert changed.status_code == 303
    assert (await identity.get_staff(ctx_of(store), account.id)).roles == [FINANCE]
    assert f"已修改 {email} 的角色。" in (await browser.get("/admin/staff")).text

    staff_browser = await new_browser()
    await staff_browser.sign_in(email)
    off = await browser.submit(f"/admin/staff/{account.id}", {"action": "deactivate"}, csrf_from="/admin/staff")
    assert off.status_code == 303
    assert (await identity.get_staff(ctx_of(store), account.id)).is_active is False
    assert (await staff_browser.get("/admin")).status_code == 303  # signed out at once
    assert (await staff_browser.login(email)).status_code == 401

    on = await browser.submit(f"/admin/staff/{account.id}", {"action": "reactivate"}, csrf_from="/admin/staff")
    assert on.status_code == 303
    assert (await identity.get_staff(ctx_of(store), account.id)).is_active is True
    assert (await staff_browser.login(email)).status_code == 303


async def test_row_errors_change_nothing(new_browser, store, make_staff) -> None:
    email = await make_staff(store.tenant_id, FRONT_DESK)
    account = next(v for v in await identity.list_staff(ctx_of(store)) if v.email == email)
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    no_roles = await browser.submit(f"/admin/staff/{account.id}", {"action": "roles"}, csrf_from="/admin/staff")
    assert no_roles.status_code == 422
    assert "请至少选择一个角色" in no_roles.text
    assert (await identity.get_staff(ctx_of(store), account.id)).roles == [FRONT_DESK]
    self_off = await browser.submit(f"/admin/staff/{store.manager_id}", {"action": "deactivate"},
                                    csrf_from="/admin/staff")
    assert self_off.status_code == 422
    assert "不能停用自己的账号" in self_off.text
    assert (await identity.get_staff(ctx_of(store), store.manager_id)).is_active is True
    unknown = await browser.submit(f"/admin/staff/{account.id}", {"action": "promote"}, csrf_from="/admin/staff")
    assert unknown.status_code == 422


async def test_another_stores_account_is_not_found(new_browser, store_a, store_b) -> None:
    browser_b = await new_browser()
    await browser_b.sign_in(store_b.manager_email)
    page = await browser_b.get("/admin/staff")
    assert store_a.manager_email not in page.text
    for action in ({"action": "deactivate"}, {"action": "roles", "roles": FRONT_DESK}, {"action": "promote"}):
        response = await browser_b.submit(f"/admin/staff/{store_a.manager_id}", action, csrf_from="/admin/staff")
        assert response.status_code == 404, action
        assert "页面不存在" in response.text or "找不到该账号" in response.text
    missing = await browser_b.submit(f"/admin/staff/{uuid.uuid4()}", {"action": "deactivate"},
                                     csrf_from="/admin/staff")
    assert missing.status_code == 404
    account = await identity.get_staff(ctx_of(store_a), store_a.manager_id)
    assert account.is_active is True
    assert account.roles == [MANAGER]


async def test_forms_need_the_csrf_token(new_browser, store) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    before = len(await identity.list_staff(ctx_of(store)))
    response = await browser.submit("/admin/staff", {"email": "csrf@example.test", "password": PASSWORD,
                                                     "roles": FRONT_DESK}, with_csrf=False)
    assert response.status_code == 403
    forged = await browser.client.post("/admin/staff", data={"email": "csrf@example.test", "password": PASSWORD,
                                                             "roles": FRONT_DESK, "_csrf": "forged"})
    assert forged.status_code == 403
    assert len(await identity.list_staff(ctx_of(store))) == before


async def test_only_managers_manage_staff(new_browser, store, make_staff) -> None:
    browser = await new_browser()
    await browser.sign_in(await make_staff(store.tenant_id, FINANCE))
    response = await browser.submit("/admin/staff", {"email": "x@example.test", "password": PASSWORD,
                                                     "roles": FINANCE}, csrf_from="/admin")
    assert response.status_code == 403
    response = await browser.submit(f"/admin/staff/{store.manager_id}", {"action": "deactivate"}, csrf_from="/admin")
    assert response.status_code == 403
    assert (await identity.get_staff(ctx_of(store), store.manager_id)).is_active is True


async def test_the_json_api_agrees_another_stores_account_is_not_found(http, store_a, store_b) -> None:
    from pawpay.platform.testing.plugin import login

    await login(http, store_b.manager_email)
    response = await http.patch(f"/api/v1/staff/{store_a.manager_id}", json={"is_active": False})
    assert response.status_code == 404
    assert (await identity.get_staff(ctx_of(store_a), store_a.manager_id)).is_active is True
