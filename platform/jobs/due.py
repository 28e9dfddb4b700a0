"""Reusable kinds of due work: rows with a due time and a lease, and the platform's periodic jobs.

A component declares what is due with a few words and returns it from ``pawpay_due_work``::

    LeasedRowWork(
        name="collections.retry",
        actor_name="retry_collection",
        table="collection_attempt",
        due_column="next_attempt_at",
    )

The scheduler calls :meth:`LeasedRowWork.claim` inside its platform-scope transaction. Due
means ``due_column <= now`` (``now`` moved by the row's tenant's test clock, if it has one) and
not leased (``lease_column`` is NULL or in the past). Claimed rows get
``lease_column = system now + lease`` and, after commit, a message each. The actor must finish
the row in its own transaction (clear or advance ``due_column``, clear the lease); if it never
does (a killed worker), the lease runs out and the row is claimed again.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from piccolo.querystring import QueryString

from pawpay.platform.clock import utcnow
from pawpay.platform.db.engine import get_engine
from pawpay.platform.db.rls import _check_identifier
from pawpay.platform.hooks.types import DueItem
from pawpay.platform.tenancy.scope import in_platform_scope, platform_scope

log = logging.getLogger(__name__)

# Every periodic job lives in this platform table (see ``tables.ScheduledJob``).
SCHEDULED_JOB_TABLE = "scheduled_job"


def _json_safe(value: Any) -> Any:
    """Message arguments travel as JSON: ids and times become strings."""
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(slots=True)
class LeasedRowWork:
    """Rows of ``table`` that fall due at ``due_column`` and are leased through ``lease_column``.

    Implements :class:`pawpay.platform.hooks.types.DueWork`.

    Attributes:
        name: a stable, unique name (logs and the ``pawpay_scheduler_claimed_total`` metric).
        actor_name: the dramatiq actor each claimed row is sent to.
        table, due_column, lease_column, key_column: plain identifiers of our own schema.
        tenant_column: the tenant column of a tenant table (its rows are due by their tenant's
            clock and their messages are stamped with the tenant); None for platform tables.
        args_columns: the columns whose values are the actor's arguments, in order; default
            ``(tenant_column, key_column)`` for tenant tables and ``(key_column,)`` otherwise.
        match: extra equality filters (``{"status": "pending"}``), passed as parameters.
        lease: how long a claimed row stays leased; default ``PAWPAY_JOB_LEASE_SECONDS``. Make it
            longer than the actor's time limit, or a slow but alive job is run twice.
    """

    name: str
    actor_name: str
    table: str
    due_column: str
    lease_column: str = "lease_until"
    key_column: str = "id"
    tenant_column: str | None = "tenant_id"
    args_columns: Sequence[str] | None = None
    match: Mapping[str, Any] = field(default_factory=dict)
    lease: timedelta | None = None

    def __post_init__(self) -> None:
        for identifier in self._identifiers():
            _check_identifier(identifier)

    def _identifiers(self) -> list[str]:
        names = [self.table, self.due_column, self.lease_column, self.key_column, *self.arguments(), *self.match]
        if self.tenant_column:
            names.append(self.tenant_column)
        return names

    def arguments(self) -> Sequence[str]:
        if self.args_columns is not None:
            return self.args_columns
        return (self.tenant_column, self.key_column) if self.tenant_column else (self.key_column,)

    def lease_length(self) -> timedelta:
        if self.lease is not None:
            return self.lease
        from pawpay.platform.settings import get_settings

        return timedelta(seconds=get_settings().job_lease_seconds)

    def claim_query(self, now: datetime, limit: int, *, due_by: datetime | None = None) -> QueryString:
        """The one statement that locks, leases and returns up to ``limit`` due rows.

        ``FOR UPDATE OF w SKIP LOCKED`` lets concurrent claimers pass each other's rows; a row a
        concurrent claimer leased and committed is re-checked by PostgreSQL and no longer due.
        The due time compares with the tenant's now (system now + its ``tenant_clock`` offset);
        leases compare with the system now, because they measure real worker time.
        """
        w, due, lease, key = self.table, self.due_column, self.lease_column, self.key_column
        due_by = due_by or now  # rows due by then (default: now); leases always compare with now
        values: list[Any] = []

        def param(value: Any, cast: str = "") -> str:
            values.append(value)
            return "{}" + cast

        if self.tenant_column:
            join = f"LEFT JOIN tenant_clock AS c ON c.tenant_id = w.{self.tenant_column}"
            # The first bound is constant for the statement, so an index on the due column can
            # serve it; the second is the exact per-tenant comparison.
            due_now = (
                f"{param(due_by, '::timestamptz')} + "
                "(SELECT COALESCE(max(offset_seconds), 0) FROM tenant_clock) * interval '1 second' "
                f"AND w.{due} <= {param(due_by, '::timestamptz')} + COALESCE(c.offset_seconds, 0) * "
                "interval '1 second'"
            )
        else:
            join = ""
            due_now = param(due_by, "::timestamptz")
        # Placeholders are numbered in call order: build the fragments in the order they appear.
        not_leased = f"(w.{lease} IS NULL OR w.{lease} < {param(now, '::timestamptz')})"
        filters = "".join(f" AND w.{column} = {param(value)}" for column, value in self.match.items())
        limit_sql = param(limit, "::int")
        lease_until = param(now + self.lease_length(), "::timestamptz")
        returned = [(key, "due_key"), *((column, f"arg_{i}") for i, column in enumerate(self.arguments()))]
        if self.tenant_column:
            returned.append((self.tenant_column, "due_tenant"))
        returning = ", ".join(f"w.{column} AS {alias}" for column, alias in returned)
        sql = (
            f"WITH due AS (SELECT w.{key} AS k FROM {w} AS w {join} "
            f"WHERE w.{due} IS NOT NULL AND w.{due} <= {due_now} AND {not_leased}{filters} "
            f"ORDER BY w.{due} LIMIT {limit_sql} FOR UPDATE OF w SKIP LOCKED) "
            f"UPDATE {w} AS w SET {lease} = {lease_until} FROM due WHERE w.{key} = due.k "
            f"RETURNING {returning}"
        )
        return QueryString(sql, *values)

    async def claim(self, now: datetime, limit: int) -> Sequence[DueItem]:
        """Lease up to ``limit`` due rows; call inside the scheduler's platform-scope transaction."""
        if not in_platform_scope():
            raise RuntimeError(f"{self.name}: claim() runs inside the scheduler's platform scope")
        rows = await get_engine().run_querystring(self.claim_query(now, limit))
        count = len(self.arguments())
        items = []
        for row in rows:
            tenant = row["due_tenant"] if self.tenant_column else None
            items.append(
                DueItem(
                    key=str(row["due_key"]),
                    tenant_id=str(tenant) if tenant is not None else None,
                    args=tuple(_json_safe(row[f"arg_{i}"]) for i in range(count)),
                )
            )
        return items


@dataclass(slots=True)
class PeriodicJob(LeasedRowWork):
    """Platform work that runs every ``interval`` (a row of ``scheduled_job``).

    Return it from ``pawpay_due_work``; the active scheduler upserts its row when it starts, and
    its actor (which receives the job's name) wraps its body in :func:`run_periodic_job`.
    """

    interval: timedelta = timedelta(hours=1)
    job_name: str = ""

    def __post_init__(self) -> None:
        # Explicit base call: zero-argument super() breaks in slotted dataclasses on 3.11.
        LeasedRowWork.__post_init__(self)
        if not self.job_name or self.interval <= timedelta(0):
            raise ValueError("a periodic job needs a job_name and a positive interval (use PeriodicJob.every)")

    @classmethod
    def every(cls, interval: timedelta, *, job_name: str, actor_name: str) -> PeriodicJob:
        return cls(
            name=f"periodic:{job_name}",
            actor_name=actor_name,
            table=SCHEDULED_JOB_TABLE,
            due_column="next_run_at",
            lease_column="lease_until",
            key_column="name",
            tenant_column=None,
            args_columns=("name",),
            match={"name": job_name},
            interval=interval,
            job_name=job_name,
        )

    async def seed(self, now: datetime) -> None:
        """Create this job's row (due now) or update its interval; inside platform scope.

        A shorter interval takes effect at once; the next run never moves later.
        """
        seconds = int(self.interval.total_seconds())
        await get_engine().run_querystring(
            QueryString(
                f"INSERT INTO {SCHEDULED_JOB_TABLE} (id, name, interval_seconds, next_run_at, last_error) "
                "VALUES ({}, {}, {}, {}::timestamptz, '') ON CONFLICT (name) DO UPDATE SET "
                "interval_seconds = EXCLUDED.interval_seconds, "
                f"next_run_at = LEAST({SCHEDULED_JOB_TABLE}.next_run_at, "
                "EXCLUDED.next_run_at + EXCLUDED.interval_seconds * interval '1 second')",
                uuid.uuid4(), self.job_name, seconds, now,
            )
        )


# After a failed run, try again after this long (or the interval, if shorter).
PERIODIC_RETRY_DELAY = timedelta(minutes=1)


async def run_periodic_job(job_name: str, body: Callable[[datetime], Awaitable[object]]) -> bool:
    """Run one due run of a periodic job and schedule the next; the body of its actor.

    ``body(now)`` runs in the same platform-scope transaction that books the run, so its changes
    and the new ``next_run_at`` commit together. A message for a run that was already completed
    (a duplicate delivery, a reclaimed lease whose first worker came back) finds no lease and
    does nothing. A failing body is recorded in ``last_error`` and retried after
    :data:`PERIODIC_RETRY_DELAY`; the exception is re-raised for dramatiq's logs and metrics.

    Returns:
        True if the body ran, False for a duplicate.
    """
    now = utcnow()
    try:
        async with platform_scope(f"periodic job {job_name}"):
            rows = await get_engine().run_querystring(
                QueryString(
                    f"SELECT lease_until FROM {SCHEDULED_JOB_TABLE} WHERE name = {{}} FOR UPDATE", job_name
                )
            )
            if not rows or rows[0]["lease_until"] is None:
                log.info("periodic job %s: nothing leased (already done), skipping", job_name)
                return False
            await body(now)
            await get_engine().run_querystring(
                QueryString(
                    f"UPDATE {SCHEDULED_JOB_TABLE} SET last_run_at = {{}}, lease_until = NULL, last_error = '', "
                    "next_run_at = {}::timestamptz + interval_seconds * interval '1 second' WHERE name = {}",
                    now, now, job_name,
                )
            )
    except Exception as exc:
        retry_at = now + PERIODIC_RETRY_DELAY
        async with platform_scope(f"periodic job {job_name} failed"):
            await get_engine().run_querystring(
                QueryString(
                    f"UPDATE {SCHEDULED_JOB_TABLE} SET lease_until = NULL, last_error = {{}}, "
                    "next_run_at = LEAST({}::timestamptz, {}::timestamptz + interval_seconds * interval '1 second') "
                    "WHERE name = {}",
                    json.dumps({"error": type(exc).__name__, "detail": str(exc)[:500]}), retry_at, now, job_name,
                )
            )
        raise
    return True


@dataclass(frozen=True, slots=True)
class BatchDueItem(DueItem):
    """One message for several claimed rows of one tenant (``rows`` of them)."""

    rows: int = 1


@dataclass(slots=True)
class LeasedBatchWork(LeasedRowWork):
    """Like :class:`LeasedRowWork`, but the claimed rows of one tenant go out as ONE message.

    The actor receives ``(tenant_id, [key, ...])`` (at most ``max_batch`` keys, the rows of one
    tenant, so that it works in that tenant's scope) and must finish every row it was given, as
    :class:`LeasedRowWork` describes; a row it does not finish is claimed again when its lease
    runs out. ``claim_limit`` (default: the scheduler's batch size) is the most rows per tick.

    ``then`` is lower-priority work on the same table (other due and lease columns) that fills what
    is left of the claim: its rows of a tenant travel in the same message as a third argument
    (e.g. receipts after the debits). While rows of this work are in flight (leased, lease not run
    out) anywhere, only ``then`` rows due for longer than ``then_max_delay`` are claimed: the
    follow-ups wait for the burst to end, but never much longer. Only for tenant tables.

    ``max_in_flight`` is backpressure: a claim is made only while it fits, in full, under that many
    leased rows (leased and not run out), so a backlog is leased a step at a time and no lease runs
    out while its message still waits in the queue. It counts through the lease column: give the
    table an index on it (``WHERE <lease column> IS NOT NULL``). With many tenants due at once, a
    large ``claim_limit`` gives each tenant's message more rows (the rows are split by tenant).
    """

    max_batch: int = 200
    claim_limit: int | None = None
    max_in_flight: int | None = None
    then: LeasedRowWork | None = None
    then_max_delay: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        LeasedRowWork.__post_init__(self)
        if not self.tenant_column or self.max_batch < 1:
            raise ValueError(f"{self.name}: batch work needs a tenant column and a positive max_batch")
        if self.max_in_flight is not None and self.max_in_flight < 1:
            raise ValueError(f"{self.name}: max_in_flight must be positive")
        if self.then is not None and (self.then.table != self.table or self.then.tenant_column != self.tenant_column):
            raise ValueError(f"{self.name}: the follow-up work must be rows of the same table")

    async def claim(self, now: datetime, limit: int) -> Sequence[DueItem]:
        if not in_platform_scope():
            raise RuntimeError(f"{self.name}: claim() runs inside the scheduler's platform scope")
        limit = self.claim_limit or limit
        engine = get_engine()
        busy: int | None = None
        take = limit
        if self.max_in_flight is not None:
            busy = await self._in_flight_count(now, self.max_in_flight)
            if busy + limit > self.max_in_flight:
                # Wait until a full claim fits (small claims would split into small messages), unless
                # nothing is in flight: then the cap itself is the claim.
                take = 0 if busy else self.max_in_flight
        first = await engine.run_querystring(self.claim_query(now, take)) if take else []
        later: list[Any] = []
        if self.then is not None and len(first) < limit:
            in_flight = bool(first) or (busy > 0 if busy is not None else await self._in_flight(now))
            due_by = now - self.then_max_delay if in_flight else now
            later = await engine.run_querystring(self.then.claim_query(now, limit - len(first), due_by=due_by))
        by_tenant: dict[str, tuple[list[str], list[str]]] = {}
        for rows, slot in ((first, 0), (later, 1)):
            for row in rows:
                by_tenant.setdefault(str(row["due_tenant"]), ([], []))[slot].append(str(row["due_key"]))
        per_tenant: list[list[DueItem]] = []
        for tenant, (keys, then_keys) in by_tenant.items():
            # Chunks of at most max_batch rows (debits and follow-ups counted together).
            chunks: list[DueItem] = []
            keys_left, then_left = sorted(keys), sorted(then_keys)
            while keys_left or then_left:
                chunk, keys_left = keys_left[:self.max_batch], keys_left[self.max_batch:]
                room = self.max_batch - len(chunk)
                then_chunk, then_left = then_left[:room], then_left[room:]
                args: tuple[Any, ...] = (tenant, chunk, then_chunk) if self.then is not None else (tenant, chunk)
                chunks.append(BatchDueItem(key=(chunk or then_chunk)[0], tenant_id=tenant, args=args,
                                           rows=len(chunk) + len(then_chunk)))
            per_tenant.append(chunks)
        # Round robin between tenants (A1 B1 C1 A2 B2 …): workers take messages in order, and a
        # tenant's batches often run one at a time (billing's per-store rate limit), so a queue of
        # one tenant's messages in a row would leave the others waiting behind it.
        return [chunks[i] for i in range(max(map(len, per_tenant), default=0))
                for chunks in per_tenant if i < len(chunks)]

    async def _in_flight_count(self, now: datetime, cap: int) -> int:
        """How many rows are leased and not run out, counting up to ``cap`` (the lease column's index)."""
        filters = "".join(f" AND {column} = {{}}" for column in self.match)  # this work's rows only
        rows = await get_engine().run_querystring(QueryString(
            f"SELECT count(*) AS n FROM (SELECT 1 FROM {self.table} WHERE {self.lease_column} >= {{}}::timestamptz"
            f"{filters} LIMIT {{}}) AS busy", now, *self.match.values(), cap))
        return int(rows[0]["n"])

    async def _in_flight(self, now: datetime) -> bool:
        """Whether a row of this work is leased and its lease has not run out (being worked on)."""
        # Claimed rows were due: the due column's index bounds the search (test clocks included).
        rows = await get_engine().run_querystring(QueryString(
            f"SELECT EXISTS (SELECT 1 FROM {self.table} WHERE {self.due_column} <= {{}}::timestamptz + "
            "(SELECT COALESCE(max(offset_seconds), 0) FROM tenant_clock) * interval '1 second' "
            f"AND {self.lease_column} >= {{}}::timestamptz) AS busy", now, now))
        return bool(rows[0]["busy"])
