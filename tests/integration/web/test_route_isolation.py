"""Every HTTP route, enumerated from the app itself (ARCHITECTURE §3): routes added later are
covered without editing this file.

* A tenant route that takes an id answers store B's staff, given store A's real id, exactly as
  it answers a random missing id: 404 ``NOT_FOUND``; and store A's data is unchanged.
* Signed out: every non-public route answers 401 (JSON); HTML areas redirect to the login page.
* Store routes refuse operators, operator routes refuse store staff: 403.

A tenant route whose path parameter this file cannot fill makes the test fail: teach it in
``ID_FACTORIES`` (ids of store-A objects) or ``SAMPLE_VALUES`` (anything else).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import AFTER_SALES, FRONT_DESK
from pawpay.platform.tenancy.context import TenantContext
from tests.integration.tenancy import worlds

pytestmark = pytest.mark.integration

HTML_AREAS = ("/admin", "/ops")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class RouteCase:
    method: str
    template: str  # litestar's path with types, e.g. /api/v1/staff/{account_id:uuid}
    path_format: str  # /api/v1/staff/{account_id}
    params: tuple[str, ...]
    auth: str
    roles: frozenset[str]

    def __str__(self) -> str:
        return f"{self.method} {self.template}"

    def path(self, values: dict[str, Any]) -> str:
        return self.path_format.format(**{k: str(v) for k, v in values.items()})


def enumerate_routes(app: Any) -> list[RouteCase]:
    cases = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(getattr(handler, "http_methods", [])):
                if method in ("OPTIONS", "HEAD"):
                    continue
                cases.append(RouteCase(
                    method=method, template=route.path, path_format=route.path_format,
                    params=tuple(route.path_parameters), auth=str(handler.opt.get("auth", "public")),
                    roles=frozenset(handler.opt.get("roles") or ()),
                ))
    return cases


# --- sample values for path parameters ----------------------------------------------------------

async def _a_staff_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    from pawpay.platform.tenancy.context import PlatformContext

    view = await identity.create_staff(PlatformContext(actor_label="test"), tenant_id=store_a.tenant_id,
                                       email=f"target-{uuid.uuid4().hex[:8]}@{store_a.slug}.test",
                                       password="correct-horse-9", roles=[AFTER_SALES])
    return view.id


async def _a_api_key_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    ctx = TenantContext(tenant_id=store_a.tenant_id, actor_id=store_a.manager_id, actor_label="test")
    _, view = await identity.create_api_key(ctx, name="route isolation target", role=FRONT_DESK)
    return view.id


async def _a_tenant_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(str(store_a.tenant_id))


async def _a_sku_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(str((await worlds.catalog_world(store_a)).sku.id))


async def _a_service_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(str((await worlds.catalog_world(store_a)).service.id))


async def _a_catalog_item_id(store_a: Any, values: dict[str, str]) -> uuid.UUID:
    """/admin/catalog/{item_type}/{item_id}: the SKU or the service, as the path's item_type says."""
    return await (_a_sku_id if values["item_type"] == "skus" else _a_service_id)(store_a, values)


async def _a_plan_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(str((await worlds.plans_world(store_a)).plan.id))


async def _a_customer_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(str((await worlds.customers_world(store_a)).customer.id))


async def _a_contract_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(str((await worlds.contracts_world(store_a)).contract.id))


async def _a_signing_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(str((await worlds.signing_world(store_a)).signing.id))


async def _a_batch_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(str((await worlds.settlement_world(store_a)).batch.id))


async def _an_installment_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    """The first installment of the store's contract whose debit was declined (a dunning case)."""
    return uuid.UUID(str((await worlds.dunning_world(store_a)).case.installment_id))


async def _a_task_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    """The follow-up task of a promise to pay."""
    from pawpay.tenants.dunning import services as dunning

    await worlds.dunning_world(store_a)
    tasks = await dunning.list_tasks(worlds.store_ctx(store_a), status="open")
    assert tasks
    return uuid.UUID(str(tasks[0].id))


async def _a_contract_ref(store_a: Any, _values: dict[str, str]) -> str:
    """A contract's number (advances are keyed by it), of a contract that has an advance."""
    return str((await worlds.advances_world(store_a)).advance.contract_ref)


async def _a_ticket_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    """A pet-health after-sales ticket (with a photo, a coupon and a pause proposed)."""
    return uuid.UUID(str((await worlds.aftersales_world(store_a)).ticket.id))


async def _a_shipment_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    """A paid period's shipment, accepted by the sandbox warehouse."""
    return uuid.UUID(str((await worlds.fulfilment_world(store_a)).shipment.id))


async def _a_penalty_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(str((await worlds.dunning_penalty_world(store_a)).id))


async def _a_pet_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(str((await worlds.customers_world(store_a)).pet.id))


async def _a_visit_id(store_a: Any, _values: dict[str, str]) -> uuid.UUID:
    """The open (day-30) visit of the store's contract."""
    return uuid.UUID(str((await worlds.visits_world(store_a)).visits[1].id))


IdFactory = Callable[[Any, dict[str, str]], Awaitable[uuid.UUID | str]]
# Path parameter name -> factory of a real store-A object's id (given the path's other, non-id
# values). Add one per new kind of id; the store worlds (tests/integration/tenancy/worlds.py) make
# the objects through the domain services, once per store.
ID_FACTORIES: dict[str, IdFactory] = {
    "penalty_id": _a_penalty_id,
    "account_id": _a_staff_id,
    "key_id": _a_api_key_id,
    "tenant_id": _a_tenant_id,
    "sku_id": _a_sku_id,
    "service_id": _a_service_id,
    "item_id": _a_catalog_item_id,
    "plan_id": _a_plan_id,
    "customer_id": _a_customer_id,
    "contract_id": _a_contract_id,
    "signing_id": _a_signing_id,
    "batch_id": _a_batch_id,
    "contract_ref": _a_contract_ref,
    "installment_id": _an_installment_id,
    "task_id": _a_task_id,
    "pet_id": _a_pet_id,
    "visit_id": _a_visit_id,
    "ticket_id": _a_ticket_id,
    "shipment_id": _a_shipment_id,
}
# Path parameters that are not ids of tenant objects (and the value to call with; a tuple: every
# one of them in turn).
# A store's provider category is not an object id (a store only ever reaches its own settings):
# an unknown one is 404 for everybody. A plan's version is a number within the plan (the plan id
# is what must be the store's). The business calendar's year and day are the platform's
# (operator routes: store staff are refused whatever the value).
SAMPLE_VALUES: dict[str, str | tuple[str, ...]] = {
    "file_path": "app.css", "path": "x", "category": "no_such_category", "version": "1",
    "item_type": ("skus", "services"), "action": ("deactivate", "delete"),
    "year": "2026", "day": "2026-10-01",
    "sequence": "1",
}
# The same, for one route (its values of a parameter that other routes use differently).
ROUTE_SAMPLE_VALUES: dict[str, dict[str, str | tuple[str, ...]]] = {
    "/admin/queues/installments/{installment_id:uuid}/{action:str}": {
        "action": ("retry", "remind", "extension", "pause", "move")},
    "/admin/queues/contracts/{contract_id:uuid}/{step:str}": {
        "step": ("pause", "pet", "exchange", "resume_exchange", "cooling_off", "terminate", "retain", "decline",
                 "sign", "complete")},
    "/admin/tickets/{ticket_id:uuid}/pause/{step:str}": {"step": ("propose", "apply", "decline")},
}


async def _ending_form(store_a: Any) -> dict[str, Any]:
    """Every field an ending step reads, with store A's ending (steps on an ending look it up first)."""
    ending = (await worlds.dunning_world(store_a)).ending
    return {"reason": "store B", "periods": "1", "agreement": "store B", "event_on": "2026-12-01",
            "kind": "pet_death", "note": "store B", "offer": "store B", "ending_id": str(ending.id)}


# A body that passes validation, for routes that need one before they look the id up (or an async
# factory of one, given store A).
SAMPLE_BODIES: dict[tuple[str, str], dict[str, Any] | Callable[[Any], Awaitable[dict[str, Any]]]] = {
    ("POST", "/admin/queues/installments/{installment_id:uuid}/{action:str}"): {
        "reason": "store B", "days": "3", "new_due_on": "2027-06-01"},
    ("POST", "/admin/queues/installments/{installment_id:uuid}/call"): {
        "note": "store B", "outcome": "reached"},
    ("POST", "/admin/queues/contracts/{contract_id:uuid}/{step:str}"): _ending_form,
    ("POST", "/api/v1/billing/installments/{installment_id:uuid}/retry"): {"reason": "store B"},
    ("POST", "/api/v1/dunning/penalties/{penalty_id:uuid}/settle"): {"outcome": "waived", "note": "store B"},
    ("POST", "/admin/queues/contracts/{contract_id:uuid}/penalties/{penalty_id:uuid}/settle"): {
        "outcome": "waived", "note": "store B"},
    ("POST", "/api/v1/billing/installments/{installment_id:uuid}/remind"): {"reason": "store B"},
    ("POST", "/api/v1/billing/installments/{installment_id:uuid}/move"): {"new_due_on": "2027-06-01",
                                                                          "reason": "store B"},
    ("PATCH", "/api/v1/staff/{account_id:uuid}"): {"display_name": "Changed by store B"},
    ("POST", "/admin/staff/{account_id:uuid}"): {"action": "deactivate"},
    ("PUT", "/api/v1/store/providers/{category:str}"): {"provider": "sandbox", "config": {}},
    ("PUT", "/api/v1/catalog/skus/{sku_id:uuid}"): {"code": "BCHANGED", "name": "Changed by store B", "kind": "food"},
    ("PUT", "/api/v1/catalog/services/{service_id:uuid}"): {"code": "BCHANGED", "name": "Changed by store B",
                                                              "kind": "grooming"},
    ("PUT", "/api/v1/plans/{plan_id:uuid}"): {"name": "Changed by store B", "species": "cat", "stage": "kitten",
                                              "periods": 12, "monthly_amount_fen": 29_800,
                                              "confirm_amount_warning": True},
    ("POST", "/api/v1/customers/{customer_id:uuid}/pets"): {"name": "B的猫", "species": "cat",
                                                            "birthday": "2026-03-01"},
    ("PUT", "/api/v1/customers/{customer_id:uuid}/tags"): {"tags": ["changed-by-b"]},
    ("POST", "/api/v1/contracts/{contract_id:uuid}/cancel"): {"reason": "cancelled by store B"},
    ("PUT", "/api/v1/pet-stages/{pet_id:uuid}/override"): {"reason": "store B"},
    ("POST", "/api/v1/pet-stages/{pet_id:uuid}/override/clear"): {"reason": "store B"},
    ("POST", "/admin/customers/{customer_id:uuid}/pets/{pet_id:uuid}/override"): {"override_reason": "store B"},
    ("POST", "/admin/customers/{customer_id:uuid}/pets/{pet_id:uuid}/override/clear"): {"clear_reason": "store B"},
    ("POST", "/api/v1/visits/{visit_id:uuid}/complete"): {"settled": "yes", "satisfaction": 5},
    ("POST", "/api/v1/visits/{visit_id:uuid}/unreachable"): {"reschedule_on": "2027-01-04"},
    ("POST", "/api/v1/visits/{visit_id:uuid}/assign"): {"assignee_id": str(uuid.uuid4())},
    ("POST", "/admin/visits/{visit_id:uuid}/complete"): {"settled": "yes", "satisfaction": "5"},
    ("POST", "/admin/visits/{visit_id:uuid}/unreachable"): {"reschedule_on": "2027-01-04"},
    ("POST", "/admin/visits/{visit_id:uuid}/assign"): {"assignee_id": str(uuid.uuid4())},
    ("POST", "/admin/tickets/{ticket_id:uuid}/act"): {"action": "start", "note": "store B"},
    ("POST", "/admin/tickets/{ticket_id:uuid}/coupon"): {
        "clinic": "store B", "discount_kind": "percent", "discount_value": "10", "code": "B-1",
        "expires_on": "2099-01-01"},
    ("POST", "/admin/tickets/{ticket_id:uuid}/pause/{step:str}"): {
        "periods": "1", "reason": "store B", "agreement": "store B", "note": "store B"},
    ("POST", "/api/v1/aftersales/tickets/{ticket_id:uuid}/actions"): {"action": "start", "note": "store B"},
    ("POST", "/api/v1/aftersales/tickets/{ticket_id:uuid}/reship"): {"postage_fen": 0},
    ("POST", "/api/v1/fulfilment/shipments/{shipment_id:uuid}/retry"): {"reason": "store B"},
    ("POST", "/api/v1/fulfilment/shipments/{shipment_id:uuid}/reship"): {"reason": "store B", "postage_fen": 0},
    ("POST", "/admin/shipments/{shipment_id:uuid}/retry"): {"reason": "store B"},
    ("POST", "/api/v1/aftersales/tickets/{ticket_id:uuid}/coupons"): {
        "clinic": "store B", "discount_kind": "percent", "discount_value": 10, "code": "B-1",
        "expires_on": "2099-01-01"},
    ("POST", "/api/v1/aftersales/tickets/{ticket_id:uuid}/pause-proposal"): {"periods": 1, "reason": "store B"},
}
# Query parameters a route requires before it looks the id up.
SAMPLE_QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/v1/plans/{plan_id:uuid}/for-pet"): {"birthday": "2026-03-01", "on_date": "2026-11-01"},
}


def _variants(case: RouteCase) -> list[dict[str, str]]:
    """Every combination of the route's non-id sample values."""
    samples = {**SAMPLE_VALUES, **ROUTE_SAMPLE_VALUES.get(case.template, {})}
    combos: list[dict[str, str]] = [{}]
    for name in case.params:
        if name in ID_FACTORIES or name not in samples:
            continue
        sample = samples[name]
        choices = sample if isinstance(sample, tuple) else (sample,)
        combos = [{**combo, name: choice} for combo in combos for choice in choices]
    return combos


def _fill_random(case: RouteCase, variant: dict[str, str] | None = None) -> dict[str, Any]:
    """The route's path with a random (missing) id for every id parameter."""
    values: dict[str, Any] = dict(_variants(case)[0] if variant is None else variant)
    for name in case.params:
        values.setdefault(name, uuid.uuid4())
    return values


async def _request(client: httpx.AsyncClient, case: RouteCase, path: str, *, html: bool = False,
                   store_a: Any = None) -> httpx.Response:
    headers = {"accept": "text/html"} if html else {"accept": "application/json"}
    sample = SAMPLE_BODIES.get((case.method, case.template), {})
    body = (await sample(store_a) if store_a is not None else {}) if callable(sample) else sample
    query = SAMPLE_QUERIES.get((case.method, case.template))
    if case.method not in UNSAFE:
        return await client.request(case.method, path, headers=headers, params=query)
    if case.template.startswith("/api/"):
        return await client.request(case.method, path, headers=headers, params=query, json=body)
    return await client.request(case.method, path, headers=headers, params=query, data=body)


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


async def _store_fingerprint(owner: asyncpg.Connection, tenant_id: uuid.UUID) -> dict[str, str]:
    """A digest of every row of the store, table by table, read as the owner."""
    tables = await owner.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"
    )
    digests = {}
    for (table,) in tables:
        rows = await owner.fetch(f'SELECT to_jsonb(t)::text AS j FROM "{table}" t WHERE tenant_id = $1 ORDER BY 1',
                                 tenant_id)
        digests[table] = hashlib.sha256(json.dumps([r["j"] for r in rows]).encode()).hexdigest()
    digests["tenant"] = str(await owner.fetchval("SELECT to_jsonb(t)::text FROM tenant t WHERE id = $1", tenant_id))
    return digests


# --- the tests -----------------------------------------------------------------------------------

def test_the_app_has_routes_of_every_kind(pawpay_app: Any) -> None:
    auths = {case.auth for case in enumerate_routes(pawpay_app)}
    assert {"public", "tenant", "platform", "any"} <= auths


@pytest.fixture(scope="module")
async def a_store(pawpay_database: Any) -> Any:
    """Store A of the id routes: a store of its own, as its worlds give it contracts, settlement
    batches, a merchant profile... which the session's shared stores should not carry."""
    from pawpay.platform.testing.plugin import create_store

    return await create_store(f"routes-{uuid.uuid4().hex[:6]}", "Routes A 宠物店")


async def test_another_stores_id_is_answered_like_a_missing_one(
    pawpay_app: Any, pawpay_database: Any, a_store: Any, b_all_roles: str, signed_in: Any
) -> None:
    cases = [c for c in enumerate_routes(pawpay_app) if c.auth == "tenant" and c.params]
    unknown = sorted({f"{c}: {{{p}}}" for c in cases for p in c.params if p not in ID_FACTORIES
                      and p not in SAMPLE_VALUES and p not in ROUTE_SAMPLE_VALUES.get(c.template, {})})
    assert not unknown, (
        "tenant routes with path parameters this test cannot fill; add a store-A factory to ID_FACTORIES "
        "(or a value to SAMPLE_VALUES):\n  " + "\n  ".join(unknown)
    )
    assert any(c.template.startswith("/api/") for c in cases)
    owner = await asyncpg.connect(pawpay_database.owner_dsn)
    problems: list[str] = []
    try:
        async with signed_in(b_all_roles) as client:
            for case in cases:
                for variant in _variants(case):
                    label = f"{case} {variant}" if variant else str(case)
                    a_values: dict[str, Any] = dict(variant)
                    for p in case.params:
                        if p in ID_FACTORIES:
                            a_values[p] = await ID_FACTORIES[p](a_store, variant)
                    before = await _store_fingerprint(owner, a_store.tenant_id)
                    theirs = await _request(client, case, case.path(a_values), store_a=a_store)
                    missing = await _request(client, case, case.path(_fill_random(case, variant)), store_a=a_store)
                    after = await _store_fingerprint(owner, a_store.tenant_id)
                    changed = sorted(t for t in before if before[t] != after[t])
                    if changed:
                        problems.append(f"{label}: store B changed store A's {changed}")
                    if (theirs.status_code, _code(theirs)) != (missing.status_code, _code(missing)):
                        problems.append(f"{label}: A's id -> {theirs.status_code} {_code(theirs)}, "
                                        f"missing id -> {missing.status_code} {_code(missing)}")
                    if theirs.status_code != 404 or _code(theirs) != "NOT_FOUND":
                        problems.append(f"{label}: A's id -> {theirs.status_code} {theirs.text[:200]} "
                                        "(expected 404)")
                    if case.template.startswith(HTML_AREAS):  # the page a browser gets: the same 404
                        page = await _request(client, case, case.path(a_values), html=True, store_a=a_store)
                        if page.status_code != 404 or a_store.name in page.text:
                            problems.append(f"{label} (browser): A's id -> {page.status_code} {page.text[:200]}")
                        after_page = await _store_fingerprint(owner, a_store.tenant_id)
                        if after_page != after:
                            problems.append(f"{label} (browser): store B changed store A's "
                                            f"{sorted(t for t in after if after[t] != after_page[t])}")
    finally:
        await owner.close()
    assert not problems, "\n".join(problems)


async def test_signed_out_callers_get_401_or_the_login_page(pawpay_app: Any, new_client: Any) -> None:
    cases = [c for c in enumerate_routes(pawpay_app) if c.auth in ("tenant", "platform", "any")]
    assert cases
    problems = []
    async with new_client() as client:
        for case in cases:
            path = case.path(_fill_random(case))
            response = await _request(client, case, path)
            if response.status_code != 401 or _code(response) != "NOT_AUTHENTICATED":
                problems.append(f"{case}: {response.status_code} {response.text[:200]}")
            if not response.headers.get("content-type", "").startswith("application/json"):
                problems.append(f"{case}: 401 is not JSON")
            if case.template.startswith(HTML_AREAS):
                page = await _request(client, case, path, html=True)
                location = page.headers.get("location", "")
                if page.status_code != 303 or not location.startswith("/login?next="):
                    problems.append(f"{case} (browser): {page.status_code} -> {location!r}, expected 303 to /login")
    assert not problems, "\n".join(problems)


async def test_store_routes_refuse_operators(pawpay_app: Any, operator: Any, signed_in: Any) -> None:
    cases = [c for c in enumerate_routes(pawpay_app) if c.auth == "tenant"]
    problems = []
    async with signed_in(operator["email"]) as client:
        for case in cases:
            response = await _request(client, case, case.path(_fill_random(case)))
            if response.status_code != 403 or _code(response) != "PERMISSION_DENIED":
                problems.append(f"{case}: {response.status_code} {response.text[:200]}")
    assert not problems, "\n".join(problems)


async def test_operator_routes_refuse_store_staff(pawpay_app: Any, b_all_roles: str, signed_in: Any) -> None:
    cases = [c for c in enumerate_routes(pawpay_app) if c.auth == "platform"]
    assert cases
    problems = []
    async with signed_in(b_all_roles) as client:
        for case in cases:
            response = await _request(client, case, case.path(_fill_random(case)))
            if response.status_code != 403 or _code(response) != "PERMISSION_DENIED":
                problems.append(f"{case}: {response.status_code} {response.text[:200]}")
    assert not problems, "\n".join(problems)


async def test_store_b_lists_never_show_store_a(
    store_a: Any, store_b: Any, b_all_roles: str, signed_in: Any
) -> None:
    """List endpoints filter by the principal's tenant (the id-based routes above cover reads by id)."""
    async with signed_in(b_all_roles) as client:
        staff = (await client.get("/api/v1/staff")).json()
        keys = (await client.get("/api/v1/api-keys")).json()
        audit = (await client.get("/api/v1/audit", params={"limit": 200})).json()
        own = (await client.get("/api/v1/tenant")).json()
    assert staff
    assert {s["tenant_id"] for s in staff} == {str(store_b.tenant_id)}
    assert store_a.manager_email not in {s["email"] for s in staff}
    assert all(k["prefix"] for k in keys)
    assert audit["items"]
    assert {e["tenant_id"] for e in audit["items"]} == {str(store_b.tenant_id)}
    assert own["id"] == str(store_b.tenant_id)
