"""Broker URLs, the middleware stack, actor (re)binding and the job commands' refusals."""

from __future__ import annotations

import dramatiq
import dramatiq.broker
import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, Retries, TimeLimit

from pawpay.platform.jobs import actors
from pawpay.platform.jobs.broker import (
    BrokerUrl,
    build_broker,
    configure_broker,
    declare_actors,
    middleware_stack,
    parse_broker_url,
)
from pawpay.platform.jobs.middleware import (
    JobMetricsMiddleware,
    PiccoloPoolMiddleware,
    SharedLoopAsyncIO,
    TenantMiddleware,
)
from pawpay.platform.jobs.runner import run_scheduler, run_worker, worker_command, worker_environment
from pawpay.platform.settings import SettingsError, load_settings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _restore_global_broker():
    previous = dramatiq.broker.global_broker
    yield
    dramatiq.broker.global_broker = previous


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, BrokerUrl("stub", None)),
        ("redis://127.0.0.1:6379/0", BrokerUrl("redis", "redis://127.0.0.1:6379/0", "pawpay")),
        ("rediss://r:6380/2?namespace=staging", BrokerUrl("redis", "rediss://r:6380/2", "staging")),
        ("redis://r/1?health_check_interval=5&namespace=x",
         BrokerUrl("redis", "redis://r/1?health_check_interval=5", "x")),
        ("amqp://guest:guest@mq:5672/%2F", BrokerUrl("rabbitmq", "amqp://guest:guest@mq:5672/%2F")),
        ("amqps://u:p@mq/pawpay", BrokerUrl("rabbitmq", "amqps://u:p@mq/pawpay")),
    ],
)
def test_broker_urls(url, expected) -> None:
    assert parse_broker_url(url) == expected


def test_an_unknown_scheme_is_refused_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="PAWPAY_BROKER_URL"):
        parse_broker_url("kafka://k:9092")


def test_worker_middleware_starts_the_pool_inside_dramatiqs_loop() -> None:
    stack = [type(m) for m in middleware_stack(shared_loop=False)]
    assert {TimeLimit, Retries, TenantMiddleware, JobMetricsMiddleware} <= set(stack)
    assert stack.index(AsyncIO) < stack.index(PiccoloPoolMiddleware)
    assert SharedLoopAsyncIO not in stack


def test_embedded_middleware_shares_the_running_loop() -> None:
    stack = [type(m) for m in middleware_stack(shared_loop=True)]
    assert SharedLoopAsyncIO in stack
    assert AsyncIO not in stack
    assert PiccoloPoolMiddleware not in stack


def test_build_broker_picks_the_broker_by_scheme() -> None:
    assert isinstance(build_broker(parse_broker_url(None), shared_loop=True), StubBroker)
    redis_broker = build_broker(parse_broker_url("redis://127.0.0.1:1/0?namespace=ns1"), shared_loop=False)
    assert isinstance(redis_broker, RedisBroker)
    assert redis_broker.namespace == "ns1"
    rabbit = build_broker(parse_broker_url("amqp://guest:guest@127.0.0.1:1/%2F"), shared_loop=False)
    assert isinstance(rabbit, RabbitmqBroker)
    assert rabbit.confirm_delivery is True


def test_configure_broker_sets_the_global_broker_before_declaring_actors() -> None:
    broker = configure_broker(load_settings(broker_url=None), actor_modules=["pawpay.platform.jobs.actors"])
    assert dramatiq.get_broker() is broker
    assert broker.get_actor("purge_expired_sessions") is actors.purge_expired_sessions
    assert isinstance(broker.middleware[-1], SharedLoopAsyncIO)  # embedded default


def test_actors_are_rebound_to_a_new_broker_and_can_be_prefixed() -> None:
    modules = ["pawpay.platform.jobs.actors"]
    first, second = StubBroker(), StubBroker()
    declare_actors(first, modules)
    declare_actors(second, modules, queue_prefix="t1_")
    actor = actors.purge_expired_sessions
    assert actor.broker is second
    assert second.get_actor("purge_expired_sessions") is actor
    assert actor.queue_name == "t1_platform"
    assert "platform" not in second.get_declared_queues()  # a prefixed worker never eats real queues
    declare_actors(first, modules)
    assert (actor.broker, actor.queue_name) == (first, "platform")


def test_the_worker_command_keeps_the_working_directory_off_sys_path() -> None:
    command = worker_command(3, 5)
    assert command[1:4] == ["-m", "dramatiq", "pawpay.platform.jobs.worker_entry"]
    assert command[command.index("--processes") + 1] == "3"
    assert command[command.index("--threads") + 1] == "5"
    assert command[-1] == "--path"  # no paths: dramatiq's default "." is not added
    assert worker_environment({})["PYTHONSAFEPATH"] == "1"
    with pytest.raises(SettingsError):
        worker_command(0, 1)


def test_worker_and_scheduler_refuse_to_run_without_a_broker() -> None:
    settings = load_settings(broker_url=None, database_url="postgresql://app@db/pawpay")
    with pytest.raises(SettingsError, match=r"PAWPAY_BROKER_URL.*pawpay dev") as raised:
        run_worker(settings, 1, 1)
    assert "pawpay worker" in str(raised.value)
    with pytest.raises(SettingsError, match="pawpay scheduler"):
        run_scheduler(settings)


def test_worker_refuses_the_embedded_database() -> None:
    settings = load_settings(broker_url="redis://127.0.0.1:6379/0", database_url=None)
    with pytest.raises(SettingsError, match="PAWPAY_DATABASE_URL"):
        run_worker(settings, 1, 1)
