"""Plain, frozen types that cross the plugin boundary (never ORM rows)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class NavItem:
    """One entry of the admin navigation.

    ``label`` is the English source string (translated through the catalogs), ``roles`` the
    roles that see it (empty: everybody in the area), ``order`` sorts entries.
    """

    label: str
    path: str
    roles: frozenset[str] = field(default_factory=frozenset)
    order: int = 100
    icon: str = ""


@dataclass(frozen=True, slots=True)
class DueItem:
    """A row the scheduler found due: enqueue ``actor_name`` with ``args``."""

    key: str
    tenant_id: str | None
    args: Sequence[Any]


class DueWork(Protocol):
    """A kind of scheduled work that lives in database rows (see ``pawpay_due_work``)."""

    name: str
    actor_name: str

    def claim(self, now: datetime, limit: int) -> Awaitable[Sequence[DueItem]]:
        """Inside the scheduler's platform-scope transaction, lock (``FOR UPDATE SKIP LOCKED``)
        and lease up to ``limit`` due rows, returning what to enqueue after commit."""
        ...


class ProviderRegistry(Protocol):
    """Where plugins add providers (the argument of ``pawpay_register_providers``)."""

    def add(self, category: str, name: str, factory: Callable[..., Any], **meta: Any) -> None:
        """Register a provider under ``(category, name)``.

        Args:
            category: one of :class:`~pawpay.platform.hooks.ProviderCategory` (``"payments"``,
                ``"credit"``, ``"warehouses"``, ``"notifications"``, ``"identity"``, ``"financing"``).
            name: lower-case ``[a-z][a-z0-9_]*``, unique within the category (``"wechatpay"``).
            factory: a zero-argument callable (usually the provider class) returning the provider,
                an object implementing the category's Protocol (e.g.
                :class:`~pawpay.platform.hooks.PaymentsProvider`). Called once, at start-up.
            meta: ``label`` (shown in settings) and ``description``; nothing else.

        Raises:
            ProviderRegistrationError: unknown category, duplicate key, bad name, a provider
                without a ``ProviderConfig`` schema or missing operations. The message names the
                plugin; the start-up fails.

        .. versionadded:: 1
        """
        ...


@dataclass(frozen=True, slots=True)
class ContractSigned:
    """A contract a customer has just signed (it is active and its installment schedule exists).

    Attributes:
        contract_id: the contract's id (a UUID string).
        contract_no: the store's human-readable contract number (unique per store).
        customer_ref: an opaque reference to the customer (the customer id, a UUID string);
            never personal data.
        total_fen: the contract's total price, integer fen (periods × monthly amount).
        periods: the number of monthly installments.
        monthly_amount_fen: one installment, integer fen.
        first_due_on: the store-local date of the first debit.
        terms_version: the merchant terms version the contract pins (advance eligibility etc.).

    .. versionadded:: 0.2
    """

    contract_id: str
    contract_no: str
    customer_ref: str
    total_fen: int
    periods: int
    monthly_amount_fen: int
    first_due_on: date
    terms_version: int


@dataclass(frozen=True, slots=True)
class InstallmentPaid:
    """An installment a customer has just paid by debit (its period is released for fulfilment).

    Attributes:
        installment_id: the installment's id (a UUID string).
        contract_id: its contract's id (a UUID string).
        contract_no: the store's human-readable contract number.
        sequence: the installment's number in the schedule (1 = first period).
        amount_fen: the amount collected, integer fen.
        paid_at: when the provider collected it (aware UTC).
        attempt_id: the debit attempt that collected it (the provider's idempotency key).

    .. versionadded:: 2
    """

    installment_id: str
    contract_id: str
    contract_no: str
    sequence: int
    amount_fen: int
    paid_at: datetime
    attempt_id: str


@dataclass(frozen=True, slots=True)
class ShipmentShipped:
    """A shipment that has just left the warehouse (it has a carrier and a waybill).

    Attributes:
        shipment_id: the shipment's id (a UUID string).
        contract_id: its contract's id (a UUID string).
        contract_no: the store's human-readable contract number.
        installment_id: the paid installment whose period this box is (a UUID string), ``None``
            for a reship.
        attempt_id: the debit attempt that paid that installment (the charge the payment rail
            knows, e.g. for WeChat's shipping upload), ``None`` for a reship.
        carrier_code: the carrier (Kuaidi100 code).
        waybill_no: the tracking number.
        item_desc: what is in the parcel, short (e.g. "幼猫粮 2kg ×1").
        shipped_at: when it left the warehouse (aware UTC).

    .. versionadded:: 3
    """

    shipment_id: str
    contract_id: str
    contract_no: str
    installment_id: str | None
    attempt_id: str | None
    carrier_code: str
    waybill_no: str
    item_desc: str
    shipped_at: datetime
