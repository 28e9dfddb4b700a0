"""The sandbox financing partner: deterministic, scriptable, in memory; it moves no money.

**Eligibility** (checked first; a refusal is ``FAILED`` with the code shown):

* ``amount_fen`` at most 70 % of ``contract_total_fen`` (rounded down): ``AMOUNT_EXCEEDS_LIMIT``;
* ``amount_fen`` at least 10,000 fen (100 CNY): ``AMOUNT_TOO_SMALL``;
* at least 3 ``installments_left``: ``TOO_FEW_INSTALLMENTS``;
* ``last_installment_on`` after today on the store's clock (Beijing date): ``INVALID_TERM``;
* ``currency`` ``CNY``: ``UNSUPPORTED_CURRENCY``.

Then, like the sandbox payments rail, the **last two digits of the amount in fen** script the
partner's answer:

====  ========================================================================================
xx    outcome of ``request_advance``
====  ========================================================================================
00    ``SUCCEEDED``: paid to the store (also every suffix not listed)
01    ``FAILED`` ``DECLINED`` (the partner's own credit review refused)
03    ``NOT_SUBMITTED`` ``SYSTEM_BUSY`` the first time; a retry with the same advance id proceeds
04    ``UNKNOWN`` ``TIMEOUT``; the first query (or a repeated request) resolves it to ``SUCCEEDED``
06    ``PENDING`` (under review); the first query makes it ``SUCCEEDED``
07    ``PENDING``; the first query makes it ``FAILED`` ``DECLINED``
08    raises :class:`ProviderError` ``SANDBOX_FAULT`` (retryable), nothing recorded
====  ========================================================================================

The partner's **fee** is ``fee_rate_bp`` basis points of the advance (default 600 = 6 %),
rounded up to the fen; the store repays ``amount_fen + fee`` (both in the result's ``raw``).

``repayment_receiver`` returns the split receiver to add to an installment:
``SplitReceiver("merchant", partner_account, amount_fen, "垫资还款 <advance_id>")``. It raises
``ProviderError`` ``ADVANCE_NOT_PAID`` for an advance that is not ``SUCCEEDED`` (or unknown) and
``REPAYMENT_EXCEEDS_OUTSTANDING`` for more than ``amount + fee``; the sandbox does not track what
was repaid (the platform's ledger does).

``test_connection``: partner id ``sandbox_bad_credentials`` fails ``AUTH_FAILED``,
``sandbox_unreachable`` is ``NOT_SUBMITTED`` ``UNREACHABLE``; anything else succeeds.

**Idempotency.** Advances are keyed by ``(tenant_id, advance_id)``: the same advance id never
pays twice (:attr:`SandboxFinancing.payouts` lists what was paid); reusing it for another amount
or contract raises ``ProviderError`` ``IDEMPOTENCY_MISMATCH``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pydantic

from pawpay.platform.hooks import (
    CURRENCY_CNY,
    AdvanceRequest,
    Capabilities,
    ProviderConfig,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    SplitReceiver,
    check_fen,
)

MAX_ADVANCE_PERCENT = 70
MIN_ADVANCE_FEN = 10_000
MIN_INSTALLMENTS_LEFT = 3
_LOCAL = ZoneInfo("Asia/Shanghai")


# Every setting has a default so a store gets this sandbox without entering anything (the
# platform falls back to a settings-free sandbox). The default secret is public: a store that
# wants forged sandbox webhooks refused enters its own.
SANDBOX_SECRET = pydantic.SecretStr("pawpay-sandbox-public-secret")


class SandboxFinancingConfig(ProviderConfig):
    """A store's sandbox financing settings."""

    partner_id: str = pydantic.Field(
        default="sandbox", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="The store's id at the sandbox partner (any value; see the docs for scripted ones).",
    )
    api_key: pydantic.SecretStr = pydantic.Field(
        default=SANDBOX_SECRET, min_length=16, description="The sandbox partner's API key.",
    )
    partner_account: str = pydantic.Field(
        default="sbx_financing_partner", min_length=1, max_length=64,
        description="The partner's split-receiver account repayments go to.",
    )
    fee_rate_bp: int = pydantic.Field(default=600, ge=0, le=3000, description="The partner's fee in basis points.")


_Ctx = ProviderContext[SandboxFinancingConfig]


def _result(status: ProviderStatus, code: str | None = None, message: str | None = None,
            reference: str | None = None, **raw: Any) -> ProviderResult:
    return ProviderResult(status, provider_reference=reference, error_code=code, error_message=message,
                          raw={"sandbox": True, **raw})


@dataclass(frozen=True, slots=True)
class _Advance:
    request: AdvanceRequest
    result: ProviderResult
    resolves_to: ProviderResult | None
    repay_total_fen: int


def _refusal(request: AdvanceRequest, today: date) -> tuple[str, str] | None:
    if request.currency != CURRENCY_CNY:
        return "UNSUPPORTED_CURRENCY", "the sandbox partner lends CNY only"
    if request.amount_fen * 100 > request.contract_total_fen * MAX_ADVANCE_PERCENT:
        return "AMOUNT_EXCEEDS_LIMIT", f"at most {MAX_ADVANCE_PERCENT}% of the contract's remaining total"
    if request.amount_fen < MIN_ADVANCE_FEN:
        return "AMOUNT_TOO_SMALL", f"at least {MIN_ADVANCE_FEN} fen"
    if request.installments_left < MIN_INSTALLMENTS_LEFT:
        return "TOO_FEW_INSTALLMENTS", f"at least {MIN_INSTALLMENTS_LEFT} installments must be left"
    if request.last_installment_on <= today:
        return "INVALID_TERM", "the last installment must be in the future"
    return None


class SandboxFinancing:
    """The ``financing/sandbox`` provider (see the module docstring for its rules and scripts)."""

    config_schema: ClassVar[type[ProviderConfig]] = SandboxFinancingConfig
    capabilities: ClassVar[Capabilities] = frozenset()

    def __init__(self) -> None:
        self._advances: dict[tuple[str, str], _Advance] = {}
        self._busy_once: set[tuple[str, str]] = set()
        self.payouts: list[tuple[str, str, int]] = []  # (tenant_id, advance_id, amount_fen) paid to the store

    async def test_connection(self, ctx: _Ctx) -> ProviderResult:
        if ctx.config.partner_id == "sandbox_bad_credentials":
            return _result(ProviderStatus.FAILED, "AUTH_FAILED", "the sandbox refused these credentials")
        if ctx.config.partner_id == "sandbox_unreachable":
            return _result(ProviderStatus.NOT_SUBMITTED, "UNREACHABLE", "the sandbox did not answer")
        return _result(ProviderStatus.SUCCEEDED, reference=ctx.config.partner_id)

    async def request_advance(self, ctx: _Ctx, request: AdvanceRequest) -> ProviderResult:
        key = (ctx.tenant_id, request.advance_id)
        existing = self._advances.get(key)
        if existing is not None:
            earlier = existing.request
            if (earlier.amount_fen, earlier.contract_id) != (request.amount_fen, request.contract_id):
                raise ProviderError(f"advance {request.advance_id} was requested before with other values",
                                    code="IDEMPOTENCY_MISMATCH")
            return self._resolve(key)
        script = request.amount_fen % 100
        if script == 8:
            raise ProviderError("the sandbox simulates an unexpected fault (amount ending in 08)",
                                code="SANDBOX_FAULT", retryable=True)
        if script == 3 and key not in self._busy_once:
            self._busy_once.add(key)
            return _result(ProviderStatus.NOT_SUBMITTED, "SYSTEM_BUSY", "the partner is busy; retry the same advance")
        fee_fen = -(-request.amount_fen * ctx.config.fee_rate_bp // 10_000)  # rounded up to the fen
        repay_total_fen = request.amount_fen + fee_fen
        reference = f"sbx_adv_{request.advance_id}"
        paid = _result(ProviderStatus.SUCCEEDED, reference=reference, amount_fen=request.amount_fen,
                       fee_fen=fee_fen, repay_total_fen=repay_total_fen)
        declined = _result(ProviderStatus.FAILED, "DECLINED", "the partner's review declined", reference=reference)
        resolves_to: ProviderResult | None = None
        refusal = _refusal(request, ctx.now().astimezone(_LOCAL).date())
        if refusal is not None:
            result = _result(ProviderStatus.FAILED, *refusal)
        elif script == 1:
            result = declined
        elif script == 4:
            result, resolves_to = _result(ProviderStatus.UNKNOWN, "TIMEOUT", "the partner timed out"), paid
        elif script in (6, 7):
            result = _result(ProviderStatus.PENDING, reference=reference)
            resolves_to = paid if script == 6 else declined
        else:
            result = paid
        self._advances[key] = _Advance(request, result, resolves_to, repay_total_fen)
        if result.status is ProviderStatus.SUCCEEDED:
            self.payouts.append((ctx.tenant_id, request.advance_id, request.amount_fen))
        return result

    def _resolve(self, key: tuple[str, str]) -> ProviderResult:
        advance = self._advances[key]
        if advance.resolves_to is not None:
            advance = self._advances[key] = replace(advance, result=advance.resolves_to, resolves_to=None)
            if advance.result.status is ProviderStatus.SUCCEEDED:
                self.payouts.append((key[0], key[1], advance.request.amount_fen))
        return advance.result

    async def query_advance(self, ctx: _Ctx, advance_id: str) -> ProviderResult:
        key = (ctx.tenant_id, advance_id)
        if key not in self._advances:
            return _result(ProviderStatus.NOT_SUBMITTED, "NOT_FOUND", "the partner never received this advance")
        return self._resolve(key)

    async def repayment_receiver(self, ctx: _Ctx, advance_id: str, amount_fen: int) -> SplitReceiver:
        check_fen("repayment_receiver", "amount_fen", amount_fen)
        advance = self._advances.get((ctx.tenant_id, advance_id))
        if advance is None or advance.result.status is not ProviderStatus.SUCCEEDED:
            raise ProviderError(f"advance {advance_id} was not paid", code="ADVANCE_NOT_PAID")
        if amount_fen > advance.repay_total_fen:
            raise ProviderError(f"{amount_fen} fen exceeds the {advance.repay_total_fen} fen to repay",
                                code="REPAYMENT_EXCEEDS_OUTSTANDING")
        return SplitReceiver("merchant", ctx.config.partner_account, amount_fen, f"垫资还款 {advance_id}")
