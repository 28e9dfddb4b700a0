"""The ``financing`` category: advances (垫资) paid to a store by a licensed financing partner.

Advancing money against consumers' future installments is lending: pawpay only computes the
eligibility and amount and asks the partner; the partner pays the store and is added as a split
receiver of the contract's later installments until repaid with its fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, runtime_checkable

from pawpay.platform.hooks.payments import SplitReceiver
from pawpay.platform.hooks.providers import (
    CURRENCY_CNY,
    Capabilities,
    ProviderConfig,
    ProviderContext,
    ProviderResult,
    check_fen,
)


@dataclass(frozen=True, slots=True)
class AdvanceRequest:
    """Ask the partner to advance ``amount_fen`` to the store against a contract.

    Attributes:
        advance_id: platform-owned id, the idempotency key.
        contract_id: the consumer contract the advance is secured on.
        amount_fen: the amount the store asks for.
        contract_total_fen: the contract's remaining total.
        installments_left: installments still to be collected.
        last_installment_on: the planned date of the last installment.
    """

    advance_id: str
    contract_id: str
    amount_fen: int
    contract_total_fen: int
    installments_left: int
    last_installment_on: date
    currency: str = CURRENCY_CNY

    def __post_init__(self) -> None:
        check_fen("AdvanceRequest", "amount_fen", self.amount_fen)
        check_fen("AdvanceRequest", "contract_total_fen", self.contract_total_fen)
        if self.amount_fen > self.contract_total_fen:
            raise ValueError("AdvanceRequest.amount_fen exceeds contract_total_fen")


@runtime_checkable
class FinancingProvider(Protocol):
    """A licensed financing partner (bank, consumer-finance company, licensed factor, the sandbox)."""

    @property
    def config_schema(self) -> type[ProviderConfig]:
        """The store config schema. .. versionadded:: 1"""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Optional features implemented. .. versionadded:: 1"""
        ...

    async def test_connection(self, ctx: ProviderContext[Any]) -> ProviderResult:
        """Check the store's credentials without side effects. .. versionadded:: 1"""
        ...

    async def request_advance(self, ctx: ProviderContext[Any], request: AdvanceRequest) -> ProviderResult:
        """Ask for an advance; idempotent on ``advance_id``. ``PENDING`` while the partner reviews.

        .. versionadded:: 1
        """
        ...

    async def query_advance(self, ctx: ProviderContext[Any], advance_id: str) -> ProviderResult:
        """The advance's state (``SUCCEEDED`` = paid to the store). .. versionadded:: 1"""
        ...

    async def repayment_receiver(self, ctx: ProviderContext[Any], advance_id: str, amount_fen: int) -> SplitReceiver:
        """The split receiver to add to the next installment to repay ``amount_fen`` of the advance.

        .. versionadded:: 1
        """
        ...


__all__ = ["AdvanceRequest", "FinancingProvider"]
