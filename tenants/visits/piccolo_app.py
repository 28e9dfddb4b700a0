from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.tenants.visits.tables import Visit

APP_CONFIG = AppConfig(
    app_name="visits",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Visit],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.tenants.contracts.piccolo_app",
                            "pawpay.tenants.customers.piccolo_app"],
    commands=[],
)
