"""Registers the storage component (the ``/files/{token}`` download route)."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.storage.controllers import download

    return [download]
