from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.merchants.tables import MerchantProfile, MerchantReminder, MerchantTerms

APP_CONFIG = AppConfig(
    app_name="merchants",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[MerchantTerms, MerchantProfile, MerchantReminder],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
