"""``/api/v1/dunning``: tasks, an installment's log, a recorded call with a promise, an extension; finance
reads only; another store gets 404."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.identity.roles import FINANCE
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.dunning import services as dunning
from tests.integration.dunning.conftest import fail, world

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_the_dunning_api(signed_in: Any, make_staff: Any) -> None:
    w = await world(phone="13912340501")
    inst = await fail(w)
    today = await dunning.store_today(w.ctx)
    async with signed_in(w.store.manager_email) as c:
        bad = await c.post(f"/api/v1/dunning/installments/{inst.id}/calls", json={"note": "", "outcome": "reached"})
        assert bad.status_code == 422
        call = await c.post(f"/api/v1/dunning/installments/{inst.id}/calls",
                            json={"note": "答应周五付", "outcome": "promised", "promised_on": today.isoformat()})
        assert call.status_code == 201, call.text
        assert call.json()["channel"] == "phone"
        ext = await c.post(f"/api/v1/dunning/installments/{inst.id}/extension", json={"days": 7})
        assert ext.status_code == 200, ext.text
        assert ext.json()["extension_until"]
        log = (await c.get(f"/api/v1/dunning/installments/{inst.id}")).json()
        assert log["case"]["failures"] == 1
        assert [a["kind"] for a in log["actions"]] == ["call_recorded", "promise_to_pay", "extension_granted"]
        tasks = (await c.get("/api/v1/dunning/tasks", params={"kind": "promise_to_pay"})).json()
        assert len(tasks) == 1
    _, finance = await make_staff(w.store, [FINANCE])
    async with signed_in(finance) as c:
        assert (await c.get(f"/api/v1/dunning/installments/{inst.id}")).status_code == 200
        denied = await c.post(f"/api/v1/dunning/installments/{inst.id}/extension", json={"days": 7})
        assert denied.status_code == 403
    other = await create_store()
    async with signed_in(other.manager_email) as c:
        assert (await c.get(f"/api/v1/dunning/installments/{inst.id}")).status_code == 404
        assert (await c.post(f"/api/v1/dunning/installments/{inst.id}/calls",
                             json={"note": "x", "outcome": "reached"})).status_code == 404
