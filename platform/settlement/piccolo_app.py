from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.settlement.tables import (
    SettlementBatch,
    SettlementItem,
    SettlementLine,
    SettlementRefund,
    SettlementSchedule,
)

APP_CONFIG = AppConfig(
    app_name="settlement",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[SettlementItem, SettlementRefund, SettlementBatch, SettlementLine, SettlementSchedule],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.platform.ledger.piccolo_app"],
    commands=[],
)
