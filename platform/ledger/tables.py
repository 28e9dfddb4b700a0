"""The ledger's tables: accounts, journal entries and their postings. Tenant tables.

Postings are signed integer fen: a debit is positive, a credit negative, and an entry's postings
sum to zero. The database itself refuses an unbalanced entry at COMMIT and any UPDATE or DELETE
of an entry or posting (see the ``ledger`` raw migration).
"""

from __future__ import annotations

from piccolo.columns import BigInt, Boolean, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class LedgerAccount(Table):
    """One account of one store's books, e.g. ``store_funds_held`` or ``customer_receivable:<contract>``."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    code = Varchar(length=128)
    kind = Varchar(length=16)  # asset | liability | income | expense | equity
    may_go_negative = Boolean(default=False)
    created_at = Timestamptz()
    # Debits minus credits of all its postings, kept by a trigger on ledger_posting (never written
    # by the application: its role may not UPDATE this table).
    balance_signed = BigInt(default=0)

    ledger_account_uq_tenant_code = Unique([tenant_id, code])


class JournalEntry(Table):
    """One balanced movement of money; never edited, only reversed by another entry."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    idempotency_key = Varchar(length=255)
    description = Text(default="")
    effective_at = Timestamptz()
    recorded_at = Timestamptz()
    reverses_entry_id = UUID(null=True, default=None)
    created_by = Varchar(length=255, default="")

    journal_entry_uq_tenant_key = Unique([tenant_id, idempotency_key])
    # Target of the postings' (tenant_id, entry_id) foreign key: a posting belongs to its entry's store.
    journal_entry_uq_tenant_id = Unique([tenant_id, id])


class LedgerPosting(Table):
    """One line of an entry: ``amount_fen`` > 0 debits the account, < 0 credits it."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    entry_id = UUID(default=None, null=False, index=True)
    account_id = UUID(default=None, null=False, index=True)
    amount_fen = BigInt()
    currency = Varchar(length=3, default="CNY")
