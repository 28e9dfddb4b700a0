from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.ledger.tables import JournalEntry, LedgerAccount, LedgerPosting

APP_CONFIG = AppConfig(
    app_name="ledger",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[LedgerAccount, JournalEntry, LedgerPosting],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
