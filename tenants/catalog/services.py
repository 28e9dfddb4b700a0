"""The store's catalog: SKUs and services that plans put in each period.

Codes are unique per store. A SKU or service that any plan version has listed is never deleted
(a signed contract's plan version still names it): :func:`delete_sku` / :func:`delete_service`
deactivate it instead and say so. Another store's entry is a :class:`NotFound` like a missing one.

Public API (plans and pages call these)::

    list_skus(ctx, *, kind=None, active_only=False, search=None, limit=50, offset=0) -> (list[SkuView], total)
    get_sku(ctx, sku_id) -> SkuView
    create_sku(ctx, SkuInput) -> SkuView;  update_sku(ctx, sku_id, SkuInput) -> SkuView
    set_sku_active(ctx, sku_id, active) -> SkuView;  delete_sku(ctx, sku_id) -> bool (False: deactivated)
    ... the same for services (ServiceInput / ServiceView / *_service)
    resolve_items(ctx, sku_ids=..., service_ids=...) -> dict[UUID, ItemRef]  (active items only)
    mark_used(ctx, sku_ids=..., service_ids=...)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import BusinessRuleViolation, NotFound
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.tenants.catalog.errors import CodeTaken, ItemInactive
from pawpay.tenants.catalog.rules import SERVICE_KINDS, SKU_KINDS, check_code, check_kind, check_text
from pawpay.tenants.catalog.tables import CatalogService, CatalogSku

MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class SkuInput:
    code: str
    name: str
    kind: str
    unit: str = ""
    specification: str = ""
    warehouse_sku_code: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class SkuView:
    id: uuid.UUID
    code: str
    name: str
    kind: str
    unit: str
    specification: str
    warehouse_sku_code: str
    active: bool
    used_by_plan: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ServiceInput:
    code: str
    name: str
    kind: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class ServiceView:
    id: uuid.UUID
    code: str
    name: str
    kind: str
    active: bool
    used_by_plan: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ItemRef:
    """What a plan version snapshots of a catalog item."""

    id: uuid.UUID
    item_type: str  # sku | service
    code: str
    name: str
    kind: str
    unit: str
    warehouse_sku_code: str


def _clean_sku(data: SkuInput) -> dict[str, Any]:
    return {
        "code": check_code(data.code),
        "name": check_text(data.name, "name", max_length=200, required=True),
        "kind": check_kind(data.kind, SKU_KINDS),
        "unit": check_text(data.unit, "unit", max_length=32),
        "specification": check_text(data.specification, "specification", max_length=200),
        "warehouse_sku_code": check_text(data.warehouse_sku_code, "warehouse_sku_code", max_length=64),
        "active": bool(data.active),
    }


def _clean_service(data: ServiceInput) -> dict[str, Any]:
    return {
        "code": check_code(data.code),
        "name": check_text(data.name, "name", max_length=200, required=True),
        "kind": check_kind(data.kind, SERVICE_KINDS),
        "active": bool(data.active),
    }


def _sku_view(row: dict[str, Any]) -> SkuView:
    return SkuView(**{f: row[f] for f in SkuView.__dataclass_fields__})


def _service_view(row: dict[str, Any]) -> ServiceView:
    return ServiceView(**{f: row[f] for f in ServiceView.__dataclass_fields__})


class _Kind:
    """The shared CRUD of the two catalog tables."""

    def __init__(self, table: type[CatalogSku] | type[CatalogService], label: str,
                 view: Any, clean: Any) -> None:
        self.table = table
        self.label = label  # "sku" | "service"
        self.view = view
        self.clean = clean

    async def list(self, ctx: TenantContext, *, kind: str | None, active_only: bool, search: str | None,
                   limit: int, offset: int) -> tuple[list[Any], int]:
        t = self.table
        where: Any = t.tenant_id == ctx.tenant_id
        if kind:
            where &= t.kind == kind
        if active_only:
            where &= t.active == True  # noqa: E712 (piccolo builds SQL from ==)
        if search:
            pattern = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where &= t.code.ilike(pattern) | t.name.ilike(pattern)
        limit = max(1, min(limit, MAX_LIMIT))
        async with tenant_scope(ctx):
            rows = await t.select().where(where).order_by(t.active, ascending=False).order_by(t.code) \
                .limit(limit).offset(max(offset, 0))
            total = await t.count().where(where)
        return [self.view(r) for r in rows], int(total)

    async def _row(self, ctx: TenantContext, item_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any]:
        t = self.table
        query = t.select().where((t.id == item_id) & (t.tenant_id == ctx.tenant_id))
        if lock:
            query = query.lock_rows()
        row = await query.first()
        if row is None:
            raise NotFound(f"no such catalog {self.label}")  # the same for another store's
        return row

    async def get(self, ctx: TenantContext, item_id: uuid.UUID) -> Any:
        async with tenant_scope(ctx):
            return self.view(await self._row(ctx, item_id))

    async def _check_free(self, ctx: TenantContext, code: str, except_id: uuid.UUID | None) -> None:
        t = self.table
        where = (t.tenant_id == ctx.tenant_id) & (t.code == code)
        if except_id is not None:
            where &= t.id != except_id
        if await t.exists().where(where):
            raise CodeTaken(f"another catalog {self.label} of this store has this code", code_value=code)

    async def create(self, ctx: TenantContext, data: Any) -> Any:
        values = self.clean(data)
        now = utcnow()
        item_id = uuid.uuid4()
        async with tenant_scope(ctx):
            await self._check_free(ctx, values["code"], None)
            try:
                table: Any = self.table
                await table.insert(table(id=item_id, tenant_id=ctx.tenant_id, used_by_plan=False,
                                         created_at=now, updated_at=now, **values))
            except UniqueViolationError:
                raise CodeTaken(f"another catalog {self.label} of this store has this code",
                                code_value=values["code"]) from None
            view = self.view(await self._row(ctx, item_id))
            await record(ctx, f"catalog.{self.label}_created", target_type=f"catalog_{self.label}",
                         target_id=str(item_id), after=_snapshot(view))
        return view

    async def update(self, ctx: TenantContext, item_id: uuid.UUID, data: Any) -> Any:
        values = self.clean(data)
        async with tenant_scope(ctx):
            before = self.view(await self._row(ctx, item_id, lock=True))
            await self._check_free(ctx, values["code"], item_id)
            if before.used_by_plan and values["code"] != before.code:
                raise BusinessRuleViolation("a plan lists this item: its code can no longer change", field="code")
            t = self.table
            await t.update({**{getattr(t, k): v for k, v in values.items()}, t.updated_at: utcnow()}).where(
                (t.id == item_id) & (t.tenant_id == ctx.tenant_id))
            after = self.view(await self._row(ctx, item_id))
            await record(ctx, f"catalog.{self.label}_updated", target_type=f"catalog_{self.label}",
                         target_id=str(item_id), before=_snapshot(before), after=_snapshot(after))
        return after

    async def set_active(self, ctx: TenantContext, item_id: uuid.UUID, active: bool) -> Any:
        async with tenant_scope(ctx):
            before = self.view(await self._row(ctx, item_id, lock=True))
            if before.active == active:
                return before
            t = self.table
            await t.update({t.active: active, t.updated_at: utcnow()}).where(
                (t.id == item_id) & (t.tenant_id == ctx.tenant_id))
            after = self.view(await self._row(ctx, item_id))
            await record(ctx, f"catalog.{self.label}_{'activated' if active else 'deactivated'}",
                         target_type=f"catalog_{self.label}", target_id=str(item_id),
                         before={"active": before.active}, after={"active": active})
        return after

    async def delete(self, ctx: TenantContext, item_id: uuid.UUID) -> bool:
        async with tenant_scope(ctx):
            before = self.view(await self._row(ctx, item_id, lock=True))
            t = self.table
            if before.used_by_plan:
                if before.active:
                    await t.update({t.active: False, t.updated_at: utcnow()}).where(
                        (t.id == item_id) & (t.tenant_id == ctx.tenant_id))
                    await record(ctx, f"catalog.{self.label}_deactivated", target_type=f"catalog_{self.label}",
                                 target_id=str(item_id), before={"active": True},
                                 after={"active": False, "reason": "delete asked; a plan lists it"})
                return False
            await t.delete().where((t.id == item_id) & (t.tenant_id == ctx.tenant_id))
            await record(ctx, f"catalog.{self.label}_deleted", target_type=f"catalog_{self.label}",
                         target_id=str(item_id), before=_snapshot(before))
        return True


def _snapshot(view: Any) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID | datetime) else v) for k, v in asdict(view).items()
            if k not in ("created_at", "updated_at")}


_SKUS = _Kind(CatalogSku, "sku", _sku_view, _clean_sku)
_SERVICES = _Kind(CatalogService, "service", _service_view, _clean_service)


# --- SKUs ---------------------------------------------------------------------------------------

async def list_skus(ctx: TenantContext, *, kind: str | None = None, active_only: bool = False,
                    search: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[SkuView], int]:
    return await _SKUS.list(ctx, kind=kind, active_only=active_only, search=search, limit=limit, offset=offset)


async def get_sku(ctx: TenantContext, sku_id: uuid.UUID) -> SkuView:
    view: SkuView = await _SKUS.get(ctx, sku_id)
    return view


async def create_sku(ctx: TenantContext, data: SkuInput) -> SkuView:
    view: SkuView = await _SKUS.create(ctx, data)
    return view


async def update_sku(ctx: TenantContext, sku_id: uuid.UUID, data: SkuInput) -> SkuView:
    view: SkuView = await _SKUS.update(ctx, sku_id, data)
    return view


async def set_sku_active(ctx: TenantContext, sku_id: uuid.UUID, active: bool) -> SkuView:
    view: SkuView = await _SKUS.set_active(ctx, sku_id, active)
    return view


async def delete_sku(ctx: TenantContext, sku_id: uuid.UUID) -> bool:
    """Delete the SKU; if a plan lists it, deactivate it instead and return False."""
    return await _SKUS.delete(ctx, sku_id)


# --- services -----------------------------------------------------------------------------------

async def list_services(ctx: TenantContext, *, kind: str | None = None, active_only: bool = False,
                        search: str | None = None, limit: int = 50, offset: int = 0
                        ) -> tuple[list[ServiceView], int]:
    return await _SERVICES.list(ctx, kind=kind, active_only=active_only, search=search, limit=limit, offset=offset)


async def get_service(ctx: TenantContext, service_id: uuid.UUID) -> ServiceView:
    view: ServiceView = await _SERVICES.get(ctx, service_id)
    return view


async def create_service(ctx: TenantContext, data: ServiceInput) -> ServiceView:
    view: ServiceView = await _SERVICES.create(ctx, data)
    return view


async def update_service(ctx: TenantContext, service_id: uuid.UUID, data: ServiceInput) -> ServiceView:
    view: ServiceView = await _SERVICES.update(ctx, service_id, data)
    return view


async def set_service_active(ctx: TenantContext, service_id: uuid.UUID, active: bool) -> ServiceView:
    view: ServiceView = await _SERVICES.set_active(ctx, service_id, active)
    return view


async def delete_service(ctx: TenantContext, service_id: uuid.UUID) -> bool:
    """Delete the service; if a plan lists it, deactivate it instead and return False."""
    return await _SERVICES.delete(ctx, service_id)


# --- for plans ----------------------------------------------------------------------------------

async def resolve_items(ctx: TenantContext, *, sku_ids: Iterable[uuid.UUID] = (),
                        service_ids: Iterable[uuid.UUID] = (), field: str = "contents") -> dict[uuid.UUID, ItemRef]:
    """The store's active SKUs and services with these ids (NotFound / inactive: a field error)."""
    skus, services = sorted(set(sku_ids)), sorted(set(service_ids))
    out: dict[uuid.UUID, ItemRef] = {}
    async with tenant_scope(ctx):
        sku_rows = await CatalogSku.select().where(
            (CatalogSku.tenant_id == ctx.tenant_id) & CatalogSku.id.is_in(skus)) if skus else []
        service_rows = await CatalogService.select().where(
            (CatalogService.tenant_id == ctx.tenant_id) & CatalogService.id.is_in(services)) if services else []
    for r in sku_rows:
        out[r["id"]] = ItemRef(r["id"], "sku", r["code"], r["name"], r["kind"], r["unit"], r["warehouse_sku_code"])
    for r in service_rows:
        out[r["id"]] = ItemRef(r["id"], "service", r["code"], r["name"], r["kind"], "", "")
    missing = [i for i in [*skus, *services] if i not in out]
    if missing:
        raise NotFound("no such catalog item", field=field, item_id=str(missing[0]))
    inactive = [r for r in [*sku_rows, *service_rows] if not r["active"]]
    if inactive:
        raise ItemInactive("an inactive catalog item cannot be added to a plan", field=field,
                           item_code=inactive[0]["code"])
    return out


async def mark_used(ctx: TenantContext, *, sku_ids: Iterable[uuid.UUID] = (),
                    service_ids: Iterable[uuid.UUID] = ()) -> None:
    """Remember that a plan version lists these items (they can then only be deactivated)."""
    skus, services = sorted(set(sku_ids)), sorted(set(service_ids))
    async with tenant_scope(ctx):
        if skus:
            await CatalogSku.update({CatalogSku.used_by_plan: True}).where(
                (CatalogSku.tenant_id == ctx.tenant_id) & CatalogSku.id.is_in(skus))
        if services:
            await CatalogService.update({CatalogService.used_by_plan: True}).where(
                (CatalogService.tenant_id == ctx.tenant_id) & CatalogService.id.is_in(services))
