from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.tenants.signing.tables import RiskDecision, Signing, SigningOtp, SigningSession

APP_CONFIG = AppConfig(
    app_name="signing",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[SigningOtp, SigningSession, Signing, RiskDecision],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.tenants.contracts.piccolo_app"],
    commands=[],
)
