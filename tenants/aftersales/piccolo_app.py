from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.tenants.aftersales.tables import (
    AftersalesClinicCoupon,
    AftersalesTicket,
    AftersalesTicketEvent,
    AftersalesTicketPhoto,
)

APP_CONFIG = AppConfig(
    app_name="aftersales",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[AftersalesTicket, AftersalesTicketEvent, AftersalesTicketPhoto, AftersalesClinicCoupon],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.tenants.contracts.piccolo_app"],
    commands=[],
)
