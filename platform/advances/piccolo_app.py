from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.advances.tables import Advance

APP_CONFIG = AppConfig(
    app_name="advances",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Advance],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.platform.ledger.piccolo_app"],
    commands=[],
)
