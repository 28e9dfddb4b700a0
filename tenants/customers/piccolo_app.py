from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.tenants.customers.tables import Customer, CustomerMessage, Pet

APP_CONFIG = AppConfig(
    app_name="customers",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Customer, Pet, CustomerMessage],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
