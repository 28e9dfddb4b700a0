from pathlib import Path

from piccolo.conf.apps import AppConfig

from pawpay.tenants.dunning.tables import (
    DunningAction,
    DunningCase,
    DunningContact,
    DunningEnding,
    DunningForbiddenPhrase,
    DunningLadderStep,
    DunningPause,
    DunningPenalty,
    DunningStepRun,
    DunningTask,
    DunningTemplate,
)

APP_CONFIG = AppConfig(
    app_name="dunning",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[DunningLadderStep, DunningTemplate, DunningForbiddenPhrase, DunningCase, DunningStepRun,
                   DunningContact, DunningTask, DunningAction, DunningPause, DunningEnding,
                   DunningPenalty],
    migration_dependencies=["pawpay.platform.tenancy.piccolo_app", "pawpay.tenants.contracts.piccolo_app"],
    commands=[],
)
