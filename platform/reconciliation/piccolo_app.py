from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.reconciliation.tables import ReconDifference, ReconRun

APP_CONFIG = AppConfig(
    app_name="reconciliation",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[ReconRun, ReconDifference],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.platform.settlement.piccolo_app"],
    commands=[],
)
