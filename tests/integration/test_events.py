"""Domain events reach every listener, each on its own; only declared event hooks can be broadcast."""

from __future__ import annotations

import datetime as dt

import pytest

from pawpay.platform.events import services as events
from pawpay.platform.hooks import ContractSigned, hookimpl
from pawpay.platform.hooks._manager import get_plugin_manager

pytestmark = pytest.mark.integration

CONTRACT = ContractSigned(contract_id="c-1", contract_no="NO-1", customer_ref="cu-1", total_fen=100, periods=1,
                          monthly_amount_fen=100, first_due_on=dt.date(2026, 12, 5), terms_version=1)


class Failing:
    @hookimpl
    def pawpay_contract_signed(self, tenant_id: str) -> None:
        raise RuntimeError("listener bug")


class Recording:
    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []

    @hookimpl
    async def pawpay_contract_signed(self, tenant_id: str, contract: ContractSigned) -> None:
        self.heard.append((tenant_id, contract.contract_no))


async def test_a_failing_listener_never_keeps_the_others_from_hearing(caplog) -> None:
    pm = get_plugin_manager()
    failing, recording = Failing(), Recording()
    pm.register(failing, name="test-failing-listener")
    pm.register(recording, name="test-recording-listener")
    try:
        told = await events.broadcast("pawpay_contract_signed", tenant_id="t-1", contract=CONTRACT)
    finally:
        pm.unregister(failing)
        pm.unregister(recording)
    assert recording.heard == [("t-1", "NO-1")]
    assert told >= 1
    assert any("event listener failed" in r.getMessage() for r in caplog.records)


async def test_only_event_hooks_can_be_broadcast() -> None:
    with pytest.raises(ValueError, match="not a domain event hook"):
        await events.broadcast("pawpay_tenant_created", tenant_id="t", name="x")
