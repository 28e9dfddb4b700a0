from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.platform.business_calendar.tables import BusinessCalendarYear, BusinessDayOverride

APP_CONFIG = AppConfig(
    app_name="business_calendar",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[BusinessDayOverride, BusinessCalendarYear],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app"],
    commands=[],
)
