"""A running balance per account: kept by a trigger on ledger_posting, read by the deferred
non-negative check instead of summing the account's whole history at every COMMIT.

Only the trigger may change it: ``ledger_account`` becomes append-only for the application (its
role keeps SELECT and INSERT; ``db/roles.py`` grants by the ``_append_only`` trigger), and the
trigger's function runs as the schema owner (SECURITY DEFINER) with a flag the guard checks.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import raw_sql_migration

ID = "2026-11-22T17:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "running balance per account"

_APPLY = (
    "CREATE OR REPLACE FUNCTION ledger_posting_apply_balance() RETURNS trigger LANGUAGE plpgsql "
    "SECURITY DEFINER SET search_path = public SET app.tenant_id = '' SET pawpay.ledger_apply = 'on' AS $$ "
    "BEGIN "
    "PERFORM set_config('app.tenant_id', NEW.tenant_id::text, true); "
    "UPDATE ledger_account SET balance_signed = balance_signed + NEW.amount_fen "
    "WHERE id = NEW.account_id AND tenant_id = NEW.tenant_id; "
    "IF NOT FOUND THEN RAISE EXCEPTION 'ledger account % not found for posting', NEW.account_id "
    "USING ERRCODE = 'foreign_key_violation'; END IF; "
    "RETURN NULL; END $$"
)
_GUARD = (
    "CREATE OR REPLACE FUNCTION ledger_account_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'UPDATE' AND current_setting('pawpay.ledger_apply', true) = 'on' "
    "AND (NEW.id, NEW.tenant_id, NEW.code, NEW.kind, NEW.may_go_negative, NEW.created_at) IS NOT DISTINCT FROM "
    "(OLD.id, OLD.tenant_id, OLD.code, OLD.kind, OLD.may_go_negative, OLD.created_at) THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION 'table % is append-only (its balance is kept by its postings)', TG_TABLE_NAME "
    "USING ERRCODE = 'insufficient_privilege'; "
    "END $$"
)
_CHECK_ACCOUNT = (
    "CREATE OR REPLACE FUNCTION ledger_check_account_not_negative() RETURNS trigger LANGUAGE plpgsql "
    "SET app.tenant_id = '' AS $$ "
    "DECLARE acct record; total numeric; "
    "BEGIN "
    "PERFORM set_config('app.tenant_id', NEW.tenant_id::text, true); "
    "SELECT kind, may_go_negative, code, balance_signed INTO acct FROM ledger_account WHERE id = NEW.account_id; "
    "IF acct.may_go_negative THEN RETURN NULL; END IF; "
    "total := acct.balance_signed; "
    "IF acct.kind NOT IN ('asset', 'expense') THEN total := -total; END IF; "
    "IF total < 0 THEN RAISE EXCEPTION 'ledger account % may not go negative (balance % fen)', acct.code, total "
    "USING ERRCODE = 'check_violation'; END IF; "
    "RETURN NULL; END $$"
)
_OLD_CHECK_ACCOUNT = (
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
    # Backfill in platform scope (RLS is forced, even for the owner), before the guard exists.
    "SELECT set_config('app.platform_scope', 'on', true)",
    "UPDATE ledger_account AS a SET balance_signed = "
    "COALESCE((SELECT SUM(p.amount_fen) FROM ledger_posting AS p WHERE p.account_id = a.id), 0)",
    "SELECT set_config('app.platform_scope', '', true)",
    _APPLY,
    "CREATE TRIGGER ledger_posting_apply_balance AFTER INSERT ON ledger_posting "
    "FOR EACH ROW EXECUTE FUNCTION ledger_posting_apply_balance()",
    _GUARD,
    "CREATE TRIGGER ledger_account_append_only BEFORE UPDATE OR DELETE ON ledger_account "
    "FOR EACH ROW EXECUTE FUNCTION ledger_account_guard()",
    "CREATE TRIGGER ledger_account_no_truncate BEFORE TRUNCATE ON ledger_account "
    "FOR EACH STATEMENT EXECUTE FUNCTION pawpay_refuse_change()",
    _CHECK_ACCOUNT,
]

BACKWARDS = [
    _OLD_CHECK_ACCOUNT,
    "DROP TRIGGER IF EXISTS ledger_account_no_truncate ON ledger_account",
    "DROP TRIGGER IF EXISTS ledger_account_append_only ON ledger_account",
    "DROP FUNCTION IF EXISTS ledger_account_guard()",
    "DROP TRIGGER IF EXISTS ledger_posting_apply_balance ON ledger_posting",
    "DROP FUNCTION IF EXISTS ledger_posting_apply_balance()",
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "ledger", DESCRIPTION, FORWARDS, BACKWARDS)
