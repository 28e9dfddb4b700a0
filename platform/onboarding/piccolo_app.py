from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.onboarding.tables import ApplicationCheck, ApplicationDocument, ApplicationEvent, StoreApplication

APP_CONFIG = AppConfig(
    app_name="onboarding",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[StoreApplication, ApplicationDocument, ApplicationCheck, ApplicationEvent],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
