from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.tenants.billing.tables import BillingSettings, DebitAttempt, DebitReminder, PointsEntry

APP_CONFIG = AppConfig(
    app_name="billing",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[DebitAttempt, DebitReminder, PointsEntry, BillingSettings],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.tenants.contracts.piccolo_app"],
    commands=[],
)
