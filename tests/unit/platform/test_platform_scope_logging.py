"""Entering the platform scope is logged: at INFO for an operator, at DEBUG for actor-less work."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from pawpay.platform.tenancy import scope as scope_module
from pawpay.platform.tenancy.context import PlatformContext

pytestmark = pytest.mark.unit


class _NoTransaction:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


@pytest.fixture
def no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scope_module, "_enter", lambda kind, tenant_id: _NoTransaction())


def _entries(caplog: pytest.LogCaptureFixture) -> list[Any]:
    return [r for r in caplog.records if r.name == scope_module.log.name]


async def test_an_operator_entering_the_platform_scope_is_logged_at_info(
    no_database: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=scope_module.log.name)
    operator = PlatformContext(actor_id=uuid.uuid4(), request_id="req-9", actor_label="ops@x.test")
    async with scope_module.platform_scope("list accounts", operator):
        pass
    [entry] = _entries(caplog)
    assert entry.levelno == logging.INFO
    assert (entry.reason, entry.actor_id, entry.request_id) == ("list accounts", str(operator.actor_id), "req-9")


async def test_actor_less_platform_work_is_logged_at_debug_only(
    no_database: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=scope_module.log.name)
    async with scope_module.platform_scope("scheduler tick"):
        pass
    async with scope_module.platform_scope("session clean-up", PlatformContext(actor_label="scheduler")):
        pass
    assert [(e.levelno, e.reason) for e in _entries(caplog)] == [
        (logging.DEBUG, "scheduler tick"), (logging.DEBUG, "session clean-up")]
