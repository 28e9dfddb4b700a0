"""notifications/sandbox honours the provider contract, keeps an inbox per store, and its scripted
phone numbers and openids do what the docs say."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from pawpay.platform.hooks import MiniProgramMessage, ProviderContext, ProviderError, ProviderStatus, SmsMessage
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.testing.providers import DEFAULT_NOW, NotificationProviderContract, NotificationScenarios
from pawpay.plugins.notifications.sandbox import plugin
from pawpay.plugins.notifications.sandbox.provider import SandboxNotifier, SandboxNotifierConfig

pytestmark = pytest.mark.contract

CONFIG = {"access_key_id": "sandbox_store", "access_key_secret": "k" * 16, "sign_name": "宠物月付"}


class TestSandboxNotifierContract(NotificationProviderContract):
    @pytest.fixture
    def provider(self) -> SandboxNotifier:
        return SandboxNotifier()

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        return dict(CONFIG)

    @pytest.fixture
    def scenarios(self) -> NotificationScenarios:
        return NotificationScenarios(invalid_phone="12345", unsubscribed_openid="sbx_unsubscribed_1")


@pytest.fixture
def sandbox() -> SandboxNotifier:
    return SandboxNotifier()


def _ctx(now: datetime = DEFAULT_NOW, tenant_id: str | None = None) -> ProviderContext[SandboxNotifierConfig]:
    return ProviderContext(tenant_id=tenant_id or str(uuid.uuid4()), config=SandboxNotifierConfig(**CONFIG),
                           test_mode=True, clock_now=lambda: now)


def _sms(phone: str, template_code: str = "SMS_100000001") -> SmsMessage:
    return SmsMessage(message_id=f"msg-{uuid.uuid4().hex[:8]}", phone=phone, template_code=template_code,
                      params={"name": "豆豆", "amount": "99.00"})


@pytest.mark.parametrize(("phone", "sent", "code", "delivery", "in_inbox"), [
    ("13812345678", ProviderStatus.SUCCEEDED, None, ProviderStatus.SUCCEEDED, True),
    ("+8613812345678", ProviderStatus.SUCCEEDED, None, ProviderStatus.SUCCEEDED, True),
    ("13800000001", ProviderStatus.SUCCEEDED, None, ProviderStatus.FAILED, True),
    ("13800000002", ProviderStatus.SUCCEEDED, None, ProviderStatus.PENDING, True),
    ("13800000004", ProviderStatus.UNKNOWN, "TIMEOUT", ProviderStatus.SUCCEEDED, True),
    ("12812345678", ProviderStatus.FAILED, "INVALID_PHONE", ProviderStatus.FAILED, False),
    ("1381234567", ProviderStatus.FAILED, "INVALID_PHONE", ProviderStatus.FAILED, False),
])
async def test_the_phone_scripts_send_and_delivery(
    sandbox: SandboxNotifier, phone: str, sent: ProviderStatus, code: str | None, delivery: ProviderStatus,
    in_inbox: bool,
) -> None:
    ctx, message = _ctx(), _sms(phone)
    result = await sandbox.send_sms(ctx, message)
    assert (result.status, result.error_code) == (sent, code)
    assert (await sandbox.query_message(ctx, message.message_id)).status is delivery
    assert [m.message_id for m in sandbox.inbox(ctx)] == ([message.message_id] if in_inbox else [])


async def test_rate_limited_once_then_the_same_message_is_accepted(sandbox: SandboxNotifier) -> None:
    ctx, message = _ctx(), _sms("13800000003")
    limited = await sandbox.send_sms(ctx, message)
    assert (limited.status, limited.error_code) == (ProviderStatus.NOT_SUBMITTED, "RATE_LIMITED")
    assert sandbox.inbox(ctx) == []
    assert (await sandbox.send_sms(ctx, message)).status is ProviderStatus.SUCCEEDED
    assert len(sandbox.inbox(ctx)) == 1


async def test_an_unexpected_fault_raises_and_keeps_nothing(sandbox: SandboxNotifier) -> None:
    ctx, message = _ctx(), _sms("13800000008")
    with pytest.raises(ProviderError) as raised:
        await sandbox.send_sms(ctx, message)
    assert raised.value.retryable
    assert sandbox.inbox(ctx) == []


async def test_an_unapproved_template_is_refused(sandbox: SandboxNotifier) -> None:
    result = await sandbox.send_sms(_ctx(), _sms("13812345678", "SMS_UNAPPROVED"))
    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "TEMPLATE_NOT_APPROVED")


async def test_the_inbox_shows_the_rendered_sms_once_per_message_id(sandbox: SandboxNotifier) -> None:
    ctx, message = _ctx(), _sms("13812345678")
    await sandbox.send_sms(ctx, message)
    await sandbox.send_sms(ctx, message)
    [kept] = sandbox.inbox(ctx)
    assert (kept.channel, kept.recipient, kept.template, kept.sent_at) == (
        "sms", "13812345678", "SMS_100000001", DEFAULT_NOW)
    assert kept.text.startswith("【宠物月付】")
    assert "豆豆" in kept.text


async def test_reusing_a_message_id_for_other_content_raises(sandbox: SandboxNotifier) -> None:
    ctx, message = _ctx(), _sms("13812345678")
    await sandbox.send_sms(ctx, message)
    with pytest.raises(ProviderError) as raised:
        await sandbox.send_sms(ctx, SmsMessage(message.message_id, "13912345678", message.template_code))
    assert raised.value.code == "IDEMPOTENCY_MISMATCH"


async def test_inboxes_are_per_store_newest_first_and_filterable(sandbox: SandboxNotifier) -> None:
    tenant = str(uuid.uuid4())
    early, late = _ctx(DEFAULT_NOW, tenant), _ctx(DEFAULT_NOW + timedelta(minutes=5), tenant)
    first, second = _sms("13812345678"), _sms("13912345678")
    await sandbox.send_sms(early, first)
    await sandbox.send_sms(late, second)
    await sandbox.send_mini_program_message(late, MiniProgramMessage("mp-1", "oUser1", "tmpl-1", {"thing1": "到货"}))
    other_store = _ctx()
    await sandbox.send_sms(other_store, _sms("13812345678"))
    assert [m.message_id for m in sandbox.inbox(early)] == ["mp-1", second.message_id, first.message_id]
    assert [m.message_id for m in sandbox.inbox(early, recipient="13812345678")] == [first.message_id]
    assert len(sandbox.inbox(other_store)) == 1
    assert sandbox.clear_inbox(early) == 3
    assert sandbox.inbox(early) == []
    assert len(sandbox.inbox(other_store)) == 1


@pytest.mark.parametrize(("openid", "status", "code"), [
    ("oUser1", ProviderStatus.SUCCEEDED, None),
    ("sbx_unsubscribed_9", ProviderStatus.FAILED, "NOT_SUBSCRIBED"),
    ("", ProviderStatus.FAILED, "INVALID_OPENID"),
])
async def test_mini_program_messages_are_scripted_by_openid(
    sandbox: SandboxNotifier, openid: str, status: ProviderStatus, code: str | None
) -> None:
    ctx = _ctx()
    result = await sandbox.send_mini_program_message(ctx, MiniProgramMessage(
        "mp-1", openid, "tmpl-1", {"thing1": "明天扣款"}, page="pages/contract/index"))
    assert (result.status, result.error_code) == (status, code)
    inbox = sandbox.inbox(ctx)
    assert [m.page for m in inbox] == (["pages/contract/index"] if status is ProviderStatus.SUCCEEDED else [])


@pytest.mark.parametrize(("key_id", "status"), [
    ("sandbox_bad_credentials", ProviderStatus.FAILED),
    ("sandbox_unreachable", ProviderStatus.NOT_SUBMITTED),
])
async def test_scripted_connection_failures(sandbox: SandboxNotifier, key_id: str, status: ProviderStatus) -> None:
    config = SandboxNotifierConfig(**{**CONFIG, "access_key_id": key_id})
    assert (await sandbox.test_connection(ProviderContext("t", config, True, lambda: DEFAULT_NOW))).status is status


def test_the_plugin_registers_the_sandbox() -> None:
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[plugin]).providers()
    assert isinstance(catalog.get("notifications", "sandbox").provider, SandboxNotifier)
    assert isinstance(catalog.create("notifications", "sandbox", CONFIG).config, SandboxNotifierConfig)


async def test_the_sandbox_needs_no_settings() -> None:
    # The platform falls back to a settings-free sandbox for a store that chose nothing.
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[plugin]).providers()
    configured = catalog.create("notifications", "sandbox", {})
    assert isinstance(configured.config, SandboxNotifierConfig)
    ctx = configured.context(tenant_id=str(uuid.uuid4()), test_mode=True, clock_now=lambda: DEFAULT_NOW)
    assert (await configured.provider.test_connection(ctx)).status is ProviderStatus.SUCCEEDED


class _SharedAcrossStores(SandboxNotifier):
    """A broken provider: keys messages by message id alone, so stores see each other's."""

    async def query_message(self, ctx: ProviderContext[SandboxNotifierConfig], message_id: str) -> Any:
        for (_, mid), sent in self._sent.items():
            if mid == message_id:
                return sent.result
        return await super().query_message(ctx, message_id)


async def test_the_suite_catches_a_provider_that_leaks_across_stores() -> None:
    suite, provider = TestSandboxNotifierContract(), _SharedAcrossStores()
    with pytest.raises(AssertionError):
        await suite.test_another_tenant_cannot_see_the_message(
            provider=provider, make_ctx=_ctx, scenarios=NotificationScenarios())
