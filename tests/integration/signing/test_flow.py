"""The signing services end to end against the sandbox providers."""

from __future__ import annotations

import pytest

from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.signing import services as signing
from tests.integration.signing.conftest import sign_and_debit, signing_store, walk_to_risk

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(autouse=True)
def _no_form_time_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing, "min_form_seconds", 0)


async def test_willing_customer_signs(pawpay_database: object) -> None:
    s = await signing_store()
    walk = await walk_to_risk(s)
    view = await signing.run_risk(s.ctx, walk.session, walk.view.id)
    assert view.risk_outcome == "approve"
    assert view.next_step == "contract"
    contract = await sign_and_debit(s, walk)
    assert contract.state == "active"
    evidence = await contracts.get_evidence(s.ctx, contract.id)
    assert evidence is not None
    assert evidence.consents["face_data"] is True
    again = await signing.finish_debit(s.ctx, walk.session, walk.view.id)
    assert again.id == contract.id
