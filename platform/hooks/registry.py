"""The process's catalogue of providers, filled at start-up through ``pawpay_register_providers``.

A plugin adds providers with ``registry.add(category, name, factory, label=..., description=...)``;
``factory`` is a zero-argument callable (usually the provider class) called once, at registration.
The provider instance is shared by every store: it keeps no tenant's config (that arrives with each
call in :class:`ProviderContext`) and keys any state it keeps by ``ctx.tenant_id``.

Registration is strict so that a broken plugin fails the start-up, naming the plugin, instead of
failing a debit later: unknown categories, duplicate keys, bad names, a missing or non-pydantic
config schema and missing operations of the category's Protocol are all refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic

from pawpay.platform.hooks.credit import CreditProvider
from pawpay.platform.hooks.financing import FinancingProvider
from pawpay.platform.hooks.identity import IdentityProvider
from pawpay.platform.hooks.notifications import NotificationProvider
from pawpay.platform.hooks.payments import PaymentsProvider, ShippingInfoUploader
from pawpay.platform.hooks.providers import (
    Capability,
    ProviderCategory,
    ProviderConfig,
    ProviderContext,
    secret_fields,
)
from pawpay.platform.hooks.warehouses import WarehouseProvider

PROTOCOLS: Mapping[ProviderCategory, type] = {
    ProviderCategory.PAYMENTS: PaymentsProvider,
    ProviderCategory.CREDIT: CreditProvider,
    ProviderCategory.WAREHOUSES: WarehouseProvider,
    ProviderCategory.NOTIFICATIONS: NotificationProvider,
    ProviderCategory.IDENTITY: IdentityProvider,
    ProviderCategory.FINANCING: FinancingProvider,
}

# Operations a provider implements only when it declares the capability: (category, capability) → Protocol.
OPTIONAL_PROTOCOLS: Mapping[tuple[ProviderCategory, Capability], type] = {
    (ProviderCategory.PAYMENTS, Capability.SHIPPING_INFO): ShippingInfoUploader,
}

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class ProviderRegistrationError(Exception):
    """A plugin registered a provider the contract refuses (fails the start-up)."""


class ProviderNotFound(LookupError):
    """No provider is registered under the ``(category, name)`` asked for."""

    def __init__(self, category: str, name: str) -> None:
        super().__init__(f"no {category!r} provider named {name!r} is registered")
        self.category = category
        self.name = name


@dataclass(frozen=True, slots=True)
class ConfigFieldError:
    """One field-level problem with a store's provider config.

    ``field`` is the dotted field path (``"api_key"``), ``code`` pydantic's error type
    (``"missing"``, ``"string_too_short"``, ``"extra_forbidden"``), ``message`` its English text;
    the settings page translates by ``code``.
    """

    field: str
    code: str
    message: str


class ProviderConfigInvalid(ValueError):
    """A store's config does not satisfy the provider's schema; ``errors`` lists every field."""

    def __init__(self, category: str, name: str, errors: tuple[ConfigFieldError, ...]) -> None:
        fields = ", ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(f"invalid config for {category}/{name}: {fields}")
        self.category = category
        self.name = name
        self.errors = errors


@dataclass(frozen=True, slots=True)
class RegisteredProvider:
    """A provider as registered: its key, the plugin that added it and the shared instance."""

    category: ProviderCategory
    name: str
    plugin: str
    provider: Any
    config_schema: type[ProviderConfig]
    label: str
    description: str

    @property
    def key(self) -> str:
        return f"{self.category.value}/{self.name}"


@dataclass(frozen=True, slots=True)
class ConfiguredProvider:
    """A provider bound to one validated config; :meth:`context` makes the per-call context."""

    registered: RegisteredProvider
    config: ProviderConfig

    @property
    def provider(self) -> Any:
        return self.registered.provider

    def context(self, *, tenant_id: str, test_mode: bool, clock_now: Callable[[], Any]) -> ProviderContext[Any]:
        return ProviderContext(tenant_id=tenant_id, config=self.config, test_mode=test_mode, clock_now=clock_now)


@dataclass(frozen=True, slots=True)
class ProviderDescription:
    """What ``pawpay plugins list`` and the settings pages show about a provider."""

    category: str
    name: str
    plugin: str
    label: str
    description: str
    capabilities: tuple[str, ...]
    config_fields: tuple[str, ...]
    secret_fields: tuple[str, ...]


class ProviderCatalog:
    """The implementation of :class:`~pawpay.platform.hooks.types.ProviderRegistry`.

    The platform builds one per process (``get_plugin_manager().providers()``); plugins only ever
    see the ``add`` method, through a view that knows which plugin is registering.
    """

    def __init__(self) -> None:
        self._providers: dict[tuple[ProviderCategory, str], RegisteredProvider] = {}

    # --- registration -------------------------------------------------------------------------

    def for_plugin(self, plugin: str) -> PluginRegistry:
        """The registry handed to ``plugin``'s ``pawpay_register_providers``."""
        return PluginRegistry(self, plugin)

    def add(self, category: str, name: str, factory: Callable[..., Any], **meta: Any) -> None:
        """Register a provider on behalf of an unnamed plugin (tests); plugins go through :meth:`for_plugin`."""
        self.register(category, name, factory, plugin=meta.pop("plugin", "<direct>"), **meta)

    def register(
        self,
        category: str,
        name: str,
        factory: Callable[..., Any],
        *,
        plugin: str,
        label: str = "",
        description: str = "",
        **unknown: Any,
    ) -> RegisteredProvider:
        where = f"plugin {plugin!r} registering provider {category}/{name}"
        if unknown:
            raise ProviderRegistrationError(f"{where}: unknown option(s) {sorted(unknown)}")
        try:
            cat = ProviderCategory(category)
        except ValueError:
            known = ", ".join(c.value for c in ProviderCategory)
            raise ProviderRegistrationError(f"{where}: unknown category {category!r} (known: {known})") from None
        if not isinstance(name, str) or not _NAME.match(name):
            raise ProviderRegistrationError(f"{where}: the name must match {_NAME.pattern}")
        existing = self._providers.get((cat, name))
        if existing is not None:
            raise ProviderRegistrationError(
                f"{where}: {cat.value}/{name} is already registered by plugin {existing.plugin!r}"
            )
        try:
            provider = factory()
        except Exception as exc:
            raise ProviderRegistrationError(f"{where}: the factory raised {exc!r}") from exc
        schema = getattr(provider, "config_schema", None)
        if not (isinstance(schema, type) and issubclass(schema, ProviderConfig)):
            raise ProviderRegistrationError(
                f"{where}: config_schema must be a subclass of pawpay.platform.hooks.ProviderConfig, not {schema!r}"
            )
        protocol = PROTOCOLS[cat]
        missing = [member for member in _protocol_members(protocol) if not hasattr(provider, member)]
        if missing:
            raise ProviderRegistrationError(f"{where}: missing {protocol.__name__} member(s) {missing}")
        capabilities = getattr(provider, "capabilities", None)
        if not isinstance(capabilities, frozenset) or not all(isinstance(c, Capability) for c in capabilities):
            raise ProviderRegistrationError(f"{where}: capabilities must be a frozenset of Capability")
        for (optional_cat, capability), optional in OPTIONAL_PROTOCOLS.items():
            if optional_cat is not cat or capability not in capabilities:
                continue
            absent = [m for m in _protocol_members(optional) if not callable(getattr(provider, m, None))]
            if absent:
                raise ProviderRegistrationError(f"{where}: declares {capability.value} but has no {', '.join(absent)}")
        registered = RegisteredProvider(
            category=cat, name=name, plugin=plugin, provider=provider, config_schema=schema,
            label=label or name, description=description,
        )
        self._providers[(cat, name)] = registered
        return registered

    # --- lookup --------------------------------------------------------------------------------

    def get(self, category: str, name: str) -> RegisteredProvider:
        try:
            return self._providers[(ProviderCategory(category), name)]
        except (ValueError, KeyError):
            raise ProviderNotFound(category, name) from None

    def by_category(self, category: str) -> list[RegisteredProvider]:
        cat = ProviderCategory(category)
        return sorted((p for (c, _), p in self._providers.items() if c is cat), key=lambda p: p.name)

    def all(self) -> list[RegisteredProvider]:
        return sorted(self._providers.values(), key=lambda p: (p.category.value, p.name))

    def validate_config(self, category: str, name: str, config: Mapping[str, Any]) -> ProviderConfig:
        """``config`` validated against the provider's schema.

        Raises:
            ProviderNotFound: no such provider.
            ProviderConfigInvalid: with one :class:`ConfigFieldError` per failing field.
        """
        registered = self.get(category, name)
        try:
            return registered.config_schema.model_validate(dict(config))
        except pydantic.ValidationError as exc:
            errors = tuple(
                ConfigFieldError(
                    field=".".join(str(part) for part in error["loc"]) or "__root__",
                    code=error["type"],
                    message=error["msg"],
                )
                for error in exc.errors(include_url=False, include_input=False)
            )
            raise ProviderConfigInvalid(registered.category.value, name, errors) from None

    def create(self, category: str, name: str, config: Mapping[str, Any]) -> ConfiguredProvider:
        """The provider ``(category, name)`` bound to ``config`` once it validated (see :meth:`validate_config`)."""
        validated = self.validate_config(category, name, config)
        return ConfiguredProvider(self.get(category, name), validated)

    def describe(self) -> list[ProviderDescription]:
        """Every provider, for ``pawpay plugins list`` and the operators' view."""
        return [
            ProviderDescription(
                category=p.category.value,
                name=p.name,
                plugin=p.plugin,
                label=p.label,
                description=p.description,
                capabilities=tuple(sorted(c.value for c in p.provider.capabilities)),
                config_fields=tuple(p.config_schema.model_fields),
                secret_fields=tuple(sorted(secret_fields(p.config_schema))),
            )
            for p in self.all()
        ]


class PluginRegistry:
    """The view of the catalogue one plugin registers through (so errors name the plugin)."""

    def __init__(self, catalog: ProviderCatalog, plugin: str) -> None:
        self._catalog = catalog
        self._plugin = plugin

    def add(self, category: str, name: str, factory: Callable[..., Any], **meta: Any) -> None:
        """Register a provider: see :class:`~pawpay.platform.hooks.types.ProviderRegistry`."""
        self._catalog.register(category, name, factory, plugin=self._plugin, **meta)


def _protocol_members(protocol: type) -> list[str]:
    # typing keeps a Protocol's declared members in __protocol_attrs__ (3.12+) or computes them
    # with _get_protocol_attrs (3.11); both are private, so fall back to the public annotations.
    attrs = getattr(protocol, "__protocol_attrs__", None)
    if attrs is None:
        import typing

        get_attrs = getattr(typing, "_get_protocol_attrs", None)
        attrs = get_attrs(protocol) if get_attrs else set(vars(protocol))
    return sorted(a for a in attrs if not a.startswith("_"))
