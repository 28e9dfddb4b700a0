"""The dramatiq broker from ``PAWPAY_BROKER_URL``, its middleware stack, and actor declaration.

* ``redis://host:port/db`` (or ``rediss://``) -> :class:`RedisBroker`. pawpay keeps its keys
  under the namespace ``pawpay``; add ``?namespace=<name>`` to the URL to share one Redis between
  deployments (the parameter is ours and is removed before redis-py sees the URL).
* ``amqp://user:pass@host:port/vhost`` (or ``amqps://``) -> :class:`RabbitmqBroker` with publisher
  confirms; isolate deployments by vhost.
* unset (the embedded mode) -> an in-memory :class:`StubBroker` whose worker runs inside the web
  process. Safe because the database rows, not the queue, hold the work (ARCHITECTURE §5).

dramatiq binds an actor to the global broker when its module is imported, so
:func:`configure_broker` sets the broker first and only then imports the modules contributed
through ``pawpay_actor_modules``.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dramatiq
import dramatiq.broker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, default_middleware

from pawpay.platform.jobs.middleware import (
    JobMetricsMiddleware,
    PiccoloPoolMiddleware,
    SharedLoopAsyncIO,
    TenantMiddleware,
)
from pawpay.platform.settings import SettingsError

if TYPE_CHECKING:
    from types import ModuleType

    from dramatiq.middleware import Middleware

    from pawpay.platform.settings import Settings

BrokerKind = Literal["stub", "redis", "rabbitmq"]

DEFAULT_REDIS_NAMESPACE = "pawpay"


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    """``PAWPAY_BROKER_URL`` taken apart: which broker, the URL its client gets, the namespace."""

    kind: BrokerKind
    url: str | None
    namespace: str = DEFAULT_REDIS_NAMESPACE


def parse_broker_url(url: str | None) -> BrokerUrl:
    """Parse a broker URL (None: the embedded stub broker).

    Raises:
        SettingsError: the scheme is neither redis nor amqp.
    """
    if url is None:
        return BrokerUrl("stub", None)
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        query = parse_qsl(parts.query, keep_blank_values=True)
        namespace = next((v for k, v in query if k == "namespace"), "") or DEFAULT_REDIS_NAMESPACE
        rest = urlencode([(k, v) for k, v in query if k != "namespace"])
        return BrokerUrl("redis", urlunsplit(parts._replace(query=rest)), namespace)
    if parts.scheme in ("amqp", "amqps"):
        return BrokerUrl("rabbitmq", url)
    raise SettingsError(
        f"PAWPAY_BROKER_URL: unsupported scheme {parts.scheme!r}; use redis://host:6379/0 or "
        "amqp://user:password@host:5672/vhost, or leave it unset for the embedded in-process broker."
    )


def broker_url(settings: Settings) -> BrokerUrl:
    raw = settings.broker_url.get_secret_value() if settings.broker_url is not None else None
    return parse_broker_url(raw)


def middleware_stack(*, shared_loop: bool, pool_min: int = 1, pool_max: int = 4) -> list[Middleware]:
    """dramatiq's defaults plus ours; the last part decides where async actors run (module docs
    of :mod:`pawpay.platform.jobs.middleware`)."""
    stack: list[Middleware] = [m() for m in default_middleware]
    stack += [TenantMiddleware(), JobMetricsMiddleware()]
    if shared_loop:
        stack.append(SharedLoopAsyncIO())
    else:
        stack += [AsyncIO(), PiccoloPoolMiddleware(pool_min, pool_max)]
    return stack


def build_broker(
    url: BrokerUrl, *, shared_loop: bool, pool_min: int = 1, pool_max: int = 4
) -> dramatiq.Broker:
    """A new broker for ``url`` with pawpay's middleware; sets nothing global."""
    middleware = middleware_stack(shared_loop=shared_loop, pool_min=pool_min, pool_max=pool_max)
    if url.kind == "redis":
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(  # type: ignore[no-untyped-call]  # dramatiq leaves it unannotated
            url=url.url, namespace=url.namespace, middleware=middleware
        )
    if url.kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Publisher confirms: send() returns only once RabbitMQ has the message, so a scheduler
        # tick never believes it enqueued what was lost.
        return RabbitmqBroker(url=url.url, confirm_delivery=True, middleware=middleware)
    return StubBroker(middleware=middleware)


def configure_broker(
    settings: Settings,
    *,
    shared_loop: bool | None = None,
    queue_prefix: str = "",
    actor_modules: Sequence[str] | None = None,
) -> dramatiq.Broker:
    """Build the process's broker from settings, make it dramatiq's global broker, then import
    and declare every actor module.

    Args:
        settings: ``broker_url`` picks the broker; the pool sizes bound a worker's pool.
        shared_loop: run async actors on a loop someone else runs (see
            :class:`SharedLoopAsyncIO`); defaults to True for the embedded stub broker and False
            otherwise (a worker process with its own loop and pool).
        queue_prefix: prepended to every actor's queue name (tests isolate themselves on a
            shared RabbitMQ with it); empty in production.
        actor_modules: defaults to the modules plugins contribute (``pawpay_actor_modules``).
    """
    url = broker_url(settings)
    if shared_loop is None:
        shared_loop = url.kind == "stub"
    broker = build_broker(
        url, shared_loop=shared_loop, pool_min=settings.database_pool_min, pool_max=settings.database_pool_max
    )
    dramatiq.set_broker(broker)
    declare_actors(broker, actor_modules, queue_prefix=queue_prefix)
    return broker


def shared_loop_middleware(broker: dramatiq.Broker) -> SharedLoopAsyncIO | None:
    return next((m for m in broker.middleware if isinstance(m, SharedLoopAsyncIO)), None)


# Each actor's queue as written in its module, before any prefix was applied.
_declared_queues: dict[str, str] = {}


def declare_actors(
    broker: dramatiq.Broker, modules: Sequence[str] | None = None, *, queue_prefix: str = ""
) -> list[dramatiq.Actor[Any, Any]]:
    """Import the actor modules and make sure each actor they define is declared on ``broker``.

    A module imported for the first time declares its actors on the global broker (set it
    first). A module imported earlier (a test that switches brokers, a second
    ``configure_broker``) still holds actors bound to the old broker: they are re-bound here, so
    that ``actor.send()`` and the worker both use ``broker``.
    """
    if modules is None:
        from pawpay.platform.hooks._manager import get_plugin_manager

        modules = get_plugin_manager().actor_modules()
    if queue_prefix:
        # A first import would declare the unprefixed queues on ``broker`` (and its worker would
        # consume them): import under a throwaway broker, then re-bind with the prefix below.
        with _global_broker(StubBroker()):
            loaded = [importlib.import_module(name) for name in modules]
    else:
        loaded = [importlib.import_module(name) for name in modules]
    actors: dict[int, dramatiq.Actor[Any, Any]] = {}
    for module in loaded:
        for actor in _actors_of(module):
            actors.setdefault(id(actor), actor)
    for actor in actors.values():
        queue = queue_prefix + _declared_queues.setdefault(actor.actor_name, actor.queue_name)
        if actor.broker is not broker or actor.queue_name != queue or broker.actors.get(actor.actor_name) is not actor:
            actor.broker = broker
            actor.queue_name = queue
            broker.declare_actor(actor)
    return list(actors.values())


def code_queue_names() -> set[str]:
    """The queue names actors were declared with in code (before any ``queue_prefix``)."""
    return set(_declared_queues.values())


def _actors_of(module: ModuleType) -> Iterator[dramatiq.Actor[Any, Any]]:
    for value in vars(module).values():
        if isinstance(value, dramatiq.Actor):
            yield value


@contextlib.contextmanager
def _global_broker(broker: dramatiq.Broker) -> Iterator[None]:
    previous = dramatiq.broker.global_broker
    dramatiq.set_broker(broker)
    try:
        yield
    finally:
        dramatiq.broker.global_broker = previous


def ping_broker(url: str | None = None) -> None:
    """Raise if the broker is unreachable (embedded: always reachable). Used by ``/readyz``.

    Args:
        url: defaults to ``PAWPAY_BROKER_URL``.
    """
    if url is None:
        from pawpay.platform.settings import get_settings

        parsed = broker_url(get_settings())
    else:
        parsed = parse_broker_url(url)
    if parsed.kind == "redis":
        import redis

        assert parsed.url is not None
        client = redis.Redis.from_url(parsed.url, socket_connect_timeout=1.5, socket_timeout=1.5)
        try:
            client.ping()
        finally:
            client.close()
    elif parsed.kind == "rabbitmq":
        import pika

        params = pika.URLParameters(parsed.url)
        params.socket_timeout = 1.5
        params.blocked_connection_timeout = 1.5
        pika.BlockingConnection(params).close()
