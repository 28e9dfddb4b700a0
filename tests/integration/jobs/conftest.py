"""Fixtures for the jobs tests: the jobs fixture plugin and a scratch tenant table of due rows.

``jobs_test_item`` stands in for a domain table (a tenant table with RLS, a due time and a
lease); each test tags its rows with its own ``batch`` so that tests never claim each other's.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from piccolo.querystring import QueryString

from pawpay.platform.db.engine import get_engine
from pawpay.platform.db.rls import platform_table_rls, tenant_table_rls
from pawpay.platform.jobs.due import LeasedRowWork
from pawpay.platform.tenancy.scope import platform_scope

TABLE = "jobs_test_item"
DDL = [
    f"CREATE TABLE {TABLE} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
    "tenant_id uuid NOT NULL REFERENCES tenant(id), batch text NOT NULL, due_at timestamptz, "
    "lease_until timestamptz, attempts int NOT NULL DEFAULT 0, processed int NOT NULL DEFAULT 0, "
    "done_at timestamptz)",
    *tenant_table_rls(TABLE),
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO pawpay_app",
    # A deferred constraint lets a test make COMMIT itself fail (see test_claims).
    "CREATE TABLE jobs_test_commit_guard (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED)",
    *platform_table_rls("jobs_test_commit_guard"),
    "GRANT SELECT, INSERT ON jobs_test_commit_guard TO pawpay_app",
]


@dataclass(frozen=True, slots=True)
class Items:
    """Rows of the scratch table for one test (one ``batch``)."""

    batch: str

    def work(self, actor_name: str = "jobs_test_touch", **kwargs: Any) -> LeasedRowWork:
        kwargs.setdefault("lease", timedelta(seconds=60))
        return LeasedRowWork(
            name=f"test:{self.batch}", actor_name=actor_name, table=TABLE, due_column="due_at",
            match={"batch": self.batch}, **kwargs,
        )

    async def add(self, tenant_id: uuid.UUID, due_at: datetime | None, count: int = 1) -> list[uuid.UUID]:
        ids = []
        async with platform_scope("test: add items"):
            for _ in range(count):
                rows = await get_engine().run_querystring(
                    QueryString(
                        f"INSERT INTO {TABLE} (tenant_id, batch, due_at) VALUES ({{}}, {{}}, {{}}) RETURNING id",
                        tenant_id, self.batch, due_at,
                    )
                )
                ids.append(rows[0]["id"])
        return ids

    async def rows(self) -> dict[uuid.UUID, dict[str, Any]]:
        async with platform_scope("test: read items"):
            rows = await get_engine().run_querystring(
                QueryString(f"SELECT * FROM {TABLE} WHERE batch = {{}}", self.batch)
            )
        return {row["id"]: row for row in rows}


@pytest.fixture(scope="session")
async def jobs_test_table(pawpay_database: Any) -> AsyncIterator[str]:
    conn = await asyncpg.connect(pawpay_database.owner_dsn)
    try:
        for statement in DDL:
            await conn.execute(statement)
        yield TABLE
        await conn.execute("DROP TABLE IF EXISTS jobs_test_commit_guard")
        await conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    finally:
        await conn.close()


@pytest.fixture
def items(jobs_test_table: str) -> Items:
    return Items(batch=uuid.uuid4().hex)
