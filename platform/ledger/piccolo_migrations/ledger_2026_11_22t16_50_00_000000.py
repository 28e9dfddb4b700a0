"""Row-level security, foreign keys, append-only and the database's own balance checks."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import append_only, drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, append-only, balance checks"

# The deferred checks read an entry's postings. The committing transaction's scope may be
# narrower than the entry's store (a request that entered a tenant scope from an anonymous one
# ends anonymous), so each check looks with the posting's own tenant: the function's SET clause
# restores app.tenant_id when it returns, and all it reveals is pass or fail.
_ASSERT_BALANCED = (
    "CREATE OR REPLACE FUNCTION ledger_assert_entry_balanced(p_entry uuid, p_tenant uuid) RETURNS void "
    "LANGUAGE plpgsql SET app.tenant_id = '' AS $$ "
    "DECLARE total numeric; lines integer; "
    "BEGIN "
    "PERFORM set_config('app.tenant_id', p_tenant::text, true); "
    "SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, lines FROM ledger_posting WHERE entry_id = p_entry; "
    "IF total <> 0 THEN RAISE EXCEPTION 'ledger entry % is unbalanced: postings sum to % fen', p_entry, total "
    "USING ERRCODE = 'check_violation'; END IF; "
    "IF lines < 2 THEN RAISE EXCEPTION 'ledger entry % has % posting(s), at least 2 are needed', p_entry, lines "
    "USING ERRCODE = 'check_violation'; END IF; "
    "END $$"
)
_CHECK_POSTING_ENTRY = (
    "CREATE OR REPLACE FUNCTION ledger_posting_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN PERFORM ledger_assert_entry_balanced(NEW.entry_id, NEW.tenant_id); RETURN NULL; END $$"
)
_CHECK_ENTRY = (
    "CREATE OR REPLACE FUNCTION journal_entry_check_postings() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN PERFORM ledger_assert_entry_balanced(NEW.id, NEW.tenant_id); RETURN NULL; END $$"
)
# Kinds with a debit-side normal balance; the others (liability, income, equity) are credit-side.
_CHECK_ACCOUNT = (
    "CREATE OR REPLACE FUNCTION ledger_check_account_not_negative() RETURNS trigger LANGUAGE plpgsql "
    "SET app.tenant_id = '' AS $$ "
    "DECLARE acct record; total numeric; "
    "BEGIN "
    "PERFORM set_config('app.tenant_id', NEW.tenant_id::text, true); "
    "SELECT kind, may_go_negative, code INTO acct FROM ledger_account WHERE id = NEW.account_id; "
    "IF acct.may_go_negative THEN RETURN NULL; END IF; "
    "SELECT COALESCE(SUM(amount_fen), 0) INTO total FROM ledger_posting WHERE account_id = NEW.account_id; "
    "IF acct.kind NOT IN ('asset', 'expense') THEN total := -total; END IF; "
    "IF total < 0 THEN RAISE EXCEPTION 'ledger account % may not go negative (balance % fen)', acct.code, total "
    "USING ERRCODE = 'check_violation'; END IF; "
    "RETURN NULL; END $$"
)

FORWARDS = [
    *tenant_table_rls("ledger_account"),
    *tenant_table_rls("journal_entry"),
    *tenant_table_rls("ledger_posting"),
    "ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_uq_tenant_id UNIQUE (tenant_id, id)",
    "ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_ck_kind "
    "CHECK (kind IN ('asset', 'liability', 'income', 'expense', 'equity'))",
    "ALTER TABLE journal_entry ADD CONSTRAINT journal_entry_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE journal_entry ADD CONSTRAINT journal_entry_fk_reverses "
    "FOREIGN KEY (tenant_id, reverses_entry_id) REFERENCES journal_entry(tenant_id, id)",
    # An entry is reversed at most once.
    "CREATE UNIQUE INDEX journal_entry_uq_reverses ON journal_entry (reverses_entry_id) "
    "WHERE reverses_entry_id IS NOT NULL",
    "CREATE INDEX journal_entry_ix_tenant_effective ON journal_entry (tenant_id, effective_at)",
    # Composite keys: a posting's entry and account belong to the posting's own store.
    "ALTER TABLE ledger_posting ADD CONSTRAINT ledger_posting_fk_entry "
    "FOREIGN KEY (tenant_id, entry_id) REFERENCES journal_entry(tenant_id, id)",
    "ALTER TABLE ledger_posting ADD CONSTRAINT ledger_posting_fk_account "
    "FOREIGN KEY (tenant_id, account_id) REFERENCES ledger_account(tenant_id, id)",
    "ALTER TABLE ledger_posting ADD CONSTRAINT ledger_posting_ck_amount_nonzero CHECK (amount_fen <> 0)",
    "ALTER TABLE ledger_posting ADD CONSTRAINT ledger_posting_ck_currency CHECK (currency = 'CNY')",
    *append_only("journal_entry"),
    *append_only("ledger_posting"),
    _ASSERT_BALANCED,
    _CHECK_POSTING_ENTRY,
    _CHECK_ENTRY,
    _CHECK_ACCOUNT,
    "CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_posting_check_entry()",
    # An entry without any posting has no posting trigger to catch it.
    "CREATE CONSTRAINT TRIGGER journal_entry_has_postings AFTER INSERT ON journal_entry "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_check_postings()",
    "CREATE CONSTRAINT TRIGGER ledger_posting_account_not_negative AFTER INSERT ON ledger_posting "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_account_not_negative()",
]
BACKWARDS = [
    "DROP TRIGGER IF EXISTS ledger_posting_account_not_negative ON ledger_posting",
    "DROP TRIGGER IF EXISTS journal_entry_has_postings ON journal_entry",
    "DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting",
    "DROP FUNCTION IF EXISTS ledger_check_account_not_negative()",
    "DROP FUNCTION IF EXISTS journal_entry_check_postings()",
    "DROP FUNCTION IF EXISTS ledger_posting_check_entry()",
    "DROP FUNCTION IF EXISTS ledger_assert_entry_balanced(uuid, uuid)",
    "DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting",
    "DROP TRIGGER IF EXISTS ledger_posting_no_truncate ON ledger_posting",
    "DROP TRIGGER IF EXISTS journal_entry_append_only ON journal_entry",
    "DROP TRIGGER IF EXISTS journal_entry_no_truncate ON journal_entry",
    "ALTER TABLE ledger_posting DROP CONSTRAINT IF EXISTS ledger_posting_ck_currency",
    "ALTER TABLE ledger_posting DROP CONSTRAINT IF EXISTS ledger_posting_ck_amount_nonzero",
    "ALTER TABLE ledger_posting DROP CONSTRAINT IF EXISTS ledger_posting_fk_account",
    "ALTER TABLE ledger_posting DROP CONSTRAINT IF EXISTS ledger_posting_fk_entry",
    "DROP INDEX IF EXISTS journal_entry_ix_tenant_effective",
    "DROP INDEX IF EXISTS journal_entry_uq_reverses",
    "ALTER TABLE journal_entry DROP CONSTRAINT IF EXISTS journal_entry_fk_reverses",
    "ALTER TABLE journal_entry DROP CONSTRAINT IF EXISTS journal_entry_fk_tenant",
    "ALTER TABLE ledger_account DROP CONSTRAINT IF EXISTS ledger_account_ck_kind",
    "ALTER TABLE ledger_account DROP CONSTRAINT IF EXISTS ledger_account_uq_tenant_id",
    "ALTER TABLE ledger_account DROP CONSTRAINT IF EXISTS ledger_account_fk_tenant",
    *drop_rls("ledger_posting", ["ledger_posting_tenant_isolation"]),
    *drop_rls("journal_entry", ["journal_entry_tenant_isolation"]),
    *drop_rls("ledger_account", ["ledger_account_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "ledger", DESCRIPTION, FORWARDS, BACKWARDS)
