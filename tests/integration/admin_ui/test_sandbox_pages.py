"""The sandbox providers' pages: the store's sandbox inbox (``/admin/sandbox/inbox``) and the
identity sandbox's public face-check / signing page (``/sign/sandbox/{store}/{kind}/{token}``)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest

from pawpay.platform.hooks import (
    FaceCheckRequest,
    MiniProgramMessage,
    ProviderStatus,
    Signer,
    SignFlowRequest,
    SmsMessage,
)
from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.platform.providers.services import provider_for, set_store_provider
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store

pytestmark = pytest.mark.integration

ID_NUMBER = "110101199001015503"


@pytest.fixture
async def store():
    """A store of the test's own: the sandbox's memory outlives a test, and other tests send too."""
    return await create_store()


async def send_sms(tenant_id: uuid.UUID, phone: str, template: str = "SMS_REMINDER", **params: str) -> None:
    provider, pctx = await provider_for(TenantContext(tenant_id=tenant_id), "notifications")
    result = await provider.send_sms(pctx, SmsMessage(uuid.uuid4().hex, phone, template, params))
    assert result.status is ProviderStatus.SUCCEEDED


def inbox_rows(html: str) -> list[str]:
    return re.findall(r'<td data-label="[^"]+" class="recipient"><code>([^<]+)</code></td>', html)


async def test_inbox_lists_sent_messages_masked_and_newest_first(browser, store) -> None:
    await send_sms(store.tenant_id, "+8613912345678", amount="¥99.00")
    await send_sms(store.tenant_id, "13712340001", "SMS_OVERDUE")
    provider, pctx = await provider_for(TenantContext(tenant_id=store.tenant_id), "notifications")
    await provider.send_mini_program_message(pctx, MiniProgramMessage(uuid.uuid4().hex, "oAbCdEfGh1234", "TPL_DUE",
                                                                      {"thing1": "续费"}, "pages/bill"))
    await browser.sign_in(store.manager_email)
    page = await browser.get("/admin/sandbox/inbox")
    assert page.status_code == 200
    assert inbox_rows(page.text) == ["*********1234", "*******0001", "*******5678"]
    assert "13912345678" not in page.text
    assert "13712340001" not in page.text
    assert "SMS_REMINDER" in page.text
    assert "amount=¥99.00" in page.text
    assert "pages/bill" in page.text
    filtered = await browser.get("/admin/sandbox/inbox", params={"recipient": "+86 139 1234 5678"})
    assert inbox_rows(filtered.text) == ["*******5678"]


async def test_manager_clears_the_inbox_front_desk_may_only_read(new_browser, make_staff, store) -> None:
    await send_sms(store.tenant_id, "13912340002")
    front_desk = await new_browser()
    await front_desk.sign_in(await make_staff(store.tenant_id, FRONT_DESK))
    page = await front_desk.get("/admin/sandbox/inbox")
    assert inbox_rows(page.text) == ["*******0002"]
    assert "/admin/sandbox/inbox/clear" not in page.text
    refused = await front_desk.submit("/admin/sandbox/inbox/clear", {}, csrf_from="/admin/sandbox/inbox")
    assert refused.status_code == 403
    assert inbox_rows((await front_desk.get("/admin/sandbox/inbox")).text) == ["*******0002"]

    manager = await new_browser()
    await manager.sign_in(store.manager_email)
    no_csrf = await manager.submit("/admin/sandbox/inbox/clear", {}, with_csrf=False)
    assert no_csrf.status_code == 403
    cleared = await manager.submit("/admin/sandbox/inbox/clear", {}, csrf_from="/admin/sandbox/inbox")
    assert cleared.status_code == 303
    after = await manager.get("/admin/sandbox/inbox")
    assert inbox_rows(after.text) == []
    assert "Sandbox inbox cleared: 1 removed." in after.text or "删除 1 条" in after.text


async def test_a_store_never_sees_another_stores_messages(new_browser, store) -> None:
    other = await create_store()
    await send_sms(store.tenant_id, "13912349999")
    browser_b = await new_browser()
    await browser_b.sign_in(other.manager_email)
    page = await browser_b.get("/admin/sandbox/inbox")
    assert page.status_code == 200
    assert inbox_rows(page.text) == []
    filtered = await browser_b.get("/admin/sandbox/inbox", params={"recipient": "13912349999"})
    assert inbox_rows(filtered.text) == []


async def test_a_store_without_the_sandbox_notifier_is_told_so(browser, store, monkeypatch) -> None:
    from pawpay.admin_ui.pages import sandbox

    class RealNotifier:  # a provider with no inbox: what a store using Aliyun SMS would have
        async def send_sms(self, ctx, message):  # pragma: no cover - never called
            raise AssertionError

    async def real_provider(ctx, category, **_):
        return RealNotifier(), None

    monkeypatch.setattr(sandbox.providers, "provider_for", real_provider)
    await browser.sign_in(store.manager_email)
    page = await browser.get("/admin/sandbox/inbox")
    assert page.status_code == 200
    assert 'data-testid="no-sandbox-inbox"' in page.text
    assert "/admin/sandbox/inbox/clear" not in page.text


# --- the identity sandbox's page ------------------------------------------------------------------


async def identity_for(tenant_id: uuid.UUID):
    ctx = TenantContext(tenant_id=tenant_id)
    # Where the links point: this app's sign pages (the sandbox's default base is another path).
    await set_store_provider(ctx, "identity", "sandbox", {"page_base_url": "http://pawpay.test/sign/sandbox"})
    return await provider_for(ctx, "identity")


async def start_sign_flow(tenant_id: uuid.UUID, person: str) -> tuple[str, str]:
    provider, pctx = await identity_for(tenant_id)
    flow_id = uuid.uuid4().hex
    session = await provider.start_sign_flow(pctx, SignFlowRequest(
        flow_id=flow_id, document_name="租赁合同-2026.pdf", document_pdf=b"%PDF-1.7 lease",
        signers=[Signer("person", person, ID_NUMBER, "13912345678"), Signer("organisation", "沙盒宠物店")],
        return_url="http://pawpay.test/done",
    ))
    assert session.result.status is ProviderStatus.PENDING
    assert session.action is not None
    return flow_id, urlsplit(session.action.payload["url"]).path


async def test_sign_flow_page_signs_the_contract(browser, store) -> None:
    flow_id, path = await start_sign_flow(store.tenant_id, "张三")
    assert path.startswith(f"/sign/sandbox/{store.tenant_id}/sign/")
    page = await browser.get(path)
    assert page.status_code == 200
    assert "租赁合同-2026.pdf" in page.text
    assert "张*" in page.text
    assert "张三" not in page.text
    assert 'data-testid="complete"' in page.text
    done = await browser.client.post(path)  # anonymous: no session, no CSRF field
    assert done.status_code == 303
    assert done.headers["location"] == path
    signed = await browser.get(path)
    assert 'data-status="succeeded"' in signed.text
    assert 'data-testid="complete"' not in signed.text
    provider, pctx = await provider_for(TenantContext(tenant_id=store.tenant_id), "identity")
    assert (await provider.query_sign_flow(pctx, flow_id)).status is ProviderStatus.SUCCEEDED


async def test_face_check_page_passes_and_a_scripted_name_fails(browser, store) -> None:
    provider, pctx = await identity_for(store.tenant_id)
    passing = await provider.start_face_check(pctx, FaceCheckRequest(uuid.uuid4().hex, "李四", ID_NUMBER,
                                                                     "http://pawpay.test/done"))
    path = urlsplit(passing.action.payload["url"]).path
    assert 'data-status="pending"' in (await browser.get(path)).text
    assert (await browser.client.post(path)).status_code == 303
    assert 'data-status="succeeded"' in (await browser.get(path)).text

    failing = await provider.start_face_check(pctx, FaceCheckRequest(uuid.uuid4().hex, "王五假体", ID_NUMBER,
                                                                     "http://pawpay.test/done"))
    path = urlsplit(failing.action.payload["url"]).path
    assert (await browser.client.post(path)).status_code == 303
    page = await browser.get(path)
    assert 'data-status="failed"' in page.text
    assert "LIVENESS_FAILED" in page.text


async def test_a_declining_signer_shows_the_failure(browser, store) -> None:
    _, path = await start_sign_flow(store.tenant_id, "赵六拒签")
    await browser.client.post(path)
    page = await browser.get(path)
    assert 'data-status="failed"' in page.text
    assert "SIGNER_DECLINED" in page.text


async def test_a_token_under_another_stores_id_is_not_found(browser, store) -> None:
    other = await create_store()
    _, path = await start_sign_flow(store.tenant_id, "钱七")
    token = path.rsplit("/", 1)[1]
    for wrong in (f"/sign/sandbox/{other.tenant_id}/sign/{token}",
                  f"/sign/sandbox/{uuid.uuid4()}/sign/{token}",
                  f"/sign/sandbox/not-a-store/sign/{token}",
                  f"/sign/sandbox/{store.tenant_id}/face/{token}",
                  f"/sign/sandbox/{store.tenant_id}/sign/{'0' * 32}"):
        page = await browser.get(wrong)
        assert page.status_code == 404, wrong
        assert "<html" in page.text  # the error page, not JSON
        assert (await browser.client.post(wrong)).status_code == 404
    # Nothing was signed by the attempts.
    assert 'data-status="pending"' in (await browser.get(path)).text


async def test_a_signed_in_staff_member_of_another_store_can_open_the_link(browser, store) -> None:
    other = await create_store()
    await browser.sign_in(other.manager_email)
    _, path = await start_sign_flow(store.tenant_id, "孙八")
    assert (await browser.get(path)).status_code == 200
    assert (await browser.client.post(path)).status_code == 303
    assert 'data-status="succeeded"' in (await browser.get(path)).text


async def test_pages_speak_chinese_first_and_english_on_request(new_browser, store) -> None:
    await send_sms(store.tenant_id, "13912340003")
    zh = await new_browser()
    await zh.sign_in(store.manager_email)
    page = await zh.get("/admin/sandbox/inbox")
    assert "测试收件箱" in page.text
    assert "已送达" in page.text
    en = await new_browser("en")
    await en.sign_in(store.manager_email)
    assert "Sandbox inbox" in (await en.get("/admin/sandbox/inbox")).text
    _, path = await start_sign_flow(store.tenant_id, "周九")
    assert "签署合同" in (await (await new_browser()).get(path)).text
    assert "Sign the contract" in (await (await new_browser("en")).get(path)).text


async def test_every_role_has_the_nav_item(new_browser, make_staff, store) -> None:
    browser = await new_browser()
    await browser.sign_in(await make_staff(store.tenant_id, FRONT_DESK))
    page = await browser.get("/admin")
    nav = page.text.split('<nav id="main-nav"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/admin/sandbox/inbox">测试收件箱</a>' in nav
