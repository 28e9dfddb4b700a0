from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.tenants.plans.tables import PetPlanOverride, Plan, PlanSettings, PlanStageSwitch, PlanVersion

APP_CONFIG = AppConfig(
    app_name="plans",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Plan, PlanVersion, PlanSettings, PetPlanOverride, PlanStageSwitch],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.tenants.catalog.piccolo_app",
                           "pawpay.tenants.customers.piccolo_app"],
    commands=[],
)
