from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.tenants.contracts.tables import Contract, ContractEvidence, Installment

APP_CONFIG = AppConfig(
    app_name="contracts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Contract, Installment, ContractEvidence],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.tenants.customers.piccolo_app"],
    commands=[],
)
