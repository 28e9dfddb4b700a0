"""The module ``pawpay worker`` hands to dramatiq's CLI: importing it configures the broker.

Each worker process imports this, which builds the broker from ``PAWPAY_BROKER_URL`` with
dramatiq's ``AsyncIO`` loop thread and a database pool started inside that loop, then imports
every plugin's actor modules. dramatiq then takes the global broker.
"""

from __future__ import annotations

from pawpay.platform.db.engine import get_engine
from pawpay.platform.jobs.broker import configure_broker
from pawpay.platform.observability.logging import configure_logging
from pawpay.platform.settings import get_settings

_settings = get_settings()
configure_logging(_settings.log_level, _settings.log_format)
# Build the engine now, on the main thread: a missing PAWPAY_DATABASE_URL fails the boot, not a job.
get_engine()
broker = configure_broker(_settings, shared_loop=False)
