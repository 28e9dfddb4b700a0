"""The database's own checks on the merchant profile's states and the reminders."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import raw_sql_migration

ID = "2026-11-22T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "profile state and reminder checks"

FORWARDS = [
    "ALTER TABLE merchant_profile ADD CONSTRAINT merchant_profile_ck_sub_merchant "
    "CHECK (sub_merchant_status IN ('not_started', 'pending', 'approved', 'rejected'))",
    "ALTER TABLE merchant_profile ADD CONSTRAINT merchant_profile_ck_agreement "
    "CHECK (agreement_status IN ('unsigned', 'pending', 'signed'))",
    "ALTER TABLE merchant_profile ADD CONSTRAINT merchant_profile_ck_go_live "
    "CHECK (go_live_status IN ('none', 'requested', 'approved'))",
    "ALTER TABLE merchant_reminder ADD CONSTRAINT merchant_reminder_ck_kind CHECK (kind IN ('licence', 'certificate'))",
    "ALTER TABLE merchant_reminder ADD CONSTRAINT merchant_reminder_ck_days CHECK (days_before IN (30, 7, 1))",
]
BACKWARDS = [
    "ALTER TABLE merchant_reminder DROP CONSTRAINT IF EXISTS merchant_reminder_ck_days",
    "ALTER TABLE merchant_reminder DROP CONSTRAINT IF EXISTS merchant_reminder_ck_kind",
    "ALTER TABLE merchant_profile DROP CONSTRAINT IF EXISTS merchant_profile_ck_go_live",
    "ALTER TABLE merchant_profile DROP CONSTRAINT IF EXISTS merchant_profile_ck_agreement",
    "ALTER TABLE merchant_profile DROP CONSTRAINT IF EXISTS merchant_profile_ck_sub_merchant",
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "merchants", DESCRIPTION, FORWARDS, BACKWARDS)
