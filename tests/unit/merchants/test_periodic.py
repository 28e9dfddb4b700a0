"""The daily expiry-reminder job is contributed as due work and its actor is declared on the broker."""

from __future__ import annotations

from datetime import timedelta

from dramatiq.brokers.stub import StubBroker

from pawpay.platform.hooks._manager import get_plugin_manager
from pawpay.platform.jobs.broker import declare_actors
from pawpay.platform.merchants.periodic import MERCHANT_EXPIRY_REMINDERS, MERCHANT_EXPIRY_REMINDERS_JOB


def test_the_reminder_job_runs_daily_and_is_contributed() -> None:
    assert MERCHANT_EXPIRY_REMINDERS_JOB.interval == timedelta(days=1)
    names = [getattr(work, "name", "") for work in get_plugin_manager().due_work()]
    assert f"periodic:{MERCHANT_EXPIRY_REMINDERS}" in names
    assert "pawpay.platform.merchants.actors" in get_plugin_manager().actor_modules()


def test_the_reminder_actor_is_declared() -> None:
    from pawpay.platform.merchants import actors

    broker = StubBroker()
    declare_actors(broker, ["pawpay.platform.merchants.actors"])
    assert broker.get_actor(MERCHANT_EXPIRY_REMINDERS) is actors.merchant_expiry_reminders
    assert actors.merchant_expiry_reminders.queue_name == "platform"
