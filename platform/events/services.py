"""Broadcast a domain event to the plugins listening on its hook.

The one way a domain (platform or store) tells plugins that something happened: the plugin
manager itself stays private to the platform. Call it once the data is committed, usually from
``after_commit(lambda: broadcast(...))``, so that listeners never hear of rolled-back work.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

log = logging.getLogger(__name__)

# Hooks that are domain events (broadcast, results ignored); anything else is refused.
EVENT_HOOKS = frozenset({"pawpay_contract_signed", "pawpay_installment_paid", "pawpay_installments_paid",
                         "pawpay_demo_store_seeded", "pawpay_shipment_shipped"})


async def broadcast(hook_name: str, /, **kwargs: Any) -> int:
    """Call every listener of ``hook_name`` with ``kwargs``; return how many were told.

    Each listener runs on its own: an async one is awaited; one that raises is logged (with the
    plugin's name) and never keeps the others from hearing the event. Listeners receive only the
    arguments they declare (pluggy's opt-in arguments), so specs can grow without breaking them.

    Raises:
        ValueError: ``hook_name`` is not a domain event hook.
    """
    told = 0
    for impl in _listeners(hook_name):
        try:
            result = impl.function(*[kwargs[name] for name in impl.argnames])
            if inspect.isawaitable(result):
                await result
            told += 1
        except Exception:
            log.exception("an event listener failed", extra={"hook": hook_name, "plugin": impl.plugin_name})
    return told


def has_listeners(hook_name: str, /) -> bool:
    """Whether any plugin listens on the event hook ``hook_name`` (a broadcaster may skip the work of
    preparing an event nobody hears)."""
    return bool(_listeners(hook_name))


def _listeners(hook_name: str) -> list[Any]:
    """The hook implementations listening on the domain event hook ``hook_name``, in registration order."""
    from pawpay.platform.hooks._manager import get_plugin_manager

    if hook_name not in EVENT_HOOKS:
        raise ValueError(f"{hook_name} is not a domain event hook")
    caller = getattr(get_plugin_manager().hook, hook_name, None)
    if caller is None:  # declared here but not (yet) in the specs
        raise ValueError(f"{hook_name} is not a declared hook")
    return list(caller.get_hookimpls())
