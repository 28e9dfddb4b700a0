"""The ledger against the real database: balanced entries only (service AND database at COMMIT),
append-only, idempotent, reversible, balances as of a time, one store never reaches another's."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from pawpay.platform.audit.services import list_entries
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.identity.roles import FINANCE, FRONT_DESK
from pawpay.platform.ledger import services as ledger
from pawpay.platform.ledger.errors import AlreadyReversed, IdempotencyMismatch, InsufficientBalance
from pawpay.platform.ledger.tables import JournalEntry
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.testing.plugin import create_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

ACCOUNTS = ["store_funds_held", "store_funds_released", "platform_fee", "refunds", "contract_sales",
            "customer_receivable:C1"]


async def _store_ctx() -> tuple[Any, TenantContext]:
    """A store of its own (entries commit, so the deferred checks run) with the usual accounts."""
    store = await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, actor_label="test")
    await ledger.ensure_accounts(ctx, ACCOUNTS)
    return store, ctx


async def _contract(ctx: TenantContext, amount: int, key: str = "sign-C1") -> Any:
    return await ledger.post_entry(ctx, idempotency_key=key, description="contract signed",
                                   postings=[("customer_receivable:C1", amount), ("contract_sales", -amount)])


async def _debit(ctx: TenantContext, amount: int, key: str, **kw: Any) -> Any:
    return await ledger.post_entry(ctx, idempotency_key=key, description="debit collected",
                                   postings=[("store_funds_held", amount), ("customer_receivable:C1", -amount)], **kw)


async def test_a_balanced_entry_posts_and_moves_balances() -> None:
    _, ctx = await _store_ctx()
    await _contract(ctx, 100_000)
    entry = await _debit(ctx, 29_800, "debit-1")
    assert sorted((p.account_code, p.amount_fen) for p in entry.postings) == [
        ("customer_receivable:C1", -29_800), ("store_funds_held", 29_800)]
    assert await ledger.balance(ctx, "store_funds_held") == 29_800
    assert await ledger.balance(ctx, "customer_receivable:C1") == 70_200
    assert await ledger.balance(ctx, "contract_sales") == 100_000  # credit-normal, reported positive
    by_code = {b.code: b for b in await ledger.balances(ctx)}
    assert sum(b.signed_fen for b in by_code.values()) == 0
    assert by_code["store_funds_released"].balance_fen == 0
    listed, total = await ledger.entries(ctx, account_code="store_funds_held")
    assert total == 1
    assert listed[0].id == entry.id


async def test_every_entry_is_audited_with_its_postings() -> None:
    _, ctx = await _store_ctx()
    entry = await _contract(ctx, 5_000)
    audit, _ = await list_entries(ctx)
    posted = [a for a in audit if a.action == "ledger.entry_posted" and a.target_id == str(entry.id)]
    assert len(posted) == 1
    assert posted[0].after is not None
    assert {"account_code": "contract_sales", "amount_fen": -5_000} in posted[0].after["postings"]


async def test_the_service_refuses_unbalanced_and_non_integer_entries() -> None:
    _, ctx = await _store_ctx()
    with pytest.raises(ValidationFailed, match="do not balance"):
        await ledger.post_entry(ctx, idempotency_key="bad", description="x",
                                postings=[("store_funds_held", 100), ("contract_sales", -99)])
    with pytest.raises(ValidationFailed, match="integer fen"):
        await ledger.post_entry(ctx, idempotency_key="bad", description="x",
                                postings=[("store_funds_held", 100.0), ("contract_sales", -100)])
    _, total = await ledger.entries(ctx)
    assert total == 0


async def test_unknown_account_and_missing_account_are_refused() -> None:
    _, ctx = await _store_ctx()
    with pytest.raises(ValidationFailed):
        await ledger.post_entry(ctx, idempotency_key="k", description="x",
                                postings=[("petty_cash", 100), ("contract_sales", -100)])
    with pytest.raises(NotFound):  # a valid code the store has not opened yet
        await ledger.post_entry(ctx, idempotency_key="k", description="x",
                                postings=[("deposit_held", 100), ("store_funds_held", -100)])


async def _raw_entry(tx_ctx: TenantContext, amounts: list[int]) -> uuid.UUID:
    """Bypass the service: insert an entry and its postings with plain SQL as the app role."""
    entry_id = uuid.uuid4()
    await JournalEntry.raw(
        "INSERT INTO journal_entry (id, tenant_id, idempotency_key, description, effective_at, recorded_at, "
        "created_by) VALUES ({}, {}, {}, 'raw', now(), now(), 'test')",
        entry_id, tx_ctx.tenant_id, f"raw-{entry_id}",
    )
    for index, amount in enumerate(amounts):
        code = "store_funds_held" if index % 2 == 0 else "contract_sales"
        await JournalEntry.raw(
            "INSERT INTO ledger_posting (id, tenant_id, entry_id, account_id, amount_fen, currency) "
            "SELECT {}, {}, {}, a.id, {}, 'CNY' FROM ledger_account a WHERE a.tenant_id = {} AND a.code = {}",
            uuid.uuid4(), tx_ctx.tenant_id, entry_id, amount, tx_ctx.tenant_id, code,
        )
    return entry_id


async def _commit_raw_entry(ctx: TenantContext, amounts: list[int]) -> None:
    async with tenant_scope(ctx):
        entry_id = await _raw_entry(ctx, amounts)
        # Inside the transaction the rows are accepted: the check is deferred to COMMIT.
        assert await JournalEntry.exists().where(JournalEntry.id == entry_id)


@pytest.mark.parametrize(("amounts", "message"), [
    ([100, -99], "unbalanced"),
    ([100], "unbalanced"),
    ([], "at least 2"),
])
async def test_the_database_refuses_a_bad_entry_at_commit(amounts: list[int], message: str) -> None:
    _, ctx = await _store_ctx()
    with pytest.raises(Exception, match=message):
        await _commit_raw_entry(ctx, amounts)
    # ... and at COMMIT the whole transaction is refused.
    _, total = await ledger.entries(ctx)
    assert total == 0


async def test_the_database_accepts_a_balanced_raw_entry_and_refuses_a_negative_account() -> None:
    _, ctx = await _store_ctx()
    await _commit_raw_entry(ctx, [100, -100])  # contract_sales is credited (its normal side): fine
    assert await ledger.balance(ctx, "store_funds_held") == 100
    with pytest.raises(Exception, match="may not go negative"):
        await _commit_raw_entry(ctx, [-500, 500])  # debiting contract_sales below zero
    assert await ledger.balance(ctx, "store_funds_held") == 100


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_posting SET amount_fen = amount_fen * 2 WHERE tenant_id = $1",
    "DELETE FROM ledger_posting WHERE tenant_id = $1",
    "UPDATE journal_entry SET description = 'edited' WHERE tenant_id = $1",
    "DELETE FROM journal_entry WHERE tenant_id = $1",
])
async def test_entries_and_postings_are_append_only(statement: str, owner: Any) -> None:
    _, ctx = await _store_ctx()
    await _contract(ctx, 1_000)
    # The app role holds SELECT and INSERT only on these tables ...
    with pytest.raises(Exception, match="permission denied"):
        async with tenant_scope(ctx):
            await JournalEntry.raw(statement.replace("$1", "{}"), ctx.tenant_id)
    # ... and even the schema owner meets the append-only trigger.
    with pytest.raises(Exception, match="append-only"):
        await owner.execute(statement, ctx.tenant_id)
    assert await ledger.balance(ctx, "contract_sales") == 1_000


async def test_the_same_key_twice_records_one_entry() -> None:
    _, ctx = await _store_ctx()
    first = await _contract(ctx, 1_000)
    again = await ledger.post_entry(ctx, idempotency_key="sign-C1", description="another description",
                                    postings=[("contract_sales", -600), ("customer_receivable:C1", 1_000),
                                              ("contract_sales", -400)])
    assert again.id == first.id
    _, total = await ledger.entries(ctx)
    assert total == 1
    assert await ledger.balance(ctx, "customer_receivable:C1") == 1_000


async def test_the_same_key_with_other_postings_is_a_conflict() -> None:
    _, ctx = await _store_ctx()
    await _contract(ctx, 1_000)
    with pytest.raises(IdempotencyMismatch) as caught:
        await _contract(ctx, 2_000)
    assert caught.value.http_status == 409
    assert str(caught.value.code) == "LEDGER_IDEMPOTENCY_MISMATCH"
    assert await ledger.balance(ctx, "customer_receivable:C1") == 1_000


async def test_an_account_that_may_not_go_negative_does_not() -> None:
    _, ctx = await _store_ctx()
    await _contract(ctx, 1_000)
    await _debit(ctx, 1_000, "debit-1")
    with pytest.raises(InsufficientBalance):
        await ledger.post_entry(ctx, idempotency_key="refund-1", description="refund",
                                postings=[("refunds", 1_001), ("store_funds_held", -1_001)])
    assert await ledger.balance(ctx, "store_funds_held") == 1_000


async def test_a_reversal_restores_balances_once() -> None:
    _, ctx = await _store_ctx()
    await _contract(ctx, 1_000)
    debit = await _debit(ctx, 400, "debit-1")
    reversal = await ledger.reverse_entry(ctx, debit.id, idempotency_key="undo-debit-1", reason="bank returned it")
    assert reversal.reverses_entry_id == debit.id
    assert await ledger.balance(ctx, "store_funds_held") == 0
    assert await ledger.balance(ctx, "customer_receivable:C1") == 1_000
    again = await ledger.reverse_entry(ctx, debit.id, idempotency_key="undo-debit-1", reason="retry")
    assert again.id == reversal.id
    with pytest.raises(AlreadyReversed):
        await ledger.reverse_entry(ctx, debit.id, idempotency_key="undo-debit-1-again", reason="twice")
    _, total = await ledger.entries(ctx)
    assert total == 3


async def test_a_reversal_may_not_take_an_account_below_zero() -> None:
    _, ctx = await _store_ctx()
    await _contract(ctx, 1_000)
    debit = await _debit(ctx, 1_000, "debit-1")
    await ledger.post_entry(ctx, idempotency_key="release-1", description="release",
                            postings=[("store_funds_released", 1_000), ("store_funds_held", -1_000)])
    with pytest.raises(InsufficientBalance):
        await ledger.reverse_entry(ctx, debit.id, idempotency_key="undo", reason="too late")


async def test_balances_as_of_a_past_time() -> None:
    _, ctx = await _store_ctx()
    now = utcnow()
    await _contract(ctx, 10_000)
    await _debit(ctx, 1_000, "debit-1", effective_at=now - timedelta(days=10))
    await _debit(ctx, 2_000, "debit-2", effective_at=now - timedelta(days=5))
    assert await ledger.balance(ctx, "store_funds_held", as_of=now - timedelta(days=20)) == 0
    assert await ledger.balance(ctx, "store_funds_held", as_of=now - timedelta(days=7)) == 1_000
    assert await ledger.balance(ctx, "store_funds_held") == 3_000
    past = {b.code: b.balance_fen for b in await ledger.balances(ctx, as_of=now - timedelta(days=7))}
    assert past["store_funds_held"] == 1_000
    window, total = await ledger.entries(ctx, since=now - timedelta(days=6), until=now - timedelta(days=1))
    assert total == 1
    assert window[0].idempotency_key == "debit-2"


async def test_another_store_cannot_see_or_post_to_the_accounts() -> None:
    _, a = await _store_ctx()
    store_b = await create_store()
    b = TenantContext(tenant_id=store_b.tenant_id, actor_label="test")
    entry = await _contract(a, 1_000)
    with pytest.raises(NotFound):
        await ledger.get_entry(b, entry.id)
    with pytest.raises(NotFound):
        await ledger.reverse_entry(b, entry.id, idempotency_key="steal", reason="x")
    with pytest.raises(NotFound):
        await ledger.balance(b, "customer_receivable:C1")
    assert await ledger.balances(b) == []
    assert await ledger.entries(b) == ([], 0)
    # Even raw SQL from B's scope cannot attach a posting to A's entry or account.
    a_account = await _account_id(a, "store_funds_held")
    with pytest.raises(Exception):  # noqa: B017, PT011 - RLS / composite foreign key
        async with tenant_scope(b):
            await JournalEntry.raw(
                "INSERT INTO ledger_posting (id, tenant_id, entry_id, account_id, amount_fen, currency) "
                "VALUES ({}, {}, {}, {}, 100, 'CNY')", uuid.uuid4(), b.tenant_id, entry.id, a_account,
            )
    assert await ledger.balance(a, "store_funds_held") == 0


async def _account_id(ctx: TenantContext, code: str) -> uuid.UUID:
    async with tenant_scope(ctx):
        rows = await JournalEntry.raw("SELECT id FROM ledger_account WHERE code = {}", code)
    return uuid.UUID(str(rows[0]["id"]))


async def test_the_api_lists_balances_and_entries_for_managers_and_finance(signed_in: Any, make_staff: Any) -> None:
    store, ctx = await _store_ctx()
    await _contract(ctx, 1_000)
    _, finance = await make_staff(store, [FINANCE])
    _, front_desk = await make_staff(store, [FRONT_DESK])
    for email in (store.manager_email, finance):
        async with signed_in(email) as client:
            accounts = (await client.get("/api/v1/ledger/accounts")).json()
            assert {"code": "contract_sales", "kind": "income", "may_go_negative": False,
                    "balance_fen": 1_000, "signed_fen": -1_000} in accounts
            page = (await client.get("/api/v1/ledger/entries", params={"account": "contract_sales"})).json()
            assert page["total"] == 1
            assert page["items"][0]["idempotency_key"] == "sign-C1"
    async with signed_in(front_desk) as client:
        assert (await client.get("/api/v1/ledger/accounts")).status_code == 403
    other = await create_store()
    async with signed_in(other.manager_email) as client:
        assert (await client.get("/api/v1/ledger/accounts")).json() == []
        assert (await client.get("/api/v1/ledger/entries")).json()["total"] == 0
