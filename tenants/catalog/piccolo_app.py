from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.tenants.catalog.tables import CatalogService, CatalogSku

APP_CONFIG = AppConfig(
    app_name="catalog",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[CatalogSku, CatalogService],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
