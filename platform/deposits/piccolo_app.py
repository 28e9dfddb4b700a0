from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.deposits.tables import DepositAccount, DepositEvent

APP_CONFIG = AppConfig(
    app_name="deposits",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[DepositAccount, DepositEvent],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.platform.ledger.piccolo_app"],
    commands=[],
)
