"""The dramatiq broker from ``PAWPAY_BROKER_URL`` (placeholder until the jobs component lands)."""

from __future__ import annotations


def ping_broker() -> None:
    """Raise if the configured broker is unreachable (embedded: always reachable)."""
    from pawpay.platform.settings import get_settings

    settings = get_settings()
    if settings.broker_url is None:
        return
    url = settings.broker_url.get_secret_value()
    if url.startswith(("redis://", "rediss://")):
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1.5).ping()
    else:
        import pika

        pika.BlockingConnection(pika.URLParameters(url)).close()
