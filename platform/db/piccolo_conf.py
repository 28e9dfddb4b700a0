"""piccolo's configuration module (``PICCOLO_CONF=pawpay.platform.db.piccolo_conf``).

Both names are computed on access so that importing this module never touches the database:
``DB`` is the process engine, ``APP_REGISTRY`` lists the piccolo apps every loaded component
contributes through the ``pawpay_piccolo_apps`` hook.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "DB":
        from pawpay.platform.db.engine import get_engine

        return get_engine()
    if name == "APP_REGISTRY":
        from piccolo.conf.apps import AppRegistry

        from pawpay.platform.hooks._manager import get_plugin_manager

        return AppRegistry(apps=get_plugin_manager().piccolo_apps())
    raise AttributeError(name)
