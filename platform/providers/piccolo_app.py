from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.providers.tables import TenantProvider

APP_CONFIG = AppConfig(
    app_name="providers",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[TenantProvider],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
