from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.jobs.tables import ScheduledJob, TenantClock

APP_CONFIG = AppConfig(
    app_name="jobs",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[TenantClock, ScheduledJob],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
