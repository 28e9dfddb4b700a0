"""The provider contract suite: reusable tests any payments provider runs against itself.

A provider package subclasses :class:`PaymentsProviderContract` in one of its test modules and
overrides the ``provider`` and ``provider_config`` fixtures (and ``scenarios`` to describe its
scripted inputs)::

    import pytest
    from pawpay.platform.testing.providers import PaymentsProviderContract, PaymentsScenarios

    from acme_pay.provider import AcmePay


    class TestAcmePayContract(PaymentsProviderContract):
        @pytest.fixture
        def provider(self):
            return AcmePay(http=fake_vendor())          # the vendor faked at the HTTP boundary

        @pytest.fixture
        def provider_config(self):
            return {"merchant_id": "m1", "api_key": "k" * 32}

        @pytest.fixture
        def scenarios(self):
            return PaymentsScenarios(succeeding_amount_fen=9900, declining_amount_fen=9901)

The other categories have suites of the same shape: :class:`CreditProviderContract`,
:class:`NotificationProviderContract`, :class:`WarehouseProviderContract`,
:class:`IdentityProviderContract` and :class:`FinancingProviderContract`, each with a
``...Scenarios`` dataclass for the ``scenarios`` fixture; :func:`check_webhook_verification` holds
the webhook checks they share.

Every test is ``async``: run pytest with ``asyncio_mode = "auto"`` (pytest-asyncio). No database
is needed. The suite checks the contract's rules, not a vendor's business logic: result types and
the five statuses, idempotency on ``attempt_id``, tenant isolation, integer fen, sane rail limits,
marked secrets, tampered webhooks rejected, a working test connection.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from pawpay.platform.hooks import (
    AdvanceRequest,
    AgreementRequest,
    BusinessCheck,
    Capability,
    ChargeRequest,
    ClientAction,
    CreditDecision,
    CreditOutcome,
    CreditProvider,
    Evidence,
    EvidenceKind,
    FaceCheckRequest,
    FinancingProvider,
    IdentityProvider,
    IdentitySession,
    MiniProgramMessage,
    NotificationProvider,
    OrderLine,
    OutboundOrder,
    ParcelState,
    PaymentsProvider,
    PersonCheck,
    ProviderConfig,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RailLimits,
    RawWebhook,
    RealNameCheck,
    Receiver,
    RefundRequest,
    ShipmentInfo,
    Signer,
    SignFlowRequest,
    SmsMessage,
    SplitReceiver,
    WarehouseProvider,
    WebhookAck,
    WebhookRejected,
    redacted_config,
    secret_fields,
)

# 10:00 in Beijing: inside every Chinese rail's allowed hours.
DEFAULT_NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)

WebhookFactory = Callable[[Any, ProviderContext[Any], str], RawWebhook | Awaitable[RawWebhook]]


@dataclasses.dataclass(frozen=True)
class PaymentsScenarios:
    """What the suite needs to know about a provider's (faked or sandbox) inputs.

    Attributes:
        succeeding_amount_fen: an amount that charges ``SUCCEEDED`` at once.
        declining_amount_fen: an amount that is declined (``FAILED``); ``None`` skips that test.
        agreement_id: a callable returning an agreement id the provider will charge.
        make_webhook: ``(provider, ctx, attempt_id) -> RawWebhook`` (or an awaitable of one), a
            validly signed webhook about a charged attempt; ``None`` skips the positive webhook test.
        debits: ``(provider, tenant_id) -> int``, how many real debits the (fake) vendor has seen
            for the tenant; ``None`` skips the "never charged twice" count.
    """

    succeeding_amount_fen: int = 9900
    declining_amount_fen: int | None = None
    agreement_id: Callable[[], str] = lambda: f"agr-{uuid.uuid4().hex[:12]}"
    make_webhook: WebhookFactory | None = None
    debits: Callable[[Any, str], int] | None = None


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


class PaymentsProviderContract:
    """Subclass as ``Test...`` and override ``provider`` and ``provider_config`` (see the module doc)."""

    # --- fixtures to override ---------------------------------------------------------------

    @pytest.fixture
    def provider(self) -> Any:
        pytest.fail("override the `provider` fixture to return your provider instance")

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        pytest.fail("override the `provider_config` fixture to return a valid config dict")

    @pytest.fixture
    def scenarios(self) -> PaymentsScenarios:
        return PaymentsScenarios()

    @pytest.fixture
    def clock_now(self) -> Callable[[], datetime]:
        return lambda: DEFAULT_NOW

    # --- derived fixtures ---------------------------------------------------------------------

    @pytest.fixture
    def validated_config(self, provider: Any, provider_config: dict[str, Any]) -> ProviderConfig:
        config: ProviderConfig = provider.config_schema.model_validate(provider_config)
        return config

    @pytest.fixture
    def make_ctx(
        self, validated_config: ProviderConfig, clock_now: Callable[[], datetime]
    ) -> Callable[[], ProviderContext[Any]]:
        def make() -> ProviderContext[Any]:
            return ProviderContext(tenant_id=str(uuid.uuid4()), config=validated_config, test_mode=True,
                                   clock_now=clock_now)
        return make

    @pytest.fixture
    def ctx(self, make_ctx: Callable[[], ProviderContext[Any]]) -> ProviderContext[Any]:
        return make_ctx()

    @pytest.fixture
    def charge_request(self, scenarios: PaymentsScenarios) -> ChargeRequest:
        return ChargeRequest(attempt_id=_new_id("att"), payment_id=_new_id("pay"),
                             agreement_id=scenarios.agreement_id(),
                             amount_fen=scenarios.succeeding_amount_fen, description="contract suite")

    # --- shape ----------------------------------------------------------------------------------

    def test_implements_the_payments_protocol(self, provider: Any) -> None:
        assert isinstance(provider, PaymentsProvider)
        assert isinstance(provider.config_schema, type)
        assert issubclass(provider.config_schema, ProviderConfig)
        assert isinstance(provider.capabilities, frozenset)
        assert all(isinstance(c, Capability) for c in provider.capabilities)

    def test_config_schema_marks_secrets_and_hides_them(self, provider: Any, validated_config: ProviderConfig) -> None:
        secrets = secret_fields(provider.config_schema)
        assert secrets, "mark credential fields with pydantic.SecretStr"
        shown = redacted_config(validated_config)
        text = repr(validated_config) + str(validated_config)
        for name in secrets:
            value = getattr(validated_config, name)
            if value is None:
                continue
            plain = value.get_secret_value()
            plain = plain.decode() if isinstance(plain, bytes) else plain
            assert plain not in text, f"secret field {name} shows in repr/str"
            assert shown[name] == "********"

    def test_config_schema_refuses_unknown_and_missing_fields(
        self, provider: Any, provider_config: dict[str, Any]
    ) -> None:
        import pydantic

        with pytest.raises(pydantic.ValidationError) as unknown:
            provider.config_schema.model_validate({**provider_config, "no_such_field": "x"})
        assert any(e["loc"] == ("no_such_field",) for e in unknown.value.errors())
        required = [n for n, f in provider.config_schema.model_fields.items() if f.is_required()]
        if required:
            incomplete = {k: v for k, v in provider_config.items() if k != required[0]}
            with pytest.raises(pydantic.ValidationError) as missing:
                provider.config_schema.model_validate(incomplete)
            assert any(e["loc"] == (required[0],) for e in missing.value.errors())

    def test_rail_limits_are_sane(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: PaymentsScenarios
    ) -> None:
        limits = provider.rail_limits(ctx)
        assert isinstance(limits, RailLimits)
        for cap in (limits.per_debit_max_fen, limits.daily_max_fen):
            assert cap is None or (type(cap) is int and cap > 0)
        assert limits.amount_refusal(scenarios.succeeding_amount_fen) is None
        assert limits.allows_time(ctx.now()), "the suite's clock must be inside the allowed hours"
        if limits.per_debit_max_fen is not None:
            assert limits.amount_refusal(limits.per_debit_max_fen + 1) is not None

    async def test_test_connection_succeeds(self, provider: Any, ctx: ProviderContext[Any]) -> None:
        result = await provider.test_connection(ctx)
        assert isinstance(result, ProviderResult)
        assert result.status is ProviderStatus.SUCCEEDED, result

    # --- charges ----------------------------------------------------------------------------------

    async def test_a_charge_succeeds_and_query_agrees(
        self, provider: Any, ctx: ProviderContext[Any], charge_request: ChargeRequest
    ) -> None:
        result = await provider.charge(ctx, charge_request)
        assert isinstance(result, ProviderResult)
        assert result.status is ProviderStatus.SUCCEEDED, result
        assert isinstance(result.provider_reference, str)
        assert result.provider_reference
        queried = await provider.query_charge(ctx, charge_request.attempt_id)
        assert queried.status is ProviderStatus.SUCCEEDED
        assert queried.provider_reference == result.provider_reference

    async def test_charging_the_same_attempt_twice_charges_once(
        self, provider: Any, ctx: ProviderContext[Any], charge_request: ChargeRequest, scenarios: PaymentsScenarios
    ) -> None:
        first = await provider.charge(ctx, charge_request)
        second = await provider.charge(ctx, charge_request)
        assert (second.status, second.provider_reference) == (first.status, first.provider_reference)
        if scenarios.debits is not None:
            assert scenarios.debits(provider, ctx.tenant_id) == 1

    async def test_a_new_attempt_is_a_new_charge(
        self, provider: Any, ctx: ProviderContext[Any], charge_request: ChargeRequest
    ) -> None:
        first = await provider.charge(ctx, charge_request)
        other = dataclasses.replace(charge_request, attempt_id=_new_id("att"))
        second = await provider.charge(ctx, other)
        assert first.status is second.status is ProviderStatus.SUCCEEDED
        assert first.provider_reference != second.provider_reference

    async def test_reusing_an_attempt_id_with_another_amount_raises(
        self, provider: Any, ctx: ProviderContext[Any], charge_request: ChargeRequest
    ) -> None:
        await provider.charge(ctx, charge_request)
        changed = dataclasses.replace(charge_request, amount_fen=charge_request.amount_fen + 100)
        with pytest.raises(ProviderError) as raised:
            await provider.charge(ctx, changed)
        assert raised.value.code == "IDEMPOTENCY_MISMATCH"

    async def test_a_decline_is_a_value_with_a_code(
        self, provider: Any, ctx: ProviderContext[Any], charge_request: ChargeRequest, scenarios: PaymentsScenarios
    ) -> None:
        if scenarios.declining_amount_fen is None:
            pytest.skip("the provider declared no declining amount")
        declined = await provider.charge(ctx, dataclasses.replace(charge_request,
                                                                  amount_fen=scenarios.declining_amount_fen))
        assert declined.status is ProviderStatus.FAILED
        assert declined.error_code

    async def test_an_attempt_never_sent_is_not_submitted(self, provider: Any, ctx: ProviderContext[Any]) -> None:
        result = await provider.query_charge(ctx, _new_id("att"))
        assert result.status is ProviderStatus.NOT_SUBMITTED
        assert result.error_code

    async def test_another_tenant_cannot_see_the_charge(
        self, provider: Any, make_ctx: Callable[[], ProviderContext[Any]], charge_request: ChargeRequest
    ) -> None:
        ctx_a, ctx_b = make_ctx(), make_ctx()
        charged = await provider.charge(ctx_a, charge_request)
        assert charged.status is ProviderStatus.SUCCEEDED
        seen_by_b = await provider.query_charge(ctx_b, charge_request.attempt_id)
        assert seen_by_b.status is not ProviderStatus.SUCCEEDED
        assert seen_by_b.provider_reference != charged.provider_reference

    async def test_a_succeeded_charge_cannot_be_closed(
        self, provider: Any, ctx: ProviderContext[Any], charge_request: ChargeRequest
    ) -> None:
        await provider.charge(ctx, charge_request)
        closed = await provider.close_charge(ctx, charge_request.attempt_id)
        assert closed.status is ProviderStatus.FAILED
        assert closed.error_code == "ALREADY_SUCCEEDED"

    async def test_refunds_are_idempotent_on_refund_id(
        self, provider: Any, ctx: ProviderContext[Any], charge_request: ChargeRequest
    ) -> None:
        if Capability.REFUNDS not in provider.capabilities:
            pytest.skip("no REFUNDS capability")
        await provider.charge(ctx, charge_request)
        refund = RefundRequest(refund_id=_new_id("ref"), attempt_id=charge_request.attempt_id,
                               amount_fen=charge_request.amount_fen, charge_amount_fen=charge_request.amount_fen)
        first = await provider.refund(ctx, refund)
        assert first.status is ProviderStatus.SUCCEEDED
        again = await provider.refund(ctx, refund)
        assert (again.status, again.provider_reference) == (first.status, first.provider_reference)
        # A second refund (new id) of the whole amount again would refund more than was charged.
        more = await provider.refund(ctx, dataclasses.replace(refund, refund_id=_new_id("ref")))
        assert more.status is ProviderStatus.FAILED

    async def test_agreements_can_be_signed_and_queried(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: PaymentsScenarios
    ) -> None:
        if Capability.AGREEMENTS not in provider.capabilities:
            pytest.skip("no AGREEMENTS capability")
        agreement_id = scenarios.agreement_id()
        session = await provider.sign_agreement(ctx, AgreementRequest(
            agreement_id=agreement_id, payer_reference="", display_account="contract suite",
            max_amount_fen=scenarios.succeeding_amount_fen, period_months=1,
            first_debit_on=date(2026, 4, 1)))
        assert session.result.status in {ProviderStatus.PENDING, ProviderStatus.SUCCEEDED}
        if session.result.status is ProviderStatus.PENDING:
            assert session.action is not None
        info = await provider.query_agreement(ctx, agreement_id)
        assert info.agreement_id == agreement_id

    # --- webhooks ---------------------------------------------------------------------------------

    async def test_webhooks_are_verified(
        self, provider: Any, ctx: ProviderContext[Any], charge_request: ChargeRequest, scenarios: PaymentsScenarios
    ) -> None:
        if Capability.WEBHOOKS not in provider.capabilities:
            pytest.skip("no WEBHOOKS capability")
        ack = provider.webhook_ack(True)
        assert isinstance(ack, WebhookAck)
        assert 200 <= ack.status_code < 300
        garbage = RawWebhook("POST", "/webhooks/payments/x/y", "", {}, b"not a webhook", "203.0.113.9", ctx.now())
        with pytest.raises(WebhookRejected):
            await provider.verify_webhook(ctx, garbage)
        if scenarios.make_webhook is None:
            return
        await provider.charge(ctx, charge_request)
        made = scenarios.make_webhook(provider, ctx, charge_request.attempt_id)
        raw = made if isinstance(made, RawWebhook) else await made
        events: Sequence[Any] = await provider.verify_webhook(ctx, raw)
        assert events
        assert all(isinstance(e.event_id, str) and e.event_id for e in events)
        assert any(e.reference == charge_request.attempt_id for e in events)
        tampered_body = raw.body.replace(str(charge_request.amount_fen).encode(), b"1")
        assert tampered_body != raw.body
        with pytest.raises(WebhookRejected):
            await provider.verify_webhook(ctx, dataclasses.replace(raw, body=tampered_body))
        late = ProviderContext(tenant_id=ctx.tenant_id, config=ctx.config, test_mode=ctx.test_mode,
                               clock_now=lambda: ctx.now() + timedelta(hours=1))
        with pytest.raises(WebhookRejected):
            await provider.verify_webhook(late, raw)




# --- the other categories ------------------------------------------------------------------------
#
# Each class below is used like PaymentsProviderContract: subclass it as ``Test...``, override the
# ``provider`` and ``provider_config`` fixtures and, where the category has one, ``scenarios``.


async def _webhook_of(made: RawWebhook | Awaitable[RawWebhook]) -> RawWebhook:
    return made if isinstance(made, RawWebhook) else await made


async def check_webhook_verification(
    provider: Any, ctx: ProviderContext[Any], raw: RawWebhook | None, reference: str, category: str,
) -> None:
    """The webhook rules every category shares: garbage and tampered bodies are rejected, a
    validly signed webhook about ``reference`` parses into events, a stale one is rejected."""
    garbage = RawWebhook("POST", f"/webhooks/{category}/x/y", "", {}, b"not a webhook", "203.0.113.9", ctx.now())
    with pytest.raises(WebhookRejected):
        await provider.verify_webhook(ctx, garbage)
    if hasattr(provider, "webhook_ack"):
        ack = provider.webhook_ack(True)
        assert isinstance(ack, WebhookAck)
        assert 200 <= ack.status_code < 300
    if raw is None:
        return
    events: Sequence[Any] = await provider.verify_webhook(ctx, raw)
    assert events
    assert all(isinstance(e.event_id, str) and e.event_id for e in events)
    assert any(e.reference == reference for e in events)
    tampered = raw.body.replace(reference.encode(), reference[:-1].encode() + b"X")
    assert tampered != raw.body, "the webhook body must name the reference"
    with pytest.raises(WebhookRejected):
        await provider.verify_webhook(ctx, dataclasses.replace(raw, body=tampered))
    late = ProviderContext(tenant_id=ctx.tenant_id, config=ctx.config, test_mode=ctx.test_mode,
                           clock_now=lambda: ctx.now() + timedelta(hours=1))
    with pytest.raises(WebhookRejected):
        await provider.verify_webhook(late, raw)


class _ProviderContract:
    """What every category's suite checks: the Protocol, the config schema, test connection."""

    protocol: type = object

    @pytest.fixture
    def provider(self) -> Any:
        pytest.fail("override the `provider` fixture to return your provider instance")

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        pytest.fail("override the `provider_config` fixture to return a valid config dict")

    @pytest.fixture
    def clock_now(self) -> Callable[[], datetime]:
        return lambda: DEFAULT_NOW

    @pytest.fixture
    def validated_config(self, provider: Any, provider_config: dict[str, Any]) -> ProviderConfig:
        config: ProviderConfig = provider.config_schema.model_validate(provider_config)
        return config

    @pytest.fixture
    def make_ctx(
        self, validated_config: ProviderConfig, clock_now: Callable[[], datetime]
    ) -> Callable[[], ProviderContext[Any]]:
        def make() -> ProviderContext[Any]:
            return ProviderContext(tenant_id=str(uuid.uuid4()), config=validated_config, test_mode=True,
                                   clock_now=clock_now)
        return make

    @pytest.fixture
    def ctx(self, make_ctx: Callable[[], ProviderContext[Any]]) -> ProviderContext[Any]:
        return make_ctx()

    def test_implements_the_protocol(self, provider: Any) -> None:
        implements = isinstance(provider, self.protocol)  # not narrowing `provider` to the Protocol
        assert implements, f"not a {self.protocol.__name__}"
        assert isinstance(provider.config_schema, type)
        assert issubclass(provider.config_schema, ProviderConfig)
        assert isinstance(provider.capabilities, frozenset)
        assert all(isinstance(c, Capability) for c in provider.capabilities)

    def test_config_schema_marks_secrets_and_hides_them(self, provider: Any, validated_config: ProviderConfig) -> None:
        PaymentsProviderContract.test_config_schema_marks_secrets_and_hides_them(
            PaymentsProviderContract(), provider, validated_config)

    def test_config_schema_refuses_unknown_and_missing_fields(
        self, provider: Any, provider_config: dict[str, Any]
    ) -> None:
        PaymentsProviderContract.test_config_schema_refuses_unknown_and_missing_fields(
            PaymentsProviderContract(), provider, provider_config)

    async def test_test_connection_succeeds(self, provider: Any, ctx: ProviderContext[Any]) -> None:
        result = await provider.test_connection(ctx)
        assert isinstance(result, ProviderResult)
        assert result.status is ProviderStatus.SUCCEEDED, result


# --- credit ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CreditScenarios:
    """Inputs for :class:`CreditProviderContract`.

    Attributes:
        passing_person: ``(name, id_number, mobile)`` of a person the gate passes at once.
        failing_person: one it refuses (decision ``FAIL``); ``None`` skips that test.
        good_business: ``(legal_name, registration_number)`` in good standing; ``None`` skips
            the business test (also skipped without the ``BUSINESS_CHECK`` capability).
        make_webhook: ``(provider, ctx, check_id) -> RawWebhook`` (or an awaitable), a validly
            signed webhook about a check made earlier; ``None`` skips the positive webhook test.
    """

    passing_person: tuple[str, str, str] = ("张三", "110101199001015503", "13800138000")
    failing_person: tuple[str, str, str] | None = None
    good_business: tuple[str, str] | None = None
    risk_amount_fen: int = 118_800
    make_webhook: WebhookFactory | None = None


class CreditProviderContract(_ProviderContract):
    """The contract suite for ``credit`` providers (see the module doc for how to use it)."""

    protocol = CreditProvider

    @pytest.fixture
    def scenarios(self) -> CreditScenarios:
        return CreditScenarios()

    @staticmethod
    def _person(scenarios: CreditScenarios, person: tuple[str, str, str] | None = None) -> PersonCheck:
        name, id_number, mobile = person or scenarios.passing_person
        return PersonCheck(check_id=_new_id("chk"), name=name, id_number=id_number, mobile=mobile,
                           risk_amount_fen=scenarios.risk_amount_fen)

    async def test_a_person_passes_and_query_agrees(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: CreditScenarios
    ) -> None:
        check = self._person(scenarios)
        outcome = await provider.check_person(ctx, check)
        assert isinstance(outcome, CreditOutcome)
        assert outcome.result.status is ProviderStatus.SUCCEEDED, outcome
        assert outcome.decision is CreditDecision.PASS
        queried = await provider.query_check(ctx, check.check_id)
        assert (queried.result.status, queried.decision) == (ProviderStatus.SUCCEEDED, CreditDecision.PASS)

    async def test_a_refusal_is_a_decision_not_an_error(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: CreditScenarios
    ) -> None:
        if scenarios.failing_person is None:
            pytest.skip("the provider declared no failing person")
        outcome = await provider.check_person(ctx, self._person(scenarios, scenarios.failing_person))
        assert outcome.result.status is ProviderStatus.SUCCEEDED
        assert outcome.decision is CreditDecision.FAIL
        assert outcome.reason_code

    async def test_the_same_check_id_checks_once(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: CreditScenarios
    ) -> None:
        check = self._person(scenarios)
        first = await provider.check_person(ctx, check)
        second = await provider.check_person(ctx, check)
        assert (second.result.status, second.result.provider_reference, second.decision) == (
            first.result.status, first.result.provider_reference, first.decision)
        other = dataclasses.replace(check, check_id=_new_id("chk"))
        assert (await provider.check_person(ctx, other)).result.provider_reference != first.result.provider_reference

    async def test_the_id_number_never_appears_in_the_outcome(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: CreditScenarios
    ) -> None:
        check = self._person(scenarios)
        outcome = await provider.check_person(ctx, check)
        text = repr(outcome) + repr(await provider.query_check(ctx, check.check_id))
        assert check.id_number not in text

    async def test_an_unknown_check_is_not_submitted(self, provider: Any, ctx: ProviderContext[Any]) -> None:
        outcome = await provider.query_check(ctx, _new_id("chk"))
        assert outcome.result.status is ProviderStatus.NOT_SUBMITTED
        assert outcome.decision is None

    async def test_another_tenant_cannot_see_the_check(
        self, provider: Any, make_ctx: Callable[[], ProviderContext[Any]], scenarios: CreditScenarios
    ) -> None:
        ctx_a, ctx_b = make_ctx(), make_ctx()
        check = self._person(scenarios)
        assert (await provider.check_person(ctx_a, check)).decision is CreditDecision.PASS
        seen_by_b = await provider.query_check(ctx_b, check.check_id)
        assert seen_by_b.result.status is ProviderStatus.NOT_SUBMITTED
        assert seen_by_b.decision is None

    async def test_a_business_in_good_standing_passes(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: CreditScenarios
    ) -> None:
        if Capability.BUSINESS_CHECK not in provider.capabilities or scenarios.good_business is None:
            pytest.skip("no BUSINESS_CHECK capability or no business scenario")
        legal_name, number = scenarios.good_business
        outcome = await provider.check_business(ctx, BusinessCheck(_new_id("biz"), legal_name, number))
        assert (outcome.result.status, outcome.decision) == (ProviderStatus.SUCCEEDED, CreditDecision.PASS)

    async def test_webhooks_are_verified(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: CreditScenarios
    ) -> None:
        if Capability.WEBHOOKS not in provider.capabilities:
            pytest.skip("no WEBHOOKS capability")
        check = self._person(scenarios)
        await provider.check_person(ctx, check)
        raw = None
        if scenarios.make_webhook is not None:
            raw = await _webhook_of(scenarios.make_webhook(provider, ctx, check.check_id))
        await check_webhook_verification(provider, ctx, raw, check.check_id, "credit")



# --- notifications ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NotificationScenarios:
    """Inputs for :class:`NotificationProviderContract`.

    Attributes:
        phone: a number the provider accepts and delivers to.
        invalid_phone: one it refuses (``FAILED``); ``None`` skips that test.
        template_code: an approved SMS template.
        openid: a subscribed mini-program user.
        unsubscribed_openid: one without a subscription; ``None`` skips that test.
        template_id: an accepted mini-program template.
    """

    phone: str = "13812345678"
    invalid_phone: str | None = None
    template_code: str = "SMS_100000001"
    openid: str = "oPawpayContractSuite"
    unsubscribed_openid: str | None = None
    template_id: str = "tmpl-debit-reminder"


class NotificationProviderContract(_ProviderContract):
    """The contract suite for ``notifications`` providers."""

    protocol = NotificationProvider

    @pytest.fixture
    def scenarios(self) -> NotificationScenarios:
        return NotificationScenarios()

    @staticmethod
    def _sms(scenarios: NotificationScenarios, phone: str | None = None) -> SmsMessage:
        return SmsMessage(message_id=_new_id("msg"), phone=phone or scenarios.phone,
                          template_code=scenarios.template_code, params={"amount": "99.00"})

    async def test_an_sms_is_accepted_and_queried(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: NotificationScenarios
    ) -> None:
        if Capability.SMS not in provider.capabilities:
            pytest.skip("no SMS capability")
        message = self._sms(scenarios)
        result = await provider.send_sms(ctx, message)
        assert isinstance(result, ProviderResult)
        assert result.status is ProviderStatus.SUCCEEDED, result
        queried = await provider.query_message(ctx, message.message_id)
        assert queried.status is not ProviderStatus.NOT_SUBMITTED

    async def test_the_same_message_id_sends_once(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: NotificationScenarios
    ) -> None:
        if Capability.SMS not in provider.capabilities:
            pytest.skip("no SMS capability")
        message = self._sms(scenarios)
        first = await provider.send_sms(ctx, message)
        again = await provider.send_sms(ctx, message)
        assert (again.status, again.provider_reference) == (first.status, first.provider_reference)
        other = await provider.send_sms(ctx, dataclasses.replace(message, message_id=_new_id("msg")))
        assert other.provider_reference != first.provider_reference

    async def test_an_invalid_phone_is_a_value_with_a_code(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: NotificationScenarios
    ) -> None:
        if Capability.SMS not in provider.capabilities or scenarios.invalid_phone is None:
            pytest.skip("no SMS capability or no invalid phone scenario")
        result = await provider.send_sms(ctx, self._sms(scenarios, scenarios.invalid_phone))
        assert result.status is ProviderStatus.FAILED
        assert result.error_code

    async def test_a_mini_program_message_needs_a_subscription(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: NotificationScenarios
    ) -> None:
        if Capability.MINI_PROGRAM_MESSAGES not in provider.capabilities:
            pytest.skip("no MINI_PROGRAM_MESSAGES capability")
        message = MiniProgramMessage(message_id=_new_id("msg"), openid=scenarios.openid,
                                     template_id=scenarios.template_id, data={"thing1": "contract suite"})
        assert (await provider.send_mini_program_message(ctx, message)).status is ProviderStatus.SUCCEEDED
        if scenarios.unsubscribed_openid is None:
            return
        refused = await provider.send_mini_program_message(ctx, dataclasses.replace(
            message, message_id=_new_id("msg"), openid=scenarios.unsubscribed_openid))
        assert (refused.status, refused.error_code) == (ProviderStatus.FAILED, "NOT_SUBSCRIBED")

    async def test_an_unknown_message_is_not_submitted(self, provider: Any, ctx: ProviderContext[Any]) -> None:
        result = await provider.query_message(ctx, _new_id("msg"))
        assert result.status is ProviderStatus.NOT_SUBMITTED
        assert result.error_code

    async def test_another_tenant_cannot_see_the_message(
        self, provider: Any, make_ctx: Callable[[], ProviderContext[Any]], scenarios: NotificationScenarios
    ) -> None:
        if Capability.SMS not in provider.capabilities:
            pytest.skip("no SMS capability")
        ctx_a, ctx_b = make_ctx(), make_ctx()
        message = self._sms(scenarios)
        sent = await provider.send_sms(ctx_a, message)
        seen_by_b = await provider.query_message(ctx_b, message.message_id)
        assert seen_by_b.status is ProviderStatus.NOT_SUBMITTED
        assert seen_by_b.provider_reference != sent.provider_reference


# --- warehouses ------------------------------------------------------------------------------


def _default_order(order_id: str) -> OutboundOrder:
    return OutboundOrder(
        order_id=order_id, warehouse_code="WH-CONTRACT",
        receiver=Receiver(name="张三", phone="13812345678", province="上海市", city="上海市", district="浦东新区",
                          address="世纪大道 1 号"),
        lines=(OrderLine(sku="FOOD-ADULT-2KG", quantity=1, name="成犬粮 2kg"),),
    )


@dataclasses.dataclass(frozen=True)
class WarehouseScenarios:
    """Inputs for :class:`WarehouseProviderContract`.

    Attributes:
        make_order: ``order_id -> OutboundOrder`` the warehouse accepts.
        delivered_after: how long after creation the parcel is ``DELIVERED`` on the store's clock
            (sandboxes and faked vendors); ``None`` skips the tracking test.
        make_webhook: ``(provider, ctx, order_id) -> RawWebhook`` (or an awaitable), a validly
            signed tracking webhook about an order created earlier; ``None`` skips that test.
    """

    make_order: Callable[[str], OutboundOrder] = _default_order
    delivered_after: timedelta | None = None
    make_webhook: WebhookFactory | None = None


def _at(ctx: ProviderContext[Any], delta: timedelta) -> ProviderContext[Any]:
    """The same store, ``delta`` later on its clock."""
    return ProviderContext(tenant_id=ctx.tenant_id, config=ctx.config, test_mode=ctx.test_mode,
                           clock_now=lambda: ctx.now() + delta)


class WarehouseProviderContract(_ProviderContract):
    """The contract suite for ``warehouses`` providers."""

    protocol = WarehouseProvider

    @pytest.fixture
    def scenarios(self) -> WarehouseScenarios:
        return WarehouseScenarios()

    @pytest.fixture
    def order(self, scenarios: WarehouseScenarios) -> OutboundOrder:
        return scenarios.make_order(_new_id("ord"))

    async def test_an_order_is_accepted_and_query_agrees(
        self, provider: Any, ctx: ProviderContext[Any], order: OutboundOrder
    ) -> None:
        result = await provider.create_outbound_order(ctx, order)
        assert isinstance(result, ProviderResult)
        assert result.status is ProviderStatus.SUCCEEDED, result
        assert result.provider_reference
        info = await provider.query_outbound_order(ctx, order.order_id)
        assert isinstance(info, ShipmentInfo)
        assert info.order_id == order.order_id
        assert info.result.status is ProviderStatus.SUCCEEDED
        assert isinstance(info.state, ParcelState)

    async def test_the_same_order_id_ships_once(
        self, provider: Any, ctx: ProviderContext[Any], order: OutboundOrder
    ) -> None:
        first = await provider.create_outbound_order(ctx, order)
        again = await provider.create_outbound_order(ctx, order)
        assert (again.status, again.provider_reference) == (first.status, first.provider_reference)
        other = await provider.create_outbound_order(ctx, dataclasses.replace(order, order_id=_new_id("ord")))
        assert other.provider_reference != first.provider_reference

    async def test_an_unknown_order_is_not_submitted(self, provider: Any, ctx: ProviderContext[Any]) -> None:
        info = await provider.query_outbound_order(ctx, _new_id("ord"))
        assert info.result.status is ProviderStatus.NOT_SUBMITTED
        assert info.state is None

    async def test_another_tenant_cannot_see_or_cancel_the_order(
        self, provider: Any, make_ctx: Callable[[], ProviderContext[Any]], order: OutboundOrder
    ) -> None:
        ctx_a, ctx_b = make_ctx(), make_ctx()
        assert (await provider.create_outbound_order(ctx_a, order)).status is ProviderStatus.SUCCEEDED
        assert (await provider.query_outbound_order(ctx_b, order.order_id)).result.status is (
            ProviderStatus.NOT_SUBMITTED)
        refused = await provider.cancel_outbound_order(ctx_b, order.order_id, "contract suite")
        assert refused.status is not ProviderStatus.SUCCEEDED
        assert (await provider.query_outbound_order(ctx_a, order.order_id)).state is not ParcelState.CANCELLED

    async def test_cancelling_is_either_done_or_too_late(
        self, provider: Any, ctx: ProviderContext[Any], order: OutboundOrder
    ) -> None:
        await provider.create_outbound_order(ctx, order)
        result = await provider.cancel_outbound_order(ctx, order.order_id, "contract suite")
        assert result.status in {ProviderStatus.SUCCEEDED, ProviderStatus.FAILED}
        if result.status is ProviderStatus.FAILED:
            assert result.error_code == "TOO_LATE"
        else:
            assert (await provider.query_outbound_order(ctx, order.order_id)).state is ParcelState.CANCELLED

    async def test_parcels_are_delivered_as_the_clock_passes(
        self, provider: Any, ctx: ProviderContext[Any], order: OutboundOrder, scenarios: WarehouseScenarios
    ) -> None:
        if scenarios.delivered_after is None:
            pytest.skip("the provider declared no delivery time")
        await provider.create_outbound_order(ctx, order)
        later = await provider.query_outbound_order(_at(ctx, scenarios.delivered_after), order.order_id)
        assert later.state is ParcelState.DELIVERED
        assert later.waybill_no
        assert later.carrier_code
        times = [event.at for event in later.events]
        assert times == sorted(times)
        assert all(t.tzinfo is not None for t in times)
        late_cancel = await provider.cancel_outbound_order(_at(ctx, scenarios.delivered_after), order.order_id, "x")
        assert (late_cancel.status, late_cancel.error_code) == (ProviderStatus.FAILED, "TOO_LATE")

    async def test_webhooks_are_verified(
        self, provider: Any, ctx: ProviderContext[Any], order: OutboundOrder, scenarios: WarehouseScenarios
    ) -> None:
        if Capability.WEBHOOKS not in provider.capabilities:
            pytest.skip("no WEBHOOKS capability")
        await provider.create_outbound_order(ctx, order)
        raw = None
        if scenarios.make_webhook is not None:
            raw = await _webhook_of(scenarios.make_webhook(provider, ctx, order.order_id))
        await check_webhook_verification(provider, ctx, raw, order.order_id, "warehouses")


# --- identity --------------------------------------------------------------------------------

CompleteFlow = Callable[[Any, ProviderContext[Any], IdentitySession], Any]


@dataclasses.dataclass(frozen=True)
class IdentityScenarios:
    """Inputs for :class:`IdentityProviderContract`.

    Attributes:
        person: ``(name, id_number, mobile)`` who passes real-name and face checks and signs.
        mismatched_person: one whose name and ID number do not match; ``None`` skips that test.
        complete: ``(provider, ctx, session) -> None`` (or an awaitable): make the person finish
            the started face check or sign flow (the sandbox page, a faked vendor's callback);
            ``None`` skips the tests that need a completed flow.
        make_webhook: ``(provider, ctx, flow_id) -> RawWebhook`` (or an awaitable), a validly
            signed webhook about a completed sign flow; ``None`` skips that test.
    """

    person: tuple[str, str, str] = ("张三", "110101199001015503", "13812345678")
    mismatched_person: tuple[str, str, str] | None = None
    complete: CompleteFlow | None = None
    make_webhook: WebhookFactory | None = None


class IdentityProviderContract(_ProviderContract):
    """The contract suite for ``identity`` providers."""

    protocol = IdentityProvider

    @pytest.fixture
    def scenarios(self) -> IdentityScenarios:
        return IdentityScenarios()

    @pytest.fixture
    def sign_request(self, scenarios: IdentityScenarios) -> SignFlowRequest:
        name, id_number, mobile = scenarios.person
        return SignFlowRequest(
            flow_id=_new_id("flow"), document_name="领养协议.pdf",
            document_pdf=b"%PDF-1.4\n% contract suite\n%%EOF\n",
            signers=(Signer("person", name, id_number, mobile), Signer("organisation", "宠物店有限公司")),
            return_url="https://example.invalid/signed",
        )

    @staticmethod
    async def _complete(scenarios: IdentityScenarios, provider: Any, ctx: ProviderContext[Any],
                        session: IdentitySession) -> None:
        assert scenarios.complete is not None
        done = scenarios.complete(provider, ctx, session)
        if hasattr(done, "__await__"):
            await done

    async def test_real_name_checks(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: IdentityScenarios
    ) -> None:
        name, id_number, mobile = scenarios.person
        result = await provider.verify_real_name(ctx, RealNameCheck(_new_id("rn"), name, id_number, mobile))
        assert isinstance(result, ProviderResult)
        assert result.status is ProviderStatus.SUCCEEDED, result
        assert id_number not in repr(result)
        if scenarios.mismatched_person is not None:
            other = RealNameCheck(_new_id("rn"), *scenarios.mismatched_person)
            refused = await provider.verify_real_name(ctx, other)
            assert refused.status is ProviderStatus.FAILED
            assert refused.error_code

    async def test_a_face_check_starts_once_and_completes(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: IdentityScenarios
    ) -> None:
        if Capability.FACE_CHECK not in provider.capabilities:
            pytest.skip("no FACE_CHECK capability")
        name, id_number, _ = scenarios.person
        request = FaceCheckRequest(_new_id("face"), name, id_number, "https://example.invalid/back")
        session = await provider.start_face_check(ctx, request)
        assert isinstance(session, IdentitySession)
        assert session.result.status in {ProviderStatus.PENDING, ProviderStatus.SUCCEEDED}
        if session.result.status is ProviderStatus.PENDING:
            assert isinstance(session.action, ClientAction)
        again = await provider.start_face_check(ctx, request)
        assert (again.result.provider_reference, again.action) == (session.result.provider_reference, session.action)
        if scenarios.complete is None:
            return
        await self._complete(scenarios, provider, ctx, session)
        assert (await provider.query_face_check(ctx, request.check_id)).status is ProviderStatus.SUCCEEDED

    async def test_a_sign_flow_yields_evidence_once_signed(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: IdentityScenarios, sign_request: SignFlowRequest
    ) -> None:
        if Capability.E_SIGN not in provider.capabilities:
            pytest.skip("no E_SIGN capability")
        session = await provider.start_sign_flow(ctx, sign_request)
        assert session.result.status is ProviderStatus.PENDING
        assert isinstance(session.action, ClientAction)
        again = await provider.start_sign_flow(ctx, sign_request)
        assert (again.result.provider_reference, again.action) == (session.result.provider_reference, session.action)
        assert (await provider.query_sign_flow(ctx, sign_request.flow_id)).status is not ProviderStatus.SUCCEEDED
        assert list(await provider.download_evidence(ctx, sign_request.flow_id)) == []
        if scenarios.complete is None:
            return
        await self._complete(scenarios, provider, ctx, session)
        assert (await provider.query_sign_flow(ctx, sign_request.flow_id)).status is ProviderStatus.SUCCEEDED
        evidence = list(await provider.download_evidence(ctx, sign_request.flow_id))
        assert all(isinstance(e, Evidence) and e.content for e in evidence)
        assert EvidenceKind.SIGNED_DOCUMENT in {e.kind for e in evidence}
        id_number = scenarios.person[1].encode()
        assert not any(id_number in e.content or id_number.decode() in repr(e.raw) for e in evidence)

    async def test_unknown_flows_are_not_submitted(self, provider: Any, ctx: ProviderContext[Any]) -> None:
        for query in (provider.query_face_check, provider.query_sign_flow):
            result = await query(ctx, _new_id("x"))
            assert result.status is ProviderStatus.NOT_SUBMITTED
            assert result.error_code

    async def test_another_tenant_cannot_see_the_flow(
        self, provider: Any, make_ctx: Callable[[], ProviderContext[Any]], scenarios: IdentityScenarios,
        sign_request: SignFlowRequest,
    ) -> None:
        if Capability.E_SIGN not in provider.capabilities:
            pytest.skip("no E_SIGN capability")
        ctx_a, ctx_b = make_ctx(), make_ctx()
        session = await provider.start_sign_flow(ctx_a, sign_request)
        if scenarios.complete is not None:
            await self._complete(scenarios, provider, ctx_a, session)
        assert (await provider.query_sign_flow(ctx_b, sign_request.flow_id)).status is ProviderStatus.NOT_SUBMITTED
        assert list(await provider.download_evidence(ctx_b, sign_request.flow_id)) == []

    async def test_webhooks_are_verified(
        self, provider: Any, ctx: ProviderContext[Any], scenarios: IdentityScenarios, sign_request: SignFlowRequest
    ) -> None:
        if Capability.WEBHOOKS not in provider.capabilities:
            pytest.skip("no WEBHOOKS capability")
        raw = None
        if scenarios.make_webhook is not None and scenarios.complete is not None:
            session = await provider.start_sign_flow(ctx, sign_request)
            await self._complete(scenarios, provider, ctx, session)
            raw = await _webhook_of(scenarios.make_webhook(provider, ctx, sign_request.flow_id))
        await check_webhook_verification(provider, ctx, raw, sign_request.flow_id, "identity")


# --- financing -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FinancingScenarios:
    """Inputs for :class:`FinancingProviderContract`.

    Attributes:
        amount_fen: an advance the partner pays at once (``SUCCEEDED``).
        contract_total_fen: the contract's remaining total it is secured on.
        installments_left: installments still to collect.
        declining_amount_fen: an advance the partner declines; ``None`` skips that test.
        payouts: ``(provider, tenant_id) -> int``, how many advances the (fake) partner paid for
            the tenant; ``None`` skips the "never paid twice" count.
    """

    amount_fen: int = 50_000
    contract_total_fen: int = 118_800
    installments_left: int = 12
    declining_amount_fen: int | None = None
    payouts: Callable[[Any, str], int] | None = None


class FinancingProviderContract(_ProviderContract):
    """The contract suite for ``financing`` providers."""

    protocol = FinancingProvider

    @pytest.fixture
    def scenarios(self) -> FinancingScenarios:
        return FinancingScenarios()

    @pytest.fixture
    def advance_request(self, scenarios: FinancingScenarios, ctx: ProviderContext[Any]) -> AdvanceRequest:
        return AdvanceRequest(
            advance_id=_new_id("adv"), contract_id=_new_id("con"), amount_fen=scenarios.amount_fen,
            contract_total_fen=scenarios.contract_total_fen, installments_left=scenarios.installments_left,
            last_installment_on=ctx.now().date() + timedelta(days=31 * scenarios.installments_left),
        )

    async def test_an_advance_is_paid_and_query_agrees(
        self, provider: Any, ctx: ProviderContext[Any], advance_request: AdvanceRequest
    ) -> None:
        result = await provider.request_advance(ctx, advance_request)
        assert isinstance(result, ProviderResult)
        assert result.status is ProviderStatus.SUCCEEDED, result
        assert result.provider_reference
        queried = await provider.query_advance(ctx, advance_request.advance_id)
        assert (queried.status, queried.provider_reference) == (result.status, result.provider_reference)

    async def test_the_same_advance_id_pays_once(
        self, provider: Any, ctx: ProviderContext[Any], advance_request: AdvanceRequest,
        scenarios: FinancingScenarios,
    ) -> None:
        first = await provider.request_advance(ctx, advance_request)
        again = await provider.request_advance(ctx, advance_request)
        assert (again.status, again.provider_reference) == (first.status, first.provider_reference)
        if scenarios.payouts is not None:
            assert scenarios.payouts(provider, ctx.tenant_id) == 1
        changed = dataclasses.replace(advance_request, amount_fen=advance_request.amount_fen - 100)
        with pytest.raises(ProviderError) as raised:
            await provider.request_advance(ctx, changed)
        assert raised.value.code == "IDEMPOTENCY_MISMATCH"

    async def test_a_decline_is_a_value_with_a_code(
        self, provider: Any, ctx: ProviderContext[Any], advance_request: AdvanceRequest,
        scenarios: FinancingScenarios,
    ) -> None:
        if scenarios.declining_amount_fen is None:
            pytest.skip("the provider declared no declining amount")
        declined = await provider.request_advance(ctx, dataclasses.replace(
            advance_request, amount_fen=scenarios.declining_amount_fen))
        assert declined.status is ProviderStatus.FAILED
        assert declined.error_code

    async def test_an_unknown_advance_is_not_submitted(self, provider: Any, ctx: ProviderContext[Any]) -> None:
        result = await provider.query_advance(ctx, _new_id("adv"))
        assert result.status is ProviderStatus.NOT_SUBMITTED
        assert result.error_code

    async def test_the_repayment_receiver_is_a_split_of_integer_fen(
        self, provider: Any, ctx: ProviderContext[Any], advance_request: AdvanceRequest
    ) -> None:
        await provider.request_advance(ctx, advance_request)
        receiver = await provider.repayment_receiver(ctx, advance_request.advance_id, 9_900)
        assert isinstance(receiver, SplitReceiver)
        assert type(receiver.amount_fen) is int
        assert receiver.amount_fen == 9_900
        assert receiver.account

    async def test_another_tenant_cannot_see_or_repay_the_advance(
        self, provider: Any, make_ctx: Callable[[], ProviderContext[Any]], advance_request: AdvanceRequest
    ) -> None:
        ctx_a, ctx_b = make_ctx(), make_ctx()
        paid = await provider.request_advance(ctx_a, advance_request)
        assert paid.status is ProviderStatus.SUCCEEDED
        assert (await provider.query_advance(ctx_b, advance_request.advance_id)).status is (
            ProviderStatus.NOT_SUBMITTED)
        with pytest.raises(ProviderError):
            await provider.repayment_receiver(ctx_b, advance_request.advance_id, 9_900)

__all__ = [
    "DEFAULT_NOW",
    "CreditProviderContract",
    "CreditScenarios",
    "FinancingProviderContract",
    "FinancingScenarios",
    "IdentityProviderContract",
    "IdentityScenarios",
    "NotificationProviderContract",
    "NotificationScenarios",
    "PaymentsProviderContract",
    "PaymentsScenarios",
    "WarehouseProviderContract",
    "WarehouseScenarios",
    "check_webhook_verification",
]
