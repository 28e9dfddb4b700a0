from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.alerts.tables import OperatorAlert

APP_CONFIG = AppConfig(
    app_name="alerts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[OperatorAlert],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
