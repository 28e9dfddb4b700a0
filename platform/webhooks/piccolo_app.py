from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.webhooks.tables import WebhookDelivery, WebhookEvent

APP_CONFIG = AppConfig(
    app_name="webhooks",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[WebhookDelivery, WebhookEvent],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
