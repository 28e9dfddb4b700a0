"""The hook specifications: everything a component or plugin can contribute to pawpay.

This module, with the rest of :mod:`pawpay.platform.hooks`, is the whole public contract. Hooks
are called with keyword arguments only; an implementation may accept any subset of a hook's
arguments, and arguments are only ever *added* (never renamed or removed), so a plugin written
today keeps working. ``HOOKS_API_VERSION`` is bumped whenever a hook is added.

Built-in components (``pawpay.admin_ui``, ``pawpay.tenants.*``, ``pawpay.plugins.*``) register
through the ``pawpay`` entry-point group exactly as a third party's package does::

    [project.entry-points.pawpay]
    acme_pay = "acme_pay.plugin"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pawpay.platform.hooks.providers import WebhookEvent
    from pawpay.platform.hooks.types import (
        ContractSigned,
        DueWork,
        InstallmentPaid,
        NavItem,
        ProviderRegistry,
        ShipmentShipped,
    )

PROJECT_NAME = "pawpay"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def pawpay_piccolo_apps() -> Sequence[str]:  # type: ignore[empty-body]
    """Return the dotted paths of the piccolo app modules (``piccolo_app.py``) this component owns.

    Called when the migration runner or piccolo's ``APP_REGISTRY`` is built. Every table a
    component creates must come with a migration in one of these apps, and every table with a
    ``tenant_id`` column must enable and force row-level security in a migration
    (see :mod:`pawpay.platform.db.rls`); CI fails otherwise.

    :return: e.g. ``["pawpay.tenants.plans.piccolo_app"]``.

    .. versionadded:: 1
    """


@hookspec
def pawpay_route_handlers() -> Sequence[Any]:  # type: ignore[empty-body]
    """Return litestar route handlers, controllers or routers to mount in the web app.

    Called once by ``create_app()``. Paths are absolute: JSON APIs live under ``/api/v1``,
    store pages under ``/admin``, operator pages under ``/ops``, webhooks under ``/webhooks``.
    Every handler runs inside the request's database scope (tenant for store staff and API
    keys, platform for operators); declare who may call it with
    ``opt={"auth": "tenant"|"platform"|"public", "roles": {...}}``. Handlers without ``auth``
    are refused at start-up.

    .. versionadded:: 1
    """


@hookspec
def pawpay_actor_modules() -> Sequence[str]:  # type: ignore[empty-body]
    """Return dotted module paths that define dramatiq actors.

    Called by the worker (and the embedded in-process worker) after the broker is configured,
    so that actors bind to the right broker. Actor names and queue names are part of the
    contract: keep them stable.

    .. versionadded:: 1
    """


@hookspec
def pawpay_due_work() -> Sequence[DueWork]:  # type: ignore[empty-body]
    """Return the kinds of scheduled work this component keeps in database rows.

    The scheduler (``pawpay scheduler`` or the embedded one) asks each :class:`DueWork` for rows
    that are due at the clock's "now", leases them with ``FOR UPDATE SKIP LOCKED`` and enqueues
    its actor *after* the lease commits. A lease that expires (a killed worker) is claimed again,
    so the actor must be idempotent.

    .. versionadded:: 1
    """


@hookspec
def pawpay_admin_nav(area: str) -> Sequence[NavItem]:  # type: ignore[empty-body]
    """Return navigation entries for an admin area.

    :param area: ``"admin"`` (store staff) or ``"ops"`` (platform operators).
    :return: :class:`NavItem` entries; the shell shows those whose ``roles`` the user holds.

    .. versionadded:: 1
    """


@hookspec
def pawpay_template_directories() -> Sequence[str]:  # type: ignore[empty-body]
    """Return directories of Jinja2 templates this component renders (searched in plugin order).

    .. versionadded:: 1
    """


@hookspec
def pawpay_template_environment(environment: Any, template_directories: Sequence[str]) -> None:
    """Configure the shared Jinja2 environment (extensions, filters, globals) once, when the app
    is built.

    :param environment: the ``jinja2.Environment`` every server-rendered page uses.
    :param template_directories: every component's template directories (from
        ``pawpay_template_directories``), e.g. to find translation catalogs next to them.

    .. versionadded:: 1
    """


@hookspec
def pawpay_register_providers(registry: ProviderRegistry) -> None:
    """Add this plugin's providers (payments, credit, warehouses, ...) to ``registry``.

    Called once at start-up with the process's provider registry. Each provider is added under
    a ``(category, name)`` key; a duplicate key fails the start-up. Each store then picks one
    provider per category in its settings.

    Example::

        @hookimpl
        def pawpay_register_providers(registry):
            registry.add("payments", "acme_pay", AcmePayProvider, label="Acme Pay")

    ``AcmePayProvider()`` must implement the category's Protocol
    (:class:`~pawpay.platform.hooks.PaymentsProvider` for ``"payments"``) and declare a
    ``config_schema`` (a :class:`~pawpay.platform.hooks.ProviderConfig` subclass, secrets typed
    ``SecretStr``). A refused registration (unknown category, duplicate key, missing operation,
    no schema) raises :class:`~pawpay.platform.hooks.ProviderRegistrationError` naming the
    plugin, and the start-up fails. See ``docs/plugins.md``.

    :param registry: a :class:`~pawpay.platform.hooks.ProviderRegistry`; call its ``add``.

    .. versionadded:: 1
    """


@hookspec
def pawpay_tenant_created(tenant_id: str, name: str) -> None:
    """Observe a new store (tenant). Broadcast after the transaction that created it committed.

    :param tenant_id: the new tenant's id (a UUID string).
    :param name: the store's display name.

    .. versionadded:: 1
    """


@hookspec
def pawpay_demo_store_seeded(tenant_id: str) -> None:
    """Add demo data to the demo store that ``pawpay dev`` has just created (a catalog, plans...).

    Broadcast once, after the demo store and its accounts are committed, only by ``pawpay dev``
    (never for a real store). May be ``async``. A listener that fails is logged; the demo runs
    without its data.

    :param tenant_id: the demo store's id (a UUID string).

    .. versionadded:: 2
    """


@hookspec
def pawpay_provider_event(tenant_id: str, category: str, provider: str, event: WebhookEvent) -> Any:
    """Act on a verified provider event (a charge succeeded, a parcel moved, a face check ended).

    Called by the webhook processor once per event (de-duplicated by the vendor's event id),
    inside that store's tenant-scope transaction, after the raw webhook was stored and verified.
    An implementation may be ``async`` (return a coroutine; it is awaited). Raising leaves the
    event unprocessed: it is offered again later with backoff, so implementations must be
    idempotent. Look at ``category`` and ``event.kind`` and ignore what is not yours.

    :param tenant_id: the store (a UUID string).
    :param category: ``payments``, ``credit``, ``warehouses``, ...
    :param provider: the provider's registered name.
    :param event: the normalised event.

    .. versionadded:: 1
    """


@hookspec
def pawpay_audit_recorded(entry: dict[str, Any]) -> None:
    """Observe an audit-log entry after the transaction that wrote it committed (e.g. to ship it to
    a SIEM). Never called for an entry that was rolled back.

    :param entry: the entry as plain JSON-able data (``action``, ``tenant_id``, ``actor_id``,
        ``target_type``, ``target_id``, ``request_id``, ``created_at``); never secrets.

    .. versionadded:: 1
    """


@hookspec
def pawpay_contract_signed(tenant_id: str, contract: ContractSigned) -> None:
    """Observe a contract that a customer signed (it became active with its installment schedule).

    Broadcast once per contract, after the transaction that activated it committed (never for a
    rolled-back signing; a repeated submit of the same signing does not broadcast again). Called
    outside any database scope: an implementation opens its own (e.g. to request an advance from
    the financing partner where the store's terms allow it). An implementation may be ``async``
    (return a coroutine; it is awaited). One that raises is logged and neither undoes the signing
    nor keeps the other listeners from hearing it; do durable work idempotently (keyed by
    ``contract.contract_id``).

    :param tenant_id: the store (a UUID string).
    :param contract: a :class:`~pawpay.platform.hooks.types.ContractSigned` (no personal data).

    .. versionadded:: 2
    """


@hookspec
def pawpay_installment_paid(tenant_id: str, installment: InstallmentPaid) -> None:
    """Observe an installment paid by debit: its period is released for fulfilment (the warehouse
    ships the period's goods, points were granted, the ledger has the collection). For database
    work prefer the set-based :func:`pawpay_installments_paid` (heard first, once per batch).

    Broadcast once per installment, after the transaction that recorded the payment committed
    (never for a rolled-back one; a duplicate webhook or a re-run debit job does not broadcast
    again). An implementation opens its own ``tenant_scope`` for the store: the listeners run
    inside one open transaction of that store's scope (a savepoint per event), so their
    ``tenant_scope`` joins it and one commit covers the batch. Never open a platform scope here.
    It may be ``async`` (it is awaited). One that raises is logged and neither undoes the payment
    nor keeps the other listeners from hearing it; one whose SQL breaks the batch's transaction is
    rolled back to its savepoint and the event is broadcast again on its own, so a listener may
    hear an event twice: do durable work idempotently (keyed by ``installment.installment_id``).

    :param tenant_id: the store (a UUID string).
    :param installment: a :class:`~pawpay.platform.hooks.types.InstallmentPaid` (no personal data).

    .. versionadded:: 2
    """


@hookspec
def pawpay_installments_paid(tenant_id: str, installments: Sequence[InstallmentPaid]) -> None:
    """Observe the installments of one store paid together by debit (a debit batch; a single debit
    or webhook is a batch of one): the set-based form of :func:`pawpay_installment_paid`, and the
    one to implement for any database work — on a debit day a store's batch holds up to 100
    installments, and one statement for all of them instead of one each is what keeps the debit
    path fast.

    Broadcast once per batch, after the transaction that recorded the payments committed (never
    for rolled-back ones; a duplicate webhook or a re-run debit job does not broadcast again), and
    before the per-installment :func:`pawpay_installment_paid`. The listeners run inside ONE open
    transaction of the store's ``tenant_scope`` (a savepoint around the hook): open your own
    ``tenant_scope`` for the store and it joins that transaction, so one commit covers the batch.
    Never open a platform scope here. It may be ``async`` (it is awaited). One that raises is
    logged and neither undoes the payments nor keeps the other listeners from hearing them; one
    whose SQL breaks the transaction is rolled back to the savepoint and the batch is broadcast
    again on its own (each listener in its own transaction), so a listener may hear a batch twice:
    do durable work idempotently (keyed by each ``installment_id``).

    :param tenant_id: the store (a UUID string).
    :param installments: :class:`~pawpay.platform.hooks.types.InstallmentPaid` items (no personal
        data), in payment order, all of this store, each installment once.

    .. versionadded:: 4
    """


@hookspec
def pawpay_shipment_shipped(tenant_id: str, shipment: ShipmentShipped) -> None:
    """Observe a shipment that left the warehouse (the warehouse reported a carrier and a waybill).

    Broadcast once per shipment, after the transaction that recorded the shipping committed (a
    duplicate or re-ordered tracking webhook, or a poll that finds it again, does not broadcast
    again). Called outside any database scope: an implementation opens its own. It may be
    ``async`` (it is awaited). One that raises is logged and keeps no other listener from hearing
    it; do durable work idempotently (keyed by ``shipment.shipment_id``). Fulfilment itself uses
    it to report the shipping to a payment rail that settles only after shipping
    (capability ``SHIPPING_INFO``).

    :param tenant_id: the store (a UUID string).
    :param shipment: a :class:`~pawpay.platform.hooks.types.ShipmentShipped` (no personal data).

    .. versionadded:: 3
    """
