from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.tenants.fulfilment.tables import FulfilmentShipment, FulfilmentTrackingEvent

APP_CONFIG = AppConfig(
    app_name="fulfilment",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[FulfilmentShipment, FulfilmentTrackingEvent],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.tenants.contracts.piccolo_app"],
    commands=[],
)
