from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.identity.tables import Account, ApiKey, Invitation, LoginThrottle, WebSession

APP_CONFIG = AppConfig(
    app_name="identity",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Account, WebSession, ApiKey, LoginThrottle, Invitation],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
