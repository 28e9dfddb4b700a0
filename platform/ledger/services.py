"""The double-entry ledger: the only way any domain records a movement of money.

Every movement is a journal entry of at least two postings (debit > 0, credit < 0, integer fen)
that sum to zero. Entries are never edited: a mistake is undone by :func:`reverse_entry`. Each
entry carries an idempotency key, unique per store: posting the same key again with the same
postings returns the original entry; with different postings it is a 409.

The ledger mirrors what the licensed provider holds for each store (ARCHITECTURE §5a); pawpay
never holds funds. The database enforces the invariants too (balanced entries checked at
COMMIT, append-only tables, non-negative accounts); the checks here give callers clear errors.

Usage from another domain::

    from pawpay.platform.ledger import services as ledger

    await ledger.ensure_accounts(ctx, ["store_funds_held", f"customer_receivable:{contract_no}"])
    await ledger.post_entry(ctx, idempotency_key=f"debit:{attempt_id}", description="monthly debit",
                            postings=[("store_funds_held", 29800), (f"customer_receivable:{contract_no}", -29800)])
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pawpay.platform.audit.services import AuditRecord, record, record_many
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.ledger.errors import AlreadyReversed, IdempotencyMismatch, InsufficientBalance
from pawpay.platform.ledger.rules import definition, normal_balance, reversed_postings, validate_postings
from pawpay.platform.ledger.tables import JournalEntry, LedgerAccount, LedgerPosting
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class PostingView:
    account_code: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class EntryView:
    id: uuid.UUID
    idempotency_key: str
    description: str
    effective_at: datetime
    recorded_at: datetime
    reverses_entry_id: uuid.UUID | None
    created_by: str
    postings: list[PostingView]


@dataclass(frozen=True, slots=True)
class AccountBalance:
    code: str
    kind: str
    may_go_negative: bool
    balance_fen: int  # on the account's normal side (see rules)
    signed_fen: int  # debits minus credits


def _check_key(idempotency_key: str) -> str:
    if not isinstance(idempotency_key, str) or not idempotency_key.strip() or len(idempotency_key) > MAX_KEY_LENGTH:
        raise ValidationFailed("an idempotency key of 1 to 255 characters is required", field="idempotency_key")
    return idempotency_key


def _check_time(value: datetime | None, field: str) -> datetime | None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise ValidationFailed("times must be timezone-aware", field=field)
    return value


async def ensure_accounts(ctx: TenantContext, codes: Iterable[str]) -> None:
    """Create the store's accounts named by ``codes`` that do not exist yet (kinds from the chart)."""
    wanted = sorted(set(codes))
    definitions = {code: definition(code) for code in wanted}
    if not wanted:
        return
    now = utcnow()
    async with tenant_scope(ctx):
        # One statement for all of them (a debit batch names a receivable per contract).
        await LedgerAccount.raw(
            "INSERT INTO ledger_account (id, tenant_id, code, kind, may_go_negative, created_at) "
            "SELECT gen_random_uuid(), {}, a.code, a.kind, a.may_go_negative, {} "
            "FROM unnest({}::text[], {}::text[], {}::bool[]) AS a(code, kind, may_go_negative) "
            "ON CONFLICT ON CONSTRAINT ledger_account_uq_tenant_code DO NOTHING",
            ctx.tenant_id, now, wanted, [str(definitions[c].kind) for c in wanted],
            [definitions[c].may_go_negative for c in wanted],
        )


async def post_entry(
    ctx: TenantContext,
    *,
    idempotency_key: str,
    description: str,
    postings: Sequence[tuple[str, int]],
    effective_at: datetime | None = None,
) -> EntryView:
    """Record one balanced entry (or return the one already recorded under ``idempotency_key``)."""
    key = _check_key(idempotency_key)
    lines = validate_postings(postings)
    _check_time(effective_at, "effective_at")
    async with tenant_scope(ctx):
        return await _post(ctx, key, description, lines, effective_at, reverses_entry_id=None)


@dataclass(frozen=True, slots=True)
class EntryInput:
    """One entry of :func:`post_entries` (the arguments of :func:`post_entry`)."""

    idempotency_key: str
    description: str
    postings: Sequence[tuple[str, int]]
    effective_at: datetime | None = None


async def post_entries(ctx: TenantContext, entries: Sequence[EntryInput]) -> list[EntryView]:
    """Record several balanced entries of one store at once (batch work: a debit batch), with the
    guarantees of :func:`post_entry` entry by entry: a replayed key returns its entry (a different
    one is a 409), the accounts are locked once, in code order, and no account that may not go
    negative goes below zero at any point of the sequence. A few statements for the whole batch."""
    if not entries:
        return []
    checked = []
    for e in entries:
        _check_time(e.effective_at, "effective_at")
        checked.append((_check_key(e.idempotency_key), e.description, validate_postings(e.postings), e.effective_at))
    keys = [k for k, *_ in checked]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("an idempotency key appears twice in the batch", field="idempotency_key")
    async with tenant_scope(ctx):
        accounts = await _lock_accounts(ctx, sorted({code for _k, _d, lines, _e in checked for code, _a in lines}))
        # After the locks: an entry with one of these keys committed meanwhile is seen here.
        replays = await _replays(ctx, checked)
        running = {code: int(a["balance_signed"]) for code, a in accounts.items()}
        now = utcnow()
        created_by = (ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else ""))[:255]
        fresh: list[tuple[uuid.UUID, str, str, list[tuple[str, int]], datetime]] = []
        for key, description, lines, effective_at in checked:
            if key in replays:
                continue
            for code, amount in lines:
                account = accounts[code]
                after = normal_balance(account["kind"], running[code] + amount)
                if not account["may_go_negative"] and after < 0:
                    raise InsufficientBalance("the entry would take an account below zero", account_code=code,
                                              balance_fen=normal_balance(account["kind"], running[code]),
                                              change_fen=amount)
                running[code] += amount
            fresh.append((uuid.uuid4(), key, description[:2000], lines, effective_at or now))
        if fresh:
            await JournalEntry.raw(
                "INSERT INTO journal_entry (id, tenant_id, idempotency_key, description, effective_at, recorded_at, "
                "reverses_entry_id, created_by) SELECT e.id, {}, e.key, e.description, e.effective_at, {}, NULL, {} "
                "FROM unnest({}::uuid[], {}::text[], {}::text[], {}::timestamptz[]) AS e(id, key, description, "
                "effective_at)",
                ctx.tenant_id, now, created_by, [f[0] for f in fresh], [f[1] for f in fresh],
                [f[2] for f in fresh], [f[4] for f in fresh])
            postings = [(entry_id, accounts[code]["id"], amount) for entry_id, _k, _d, lines, _e in fresh
                        for code, amount in lines]
            await LedgerPosting.raw(
                "INSERT INTO ledger_posting (id, tenant_id, entry_id, account_id, amount_fen, currency) "
                "SELECT gen_random_uuid(), {}, p.entry_id, p.account_id, p.amount_fen, 'CNY' "
                "FROM unnest({}::uuid[], {}::uuid[], {}::bigint[]) WITH ORDINALITY AS p(entry_id, account_id, "
                "amount_fen, n) ORDER BY p.n",
                ctx.tenant_id, [p[0] for p in postings], [p[1] for p in postings], [p[2] for p in postings])
            await record_many(ctx, [
                AuditRecord("ledger.entry_posted", target_type="journal_entry", target_id=str(entry_id),
                            after={"idempotency_key": key, "description": description,
                                   "effective_at": effective_at.isoformat(), "reverses_entry_id": None,
                                   "postings": [{"account_code": c, "amount_fen": a} for c, a in lines]})
                for entry_id, key, description, lines, effective_at in fresh])
    made = {key: EntryView(id=entry_id, idempotency_key=key, description=description, effective_at=effective_at,
                           recorded_at=now, reverses_entry_id=None, created_by=created_by,
                           postings=[PostingView(c, a) for c, a in lines])
            for entry_id, key, description, lines, effective_at in fresh}
    return [replays.get(key) or made[key] for key in keys]


async def _replays(
    ctx: TenantContext, checked: Sequence[tuple[str, str, list[tuple[str, int]], datetime | None]]
) -> dict[str, EntryView]:
    """The entries already recorded under these keys (a replay), checked to be the same entries."""
    rows = await JournalEntry.select().where(
        (JournalEntry.tenant_id == ctx.tenant_id) & JournalEntry.idempotency_key.is_in([k for k, *_ in checked]))
    if not rows:
        return {}
    postings = await _postings(ctx, [r["id"] for r in rows])
    wanted = {k: lines for k, _d, lines, _e in checked}
    out = {}
    for row in rows:
        entry = _view(row, postings.get(row["id"], []))
        if sorted((p.account_code, p.amount_fen) for p in entry.postings) != wanted[entry.idempotency_key] or (
            entry.reverses_entry_id is not None
        ):
            raise IdempotencyMismatch("this idempotency key was used for a different entry",
                                      idempotency_key=entry.idempotency_key, entry_id=str(entry.id))
        out[entry.idempotency_key] = entry
    return out


async def reverse_entry(ctx: TenantContext, entry_id: uuid.UUID, *, idempotency_key: str, reason: str) -> EntryView:
    """Undo ``entry_id`` with a new entry of the opposite postings (an entry is reversed once)."""
    key = _check_key(idempotency_key)
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("a reason is required to reverse an entry", field="reason")
    async with tenant_scope(ctx):
        original = await _entry(ctx, entry_id)
        lines = sorted(reversed_postings((p.account_code, p.amount_fen) for p in original.postings))
        return await _post(ctx, key, f"reversal: {reason.strip()}", lines, None, reverses_entry_id=original.id)


async def _post(
    ctx: TenantContext,
    key: str,
    description: str,
    lines: list[tuple[str, int]],
    effective_at: datetime | None,
    *,
    reverses_entry_id: uuid.UUID | None,
) -> EntryView:
    # A replay is answered before anything else (even if its accounts were never created).
    replay = await _replay(ctx, key, lines, reverses_entry_id)
    if replay is not None:
        return replay
    # Lock the accounts in code order (no deadlock between two entries on the same accounts); a
    # concurrent entry with the same key waits here, then finds the first one's entry below.
    accounts = await _lock_accounts(ctx, [code for code, _amount in lines])
    replay = await _replay(ctx, key, lines, reverses_entry_id)
    if replay is not None:
        return replay
    if reverses_entry_id is not None and await JournalEntry.exists().where(
        (JournalEntry.tenant_id == ctx.tenant_id) & (JournalEntry.reverses_entry_id == reverses_entry_id)
    ):
        raise AlreadyReversed("this entry has already been reversed", entry_id=str(reverses_entry_id))

    for code, amount in lines:
        account = accounts[code]
        if account["may_go_negative"]:
            continue
        signed = int(account["balance_signed"])  # the running balance, kept by the posting trigger
        after = normal_balance(account["kind"], signed + amount)
        if after < 0:
            raise InsufficientBalance("the entry would take an account below zero", account_code=code,
                                      balance_fen=normal_balance(account["kind"], signed), change_fen=amount)

    now = utcnow()
    entry_id = uuid.uuid4()
    created_by = ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else "")
    await JournalEntry.insert(JournalEntry(
        id=entry_id, tenant_id=ctx.tenant_id, idempotency_key=key, description=description[:2000],
        effective_at=effective_at or now, recorded_at=now, reverses_entry_id=reverses_entry_id,
        created_by=created_by[:255],
    ))
    await LedgerPosting.insert(*[
        LedgerPosting(id=uuid.uuid4(), tenant_id=ctx.tenant_id, entry_id=entry_id, account_id=accounts[code]["id"],
                      amount_fen=amount, currency="CNY")
        for code, amount in lines
    ])
    await record(ctx, "ledger.entry_reversed" if reverses_entry_id else "ledger.entry_posted",
                 target_type="journal_entry", target_id=str(entry_id),
                 after={"idempotency_key": key, "description": description[:2000],
                        "effective_at": (effective_at or now).isoformat(),
                        "reverses_entry_id": str(reverses_entry_id) if reverses_entry_id else None,
                        "postings": [{"account_code": c, "amount_fen": a} for c, a in lines]})
    return EntryView(id=entry_id, idempotency_key=key, description=description[:2000],
                     effective_at=effective_at or now, recorded_at=now, reverses_entry_id=reverses_entry_id,
                     created_by=created_by[:255], postings=[PostingView(c, a) for c, a in lines])


async def _replay(
    ctx: TenantContext, key: str, lines: list[tuple[str, int]], reverses_entry_id: uuid.UUID | None
) -> EntryView | None:
    existing = await JournalEntry.select(JournalEntry.id).where(
        (JournalEntry.tenant_id == ctx.tenant_id) & (JournalEntry.idempotency_key == key)
    ).first()
    if existing is None:
        return None
    entry = await _entry(ctx, existing["id"])
    if sorted((p.account_code, p.amount_fen) for p in entry.postings) != lines or (
        entry.reverses_entry_id != reverses_entry_id
    ):
        raise IdempotencyMismatch("this idempotency key was used for a different entry",
                                  idempotency_key=key, entry_id=str(entry.id))
    return entry


async def _lock_accounts(ctx: TenantContext, codes: list[str]) -> dict[str, dict[str, Any]]:
    """Serialise entries on the same accounts: a transaction-level advisory lock per account, in
    code order (no deadlock between two entries on the same accounts; ``FOR UPDATE`` would need
    UPDATE privilege, which the application does not have on ``ledger_account``). Returns the
    accounts with their running balance read after the locks."""
    wanted = sorted(set(codes))
    rows = await LedgerAccount.raw(
        "SELECT id, code FROM ledger_account WHERE tenant_id = {} AND code = ANY({}) ORDER BY code",
        ctx.tenant_id, wanted,
    )
    found = {row["code"]: row for row in rows}
    missing = [code for code in wanted if code not in found]
    if missing:
        raise NotFound("ledger account not found", account_code=missing[0])
    # One statement: the locks are taken row by row in the array's order (code order).
    await LedgerAccount.raw(
        "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest({}::text[]) AS k",
        [f"ledger_account:{found[code]['id']}" for code in wanted],
    )
    rows = await LedgerAccount.raw(
        "SELECT id, code, kind, may_go_negative, balance_signed FROM ledger_account "
        "WHERE tenant_id = {} AND code = ANY({}) ORDER BY code",
        ctx.tenant_id, wanted,
    )
    return {row["code"]: row for row in rows}


async def _signed_sum(account_id: uuid.UUID, as_of: datetime | None) -> int:
    rows = await LedgerPosting.raw(
        "SELECT COALESCE(SUM(p.amount_fen), 0)::bigint AS total FROM ledger_posting p "
        "JOIN journal_entry e ON e.id = p.entry_id "
        "WHERE p.account_id = {} AND ({}::timestamptz IS NULL OR e.effective_at <= {}::timestamptz)",
        account_id, as_of, as_of,
    )
    return int(rows[0]["total"])


async def _entry(ctx: TenantContext, entry_id: uuid.UUID) -> EntryView:
    row = await JournalEntry.select().where(
        (JournalEntry.id == entry_id) & (JournalEntry.tenant_id == ctx.tenant_id)
    ).first()
    if row is None:
        raise NotFound("ledger entry not found")  # same answer for another store's entry
    postings = await _postings(ctx, [row["id"]])
    return _view(row, postings.get(row["id"], []))


async def _postings(ctx: TenantContext, entry_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PostingView]]:
    if not entry_ids:
        return {}
    rows = await LedgerPosting.raw(
        "SELECT p.entry_id, a.code, p.amount_fen FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id "
        "WHERE p.tenant_id = {} AND p.entry_id = ANY({}) ORDER BY a.code",
        ctx.tenant_id, entry_ids,
    )
    out: dict[uuid.UUID, list[PostingView]] = {}
    for r in rows:
        out.setdefault(r["entry_id"], []).append(PostingView(r["code"], int(r["amount_fen"])))
    return out


def _view(row: dict[str, Any], postings: list[PostingView]) -> EntryView:
    return EntryView(id=row["id"], idempotency_key=row["idempotency_key"], description=row["description"],
                     effective_at=row["effective_at"], recorded_at=row["recorded_at"],
                     reverses_entry_id=row["reverses_entry_id"], created_by=row["created_by"], postings=postings)


async def balance(ctx: TenantContext, account_code: str, as_of: datetime | None = None) -> int:
    """The account's balance on its normal side, counting entries effective at or before ``as_of``."""
    definition(account_code)
    _check_time(as_of, "as_of")
    async with tenant_scope(ctx):
        account = await LedgerAccount.select(
            LedgerAccount.id, LedgerAccount.kind, LedgerAccount.balance_signed
        ).where((LedgerAccount.tenant_id == ctx.tenant_id) & (LedgerAccount.code == account_code)).first()
        if account is None:
            raise NotFound("ledger account not found", account_code=account_code)
        if as_of is None:
            return normal_balance(account["kind"], int(account["balance_signed"]))
        return normal_balance(account["kind"], await _signed_sum(account["id"], as_of))


async def balances(ctx: TenantContext, as_of: datetime | None = None) -> list[AccountBalance]:
    """Every account of the store with its balance as of ``as_of`` (default: now), by code."""
    _check_time(as_of, "as_of")
    async with tenant_scope(ctx):
        if as_of is None:  # the running balances
            rows = await LedgerAccount.raw(
                "SELECT code, kind, may_go_negative, balance_signed AS signed FROM ledger_account "
                "WHERE tenant_id = {} ORDER BY code", ctx.tenant_id)
        else:
            rows = await _balances_as_of(ctx, as_of)
    return [AccountBalance(code=r["code"], kind=r["kind"], may_go_negative=r["may_go_negative"],
                           balance_fen=normal_balance(r["kind"], int(r["signed"])), signed_fen=int(r["signed"]))
            for r in rows]


async def _balances_as_of(ctx: TenantContext, as_of: datetime) -> Any:
    return await LedgerAccount.raw(
        "SELECT a.code, a.kind, a.may_go_negative, COALESCE(SUM(p.amount_fen) FILTER "
        "(WHERE e.effective_at <= {}::timestamptz), 0)::bigint AS signed "
        "FROM ledger_account a LEFT JOIN ledger_posting p ON p.account_id = a.id "
        "LEFT JOIN journal_entry e ON e.id = p.entry_id "
        "WHERE a.tenant_id = {} GROUP BY a.id, a.code, a.kind, a.may_go_negative ORDER BY a.code",
        as_of, ctx.tenant_id,
    )


async def get_entry(ctx: TenantContext, entry_id: uuid.UUID) -> EntryView:
    async with tenant_scope(ctx):
        return await _entry(ctx, entry_id)


async def entries(
    ctx: TenantContext,
    *,
    account_code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[EntryView], int]:
    """The store's entries, newest effective first, optionally touching one account and/or in
    ``[since, until)`` of effective time; with the total count."""
    _check_time(since, "since")
    _check_time(until, "until")
    if account_code is not None:
        definition(account_code)
    where = (
        "e.tenant_id = {} AND ({}::timestamptz IS NULL OR e.effective_at >= {}::timestamptz) "
        "AND ({}::timestamptz IS NULL OR e.effective_at < {}::timestamptz) "
        "AND ({}::text IS NULL OR EXISTS (SELECT 1 FROM ledger_posting p JOIN ledger_account a "
        "ON a.id = p.account_id WHERE p.entry_id = e.id AND a.code = {}::text))"
    )
    args = [ctx.tenant_id, since, since, until, until, account_code, account_code]
    async with tenant_scope(ctx):
        total_rows = await JournalEntry.raw(f"SELECT COUNT(*) AS n FROM journal_entry e WHERE {where}", *args)
        rows = await JournalEntry.raw(
            f"SELECT e.* FROM journal_entry e WHERE {where} "
            "ORDER BY e.effective_at DESC, e.recorded_at DESC, e.id LIMIT {} OFFSET {}",
            *args, limit, offset,
        )
        postings = await _postings(ctx, [r["id"] for r in rows])
    return [_view(r, postings.get(r["id"], [])) for r in rows], int(total_rows[0]["n"])


# --- reports (operators) -------------------------------------------------------------------------

BUCKETS = ("day", "week", "month")


@dataclass(frozen=True, slots=True)
class Movement:
    """Debits and credits of one account of one store over one period (store-local dates)."""

    tenant_id: uuid.UUID
    tenant_name: str
    period_start: date
    account_code: str
    debit_fen: int
    credit_fen: int  # positive: the sum of credits' absolute values


async def ops_movements(
    ctx: PlatformContext,
    *,
    codes: Sequence[str],
    since: date,
    until: date,
    bucket: str = "day",
    tenant_id: uuid.UUID | None = None,
) -> list[Movement]:
    """Every store's (or one store's) debits and credits on ``codes`` per period, for entries
    effective on store-local dates ``since``..``until`` (inclusive); periods start on the day,
    the ISO week's Monday or the month's first day."""
    if bucket not in BUCKETS:
        raise ValidationFailed("bucket must be day, week or month", field="bucket")
    if not isinstance(since, date) or not isinstance(until, date) or since > until:
        raise ValidationFailed("a date range from since to until", field="since")
    for code in codes:
        definition(code)
    async with platform_scope("ledger: operators' report of movements", ctx):
        rows = await LedgerPosting.raw(
            "SELECT e.tenant_id, t.name AS tenant_name, "
            "date_trunc({}, (e.effective_at AT TIME ZONE t.time_zone))::date AS period, a.code, "
            "COALESCE(SUM(p.amount_fen) FILTER (WHERE p.amount_fen > 0), 0) AS debit, "
            "COALESCE(-SUM(p.amount_fen) FILTER (WHERE p.amount_fen < 0), 0) AS credit "
            "FROM ledger_posting p JOIN journal_entry e ON e.tenant_id = p.tenant_id AND e.id = p.entry_id "
            "JOIN ledger_account a ON a.tenant_id = p.tenant_id AND a.id = p.account_id "
            "JOIN tenant t ON t.id = e.tenant_id "
            "WHERE a.code = ANY({}) AND (e.effective_at AT TIME ZONE t.time_zone)::date BETWEEN {} AND {} "
            "AND ({}::uuid IS NULL OR e.tenant_id = {}::uuid) "
            "GROUP BY e.tenant_id, t.name, period, a.code ORDER BY period, t.name, a.code",
            bucket, list(codes), since, until, tenant_id, tenant_id)
    return [Movement(r["tenant_id"], r["tenant_name"], r["period"], r["code"], int(r["debit"]), int(r["credit"]))
            for r in rows]
