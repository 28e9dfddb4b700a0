"""Tenant isolation proved table by table, for every table the catalog lists (ARCHITECTURE §3).

Store A (a store of its own, so that the rows made here never show up in other tests' view of
the session's shared stores) gets at least one row in every tenant table: through the domain
services where they exist (the store worlds of ``worlds.py``), otherwise by a generic insert as the
owner. Store B is the session's second store. Then, inside ``tenant_scope(store_b)``, through the
piccolo ORM *and* raw SQL: SELECT sees none of A's rows, UPDATE and DELETE touch none, and an
INSERT carrying A's ``tenant_id`` is refused by the policy's WITH CHECK. A table added later is
covered without touching this file; if the generic insert cannot build a row for it, make the
domain's store world (``worlds.py``) create one and map the table in ``worlds.TABLE_WORLDS``.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from piccolo.querystring import QueryString
from piccolo.table import Table

from pawpay.platform.db.engine import get_engine
from pawpay.platform.errors import ScopeViolation
from pawpay.platform.hooks._manager import get_plugin_manager
from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import FRONT_DESK, MANAGER
from pawpay.platform.tenancy import anonymous_scope, platform_scope, tenant_scope
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import PASSWORD, create_store
from tests.integration.tenancy.worlds import TABLE_WORLDS

pytestmark = pytest.mark.integration

PICCOLO_BOOKKEEPING = "migration"
# Platform tables of public reference data (mainland-China holidays): readable in every scope by
# design (a store's settlement and an applicant's due date need them); written only in platform scope.
PUBLIC_REFERENCE_TABLES = frozenset({"business_day_override", "business_calendar_year"})
RLS_REFUSAL = "row-level security"


# --- the catalog -------------------------------------------------------------------------------

@dataclass
class Column:
    name: str
    type: str
    not_null: bool
    has_default: bool
    generated: bool  # identity, generated or serial: never insert it
    type_kind: str
    type_oid: int


@dataclass
class TableInfo:
    name: str
    tenant: bool
    columns: list[Column]
    unique: set[str] = field(default_factory=set)
    foreign_keys: dict[str, tuple[str, str]] = field(default_factory=dict)


async def read_catalog(owner: asyncpg.Connection) -> dict[str, TableInfo]:
    names = await owner.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> $1 ORDER BY 1",
        PICCOLO_BOOKKEEPING,
    )
    catalog = {}
    for (name,) in names:
        cols = await owner.fetch(
            """
            SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
                   a.atthasdef AS has_default, t.typtype AS type_kind, a.atttypid AS type_oid,
                   (a.attidentity <> '' OR a.attgenerated <> ''
                    OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%') AS generated
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """,
            name,
        )
        unique = await owner.fetch(
            "SELECT DISTINCT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND i.indisunique",
            name,
        )
        fks = await owner.fetch(
            """
            SELECT a.attname AS col, cf.relname AS ref_table, af.attname AS ref_col
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_class cf ON cf.oid = c.confrelid
            JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
            WHERE c.conrelid = $1::regclass AND c.contype = 'f' AND cardinality(c.conkey) = 1
            """,
            name,
        )
        columns = [Column(**dict(c)) for c in cols]
        catalog[name] = TableInfo(
            name=name,
            tenant=any(c.name == "tenant_id" for c in columns),
            columns=columns,
            unique={r["attname"] for r in unique},
            foreign_keys={r["col"]: (r["ref_table"], r["ref_col"]) for r in fks},
        )
    return catalog


def table_classes() -> dict[str, type[Table]]:
    """piccolo Table classes of every component, by table name."""
    classes: dict[str, type[Table]] = {}
    for app_module in get_plugin_manager().piccolo_apps():
        for cls in importlib.import_module(app_module).APP_CONFIG.table_classes:
            classes[cls._meta.tablename] = cls
    return classes


# --- rows for store A --------------------------------------------------------------------------

async def _seed_identity_rows(store: Any) -> None:
    """account (the manager), api_key, web_session and audit_entry rows, through the services."""
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, roles=frozenset({MANAGER}),
                        actor_label=store.manager_email)
    await identity.create_api_key(ctx, name="isolation fixture", role=FRONT_DESK)
    await identity.login(store.manager_email, PASSWORD, ip="198.51.100.1")


async def _ledger_rows(store: Any) -> None:
    """An account pair and one balanced entry: the ledger refuses unbalanced rows at COMMIT."""
    from pawpay.platform.ledger import services as ledger

    ctx = TenantContext(tenant_id=store.tenant_id, actor_label="isolation fixture")
    await ledger.ensure_accounts(ctx, ["store_funds_held", "contract_sales"])
    await ledger.post_entry(ctx, idempotency_key="isolation-fixture", description="isolation fixture",
                            postings=[("store_funds_held", 100), ("contract_sales", -100)])


# Tables whose rows the generic insert cannot build (check constraints, foreign keys, JSON shapes...)
# or should not (a service exists): name -> async factory(store) that creates at least one row for
# the store. The domains' store worlds are cached per store: one call fills all of a domain's tables.
ROW_FACTORIES: dict[str, Callable[[Any], Awaitable[Any]]] = {
    "ledger_account": _ledger_rows,
    "journal_entry": _ledger_rows,
    "ledger_posting": _ledger_rows,
    **TABLE_WORLDS,
}


def _sample_value(column: Column, enum_labels: dict[int, list[str]]) -> Any:  # noqa: PLR0911 - one per type
    t = column.type
    if t == "uuid":
        return uuid.uuid4()
    if t.startswith(("character varying", "text", "character")):
        length = int(t.split("(")[1].rstrip(")")) if "(" in t else 32
        return uuid.uuid4().hex[: max(1, min(length, 32))]
    if t in ("integer", "bigint", "smallint") or t.startswith("numeric"):
        return 1
    if t == "boolean":
        return False
    if t.startswith("timestamp"):
        return datetime.now(UTC)
    if t == "date":
        return datetime.now(UTC).date()
    if t in ("jsonb", "json"):
        return "{}"
    if t.endswith("[]"):
        return []
    if t == "bytea":
        return b""
    if column.type_kind == "e" and enum_labels.get(column.type_oid):
        return enum_labels[column.type_oid][0]
    raise LookupError(f"no sample value for type {t}")


async def _generic_insert(owner: asyncpg.Connection, catalog: dict[str, TableInfo], table: str,
                          tenant_id: uuid.UUID, depth: int = 0) -> asyncpg.Record:
    """Insert a plausible row into ``table`` for ``tenant_id`` as the owner; return it."""
    if depth > 4:
        raise LookupError(f"foreign keys of {table} nest too deep")
    info = catalog[table]
    enum_labels: dict[int, list[str]] = {}
    for column in info.columns:
        if column.type_kind == "e":
            labels = await owner.fetch("SELECT enumlabel FROM pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder",
                                       column.type_oid)
            enum_labels[column.type_oid] = [r["enumlabel"] for r in labels]
    values: dict[str, Any] = {}
    for column in info.columns:
        if column.generated:
            continue
        if column.name == "tenant_id":
            values[column.name] = tenant_id
        elif column.name in info.foreign_keys:
            ref_table, ref_col = info.foreign_keys[column.name]
            if ref_table == "tenant":
                values[column.name] = tenant_id
            elif column.not_null:
                ref = await _row_of(owner, catalog, ref_table, tenant_id, depth + 1)
                values[column.name] = ref[ref_col]
        elif column.not_null and not column.has_default:
            values[column.name] = _sample_value(column, enum_labels)
    columns = ", ".join(f'"{n}"' for n in values)
    params = ", ".join(f"${i + 1}" for i in range(len(values)))
    sql = f'INSERT INTO "{table}" ({columns}) VALUES ({params}) RETURNING *'
    row = await owner.fetchrow(sql, *values.values())
    assert row is not None
    return row


async def _row_of(owner: asyncpg.Connection, catalog: dict[str, TableInfo], table: str, tenant_id: uuid.UUID,
                  depth: int = 0) -> asyncpg.Record:
    info = catalog[table]
    if info.tenant:
        row = await owner.fetchrow(f'SELECT * FROM "{table}" WHERE tenant_id = $1 LIMIT 1', tenant_id)
    else:
        row = await owner.fetchrow(f'SELECT * FROM "{table}" LIMIT 1')
    if row is not None:
        return row
    return await _generic_insert(owner, catalog, table, tenant_id, depth)


@dataclass
class World:
    owner: asyncpg.Connection
    catalog: dict[str, TableInfo]
    classes: dict[str, type[Table]]
    a: Any
    b: Any
    samples: dict[str, dict[str, Any]]  # table -> one of A's rows (as the owner read it)
    seed_errors: dict[str, str]


@pytest.fixture(scope="module")
async def world(pawpay_database: Any, store_b: Any) -> AsyncIterator[World]:
    store_a = await create_store(f"iso-{uuid.uuid4().hex[:6]}", "Isolation A 宠物店")
    owner = await asyncpg.connect(pawpay_database.owner_dsn)
    try:
        # The owner is the test server's superuser; should it ever not be, let it see everything.
        await owner.execute("SELECT set_config('app.platform_scope', 'on', false)")
        await _seed_identity_rows(store_a)
        await _seed_identity_rows(store_b)
        catalog = await read_catalog(owner)
        samples: dict[str, dict[str, Any]] = {}
        errors: dict[str, str] = {}
        for name, info in catalog.items():
            if not info.tenant:
                row = await owner.fetchrow(f'SELECT * FROM "{name}" LIMIT 1')
                if row is not None:
                    samples[name] = dict(row)
                continue
            row = await owner.fetchrow(f'SELECT * FROM "{name}" WHERE tenant_id = $1 LIMIT 1', store_a.tenant_id)
            if row is None and name in ROW_FACTORIES:
                factory = ROW_FACTORIES[name]
                try:
                    await factory(store_a)
                except Exception as exc:
                    errors[name] = f"{getattr(factory, '__name__', factory)} failed: {type(exc).__name__}: {exc}"
                    continue
                row = await owner.fetchrow(f'SELECT * FROM "{name}" WHERE tenant_id = $1 LIMIT 1',
                                           store_a.tenant_id)
                if row is None:  # no silent fallback to the generic insert: the world is wrong
                    errors[name] = f"{getattr(factory, '__name__', factory)} made no row in {name}"
                    continue
            if row is None:
                try:
                    row = await _generic_insert(owner, catalog, name, store_a.tenant_id)
                except Exception as exc:
                    errors[name] = f"{type(exc).__name__}: {exc}"
                    continue
            samples[name] = dict(row)
        yield World(owner, catalog, table_classes(), store_a, store_b, samples, errors)
    finally:
        await owner.close()


def tenant_tables(world: World) -> list[str]:
    return [name for name, info in world.catalog.items() if info.tenant]


def platform_tables(world: World) -> list[str]:
    return [name for name, info in world.catalog.items() if not info.tenant]


def _copy_for_insert(world: World, table: str) -> dict[str, Any]:
    """One of A's rows with fresh values for its unique columns (but A's tenant_id)."""
    info = world.catalog[table]
    row = dict(world.samples[table])
    for column in info.columns:
        if column.generated:
            row.pop(column.name, None)
        elif column.name in info.unique and column.name != "tenant_id":
            row[column.name] = _sample_value(column, {}) if column.type_kind != "e" else row[column.name]
    return row


# --- the tests ---------------------------------------------------------------------------------

async def test_every_tenant_table_has_a_row_of_store_a(world: World) -> None:
    assert not world.seed_errors, (
        "could not create a row of store A in these tenant tables; make the domain's store world "
        "(tests/integration/tenancy/worlds.py) create one and map the table in TABLE_WORLDS:\n"
        + "\n".join(f"  {t}: {e}" for t, e in world.seed_errors.items())
    )
    assert set(tenant_tables(world)) >= {"account", "api_key", "web_session", "audit_entry"}
    stale = sorted(set(ROW_FACTORIES) - set(tenant_tables(world)))
    assert not stale, f"ROW_FACTORIES / TABLE_WORLDS name tables that are not tenant tables (any more): {stale}"
    for table in tenant_tables(world):
        assert world.samples[table]["tenant_id"] == world.a.tenant_id


async def test_store_a_sees_its_own_rows(world: World) -> None:
    """The positive control: without it, 'B sees nothing' could mean 'nobody sees anything'."""
    for table in tenant_tables(world):
        async with tenant_scope(world.a.tenant_id) as tx:
            n = await tx.connection.fetchval(f'SELECT count(*) FROM "{table}" WHERE tenant_id = $1', world.a.tenant_id)
            assert n >= 1, table
            if table in world.classes:
                cls = world.classes[table]
                assert await cls.count().where(cls.tenant_id == world.a.tenant_id) >= 1, table  # type: ignore[attr-defined]


async def _expect_rls_refusal(action: Callable[[], Awaitable[Any]], what: str, problems: list[str]) -> None:
    try:
        await action()
    except asyncpg.InsufficientPrivilegeError as exc:
        if RLS_REFUSAL not in str(exc):
            problems.append(f"{what}: refused, but not by row-level security: {exc}")
        return
    except Exception as exc:
        problems.append(f"{what}: expected an RLS refusal, got {type(exc).__name__}: {exc}")
        return
    problems.append(f"{what}: INSERT with another tenant's tenant_id was accepted")


async def _count_or_refused(action: Callable[[], Awaitable[int]], what: str, problems: list[str]) -> None:
    """UPDATE/DELETE of A's rows must affect nothing (or be refused outright: append-only tables)."""
    try:
        affected = await action()
    except asyncpg.InsufficientPrivilegeError:
        return
    if affected != 0:
        problems.append(f"{what}: affected {affected} of store A's rows")


async def test_store_b_cannot_touch_store_a_rows_through_the_orm(world: World) -> None:
    problems: list[str] = []
    a = world.a.tenant_id
    for table in tenant_tables(world):
        cls = world.classes.get(table)
        if cls is None:
            continue  # a table without a piccolo class: the raw-SQL test covers it
        tenant_col = cls.tenant_id  # type: ignore[attr-defined]
        pk = cls._meta.primary_key
        async with tenant_scope(world.b.tenant_id):
            if await cls.count().where(tenant_col == a):
                problems.append(f"{table}: ORM count sees store A's rows")
            if await cls.select(pk).where(pk == world.samples[table][pk._meta.db_column_name]):
                problems.append(f"{table}: ORM select by A's primary key finds it")
            visible = {r["tenant_id"] for r in await cls.select(tenant_col)}
            if visible - {world.b.tenant_id}:
                problems.append(f"{table}: ORM select shows other tenants: {visible}")

        async def update(cls: Any = cls, tenant_col: Any = tenant_col, pk: Any = pk) -> int:
            async with tenant_scope(world.b.tenant_id):
                return len(await cls.update({tenant_col: a}).where(tenant_col == a).returning(pk))

        async def delete(cls: Any = cls, tenant_col: Any = tenant_col, pk: Any = pk) -> int:
            async with tenant_scope(world.b.tenant_id):
                return len(await cls.delete().where(tenant_col == a).returning(pk))

        async def insert(cls: Any = cls, table: str = table) -> None:
            values = _copy_for_insert(world, table)
            async with tenant_scope(world.b.tenant_id):
                names = {c._meta.name for c in cls._meta.columns}
                await cls.insert(cls(**{k: v for k, v in values.items() if k in names}))

        await _count_or_refused(update, f"{table}: ORM update", problems)
        await _count_or_refused(delete, f"{table}: ORM delete", problems)
        await _expect_rls_refusal(insert, f"{table}: ORM insert", problems)
    assert world.samples, "nothing was tested"
    assert not problems, "\n".join(problems)


async def test_store_b_cannot_touch_store_a_rows_through_raw_sql(world: World) -> None:
    problems: list[str] = []
    a = world.a.tenant_id
    for table in tenant_tables(world):
        async with tenant_scope(world.b.tenant_id) as tx:
            n = await tx.connection.fetchval(f'SELECT count(*) FROM "{table}" WHERE tenant_id = $1', a)
            if n:
                problems.append(f"{table}: raw SELECT sees {n} of store A's rows")
            others = await tx.connection.fetchval(f'SELECT count(*) FROM "{table}" WHERE tenant_id <> $1',
                                                  world.b.tenant_id)
            if others:
                problems.append(f"{table}: raw SELECT sees {others} rows of other tenants")
        cls = world.classes.get(table)
        if cls is not None:  # Table.raw runs in the scope's transaction too
            async with tenant_scope(world.b.tenant_id):
                rows = await cls.raw(f'SELECT count(*) AS n FROM "{table}" WHERE tenant_id = {{}}', a)
                if rows[0]["n"]:
                    problems.append(f"{table}: Table.raw SELECT sees store A's rows")

        async def update(table: str = table) -> int:
            async with tenant_scope(world.b.tenant_id) as tx:
                status = await tx.connection.execute(
                    f'UPDATE "{table}" SET tenant_id = tenant_id WHERE tenant_id = $1', a)
                return int(status.split()[-1])

        async def delete(table: str = table) -> int:
            async with tenant_scope(world.b.tenant_id) as tx:
                status = await tx.connection.execute(f'DELETE FROM "{table}" WHERE tenant_id = $1', a)
                return int(status.split()[-1])

        async def insert(table: str = table) -> None:
            values = _copy_for_insert(world, table)
            names = ", ".join(f'"{n}"' for n in values)
            params = ", ".join(f"${i + 1}" for i in range(len(values)))
            async with tenant_scope(world.b.tenant_id) as tx:
                await tx.connection.execute(f'INSERT INTO "{table}" ({names}) VALUES ({params})', *values.values())

        await _count_or_refused(update, f"{table}: raw update", problems)
        await _count_or_refused(delete, f"{table}: raw delete", problems)
        await _expect_rls_refusal(insert, f"{table}: raw insert", problems)
    assert not problems, "\n".join(problems)


async def test_store_a_rows_are_all_still_there(world: World) -> None:
    for table in tenant_tables(world):
        sample = world.samples[table]
        if "id" in sample:
            n = await world.owner.fetchval(f'SELECT count(*) FROM "{table}" WHERE id = $1', sample["id"])
            assert n == 1, table


async def test_outside_any_scope_nothing_is_visible(world: World) -> None:
    """Fail closed: a query that forgot its scope sees no row of any table."""
    problems = []
    for table in [*tenant_tables(world), *(t for t in platform_tables(world) if t not in PUBLIC_REFERENCE_TABLES)]:
        async with get_engine().transaction() as tx:
            n = await tx.connection.fetchval(f'SELECT count(*) FROM "{table}"')
        if n:
            problems.append(f"{table}: {n} rows visible in a transaction without a scope")
        rows = await get_engine().run_querystring(QueryString(f'SELECT count(*) AS n FROM "{table}"'))
        if rows[0]["n"]:
            problems.append(f"{table}: {rows[0]['n']} rows visible without any transaction")
        async with anonymous_scope() as tx:
            n = await tx.connection.fetchval(f'SELECT count(*) FROM "{table}"')
        if n:
            problems.append(f"{table}: {n} rows visible in the anonymous scope")
    assert not problems, "\n".join(problems)


async def test_platform_tables_are_invisible_and_closed_in_a_tenant_scope(world: World) -> None:
    problems = []
    for table in platform_tables(world):
        owner_count = await world.owner.fetchval(f'SELECT count(*) FROM "{table}"')
        async with tenant_scope(world.b.tenant_id) as tx:
            if table == "tenant":
                # The one exception: a store reads its own tenant row, and only that.
                ids = [r["id"] for r in await tx.connection.fetch("SELECT id FROM tenant")]
                if ids != [world.b.tenant_id]:
                    problems.append(f"tenant: store B sees {ids}")
            elif table in PUBLIC_REFERENCE_TABLES:
                n = await tx.connection.fetchval(f'SELECT count(*) FROM "{table}"')
                if n != owner_count:
                    problems.append(f"{table}: reference data, but a tenant scope sees {n} of {owner_count} rows")
            else:
                n = await tx.connection.fetchval(f'SELECT count(*) FROM "{table}"')
                if n:
                    problems.append(f"{table}: {n} rows visible in a tenant scope")
        async with platform_scope("isolation test") as tx:
            n = await tx.connection.fetchval(f'SELECT count(*) FROM "{table}"')
            if n != owner_count:
                problems.append(f"{table}: platform scope sees {n} of {owner_count} rows")
        if table in world.samples:
            async def insert(table: str = table) -> None:
                values = _copy_for_insert(world, table)
                names = ", ".join(f'"{n}"' for n in values)
                params = ", ".join(f"${i + 1}" for i in range(len(values)))
                async with tenant_scope(world.b.tenant_id) as tx:
                    await tx.connection.execute(f'INSERT INTO "{table}" ({names}) VALUES ({params})',
                                                *values.values())

            await _expect_rls_refusal(insert, f"{table}: insert from a tenant scope", problems)
    assert "tenant" in world.samples
    assert not problems, "\n".join(problems)


async def test_a_tenant_scope_cannot_widen_or_switch(world: World) -> None:
    async with tenant_scope(world.b.tenant_id):
        with pytest.raises(ScopeViolation):
            async with platform_scope("escalation attempt"):
                pass
        with pytest.raises(ScopeViolation):
            async with tenant_scope(world.a.tenant_id):
                pass
        with pytest.raises(ScopeViolation):
            async with anonymous_scope():
                pass
        # Still store B's scope after the refusals.
        rows = await get_engine().run_querystring(
            QueryString("SELECT current_setting('app.tenant_id', true) AS t, "
                        "current_setting('app.platform_scope', true) AS p")
        )
        assert rows[0]["t"] == str(world.b.tenant_id)
        assert rows[0]["p"] == ""


async def test_platform_scope_may_narrow_to_one_tenant_and_back(world: World) -> None:
    async with platform_scope("narrow test") as tx:
        async with tenant_scope(world.a.tenant_id):
            ids = {r["tenant_id"] for r in await tx.connection.fetch("SELECT tenant_id FROM api_key")}
            assert ids == {world.a.tenant_id}
        ids = {r["tenant_id"] for r in await tx.connection.fetch("SELECT tenant_id FROM api_key")}
        assert {world.a.tenant_id, world.b.tenant_id} <= ids


@pytest.fixture
async def single_connection_pool(pawpay_database: Any) -> AsyncIterator[asyncpg.Pool]:
    """Swap the engine's pool for one holding a single connection, so the next transaction is
    certain to reuse it; the session's pool is restored afterwards."""
    engine = get_engine()
    original = engine.pool
    pool = await asyncpg.create_pool(pawpay_database.app_dsn, min_size=1, max_size=1)
    engine.pool = pool
    try:
        yield pool
    finally:
        engine.pool = original
        await pool.close()


async def test_scope_settings_do_not_leak_to_the_next_transaction(
    world: World, single_connection_pool: asyncpg.Pool
) -> None:
    async with tenant_scope(world.a.tenant_id) as tx:
        pid = await tx.connection.fetchval("SELECT pg_backend_pid()")
        assert await tx.connection.fetchval("SELECT count(*) FROM api_key") >= 1
    async with get_engine().transaction() as tx:
        assert await tx.connection.fetchval("SELECT pg_backend_pid()") == pid  # the same pooled connection
        setting = await tx.connection.fetchval("SELECT current_setting('app.tenant_id', true)")
        assert setting in ("", None)
        assert await tx.connection.fetchval("SELECT count(*) FROM api_key") == 0
    async with platform_scope("leak test") as tx:
        assert await tx.connection.fetchval("SELECT pg_backend_pid()") == pid
    async with get_engine().transaction() as tx:
        assert await tx.connection.fetchval("SELECT current_setting('app.platform_scope', true)") in ("", None)
        assert await tx.connection.fetchval("SELECT count(*) FROM tenant") == 0
