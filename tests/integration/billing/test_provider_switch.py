"""Issue 3 leftover: a store that switches its payment provider in settings gets its NEXT debit through
the new provider (the debit job looks the provider up for every attempt; nothing is cached per contract)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from pawpay.platform.hooks._manager import get_plugin_manager
from pawpay.platform.hooks.providers import ProviderCategory
from pawpay.platform.providers.services import set_store_provider
from pawpay.plugins.payments.sandbox.provider import SandboxPayments
from pawpay.tenants.billing import services as billing
from pawpay.tenants.contracts import services as contracts
from tests.integration.billing.conftest import local, move, new_store, run_debits

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

ALT = "sandbox_alt"


@pytest.fixture
def second_rail() -> Iterator[Any]:
    """A second payments provider (another sandbox instance) in the catalog for this test only."""
    catalog = get_plugin_manager().providers()
    catalog.add("payments", ALT, SandboxPayments, label="Second sandbox rail")
    try:
        yield catalog.get("payments", ALT).provider
    finally:
        catalog._providers.pop((ProviderCategory.PAYMENTS, ALT), None)  # test-only removal


async def test_the_next_debit_goes_through_the_new_provider(clock: Any, jobs_stub: Any, second_rail: Any) -> None:
    store = await new_store()
    c = await store.sign()
    first, second = (await contracts.installments(store.ctx, c.id))[:2]
    old = await store.sandbox()
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs_stub, due)
    [a1] = await billing.installment_debits(store.ctx, first.id)
    assert (a1.status, a1.provider) == ("succeeded", "sandbox")
    await set_store_provider(store.ctx, "payments", ALT, {"merchant_id": "m_alt",
                                                         "webhook_secret": "whsec-alt-" + uuid.uuid4().hex})
    due2 = local(second.due_on.year, second.due_on.month, second.due_on.day, 8, 5)
    move(clock, due2)
    await run_debits(jobs_stub, due2)
    [a2] = await billing.installment_debits(store.ctx, second.id)
    assert (a2.status, a2.provider) == ("succeeded", ALT)
    tenant = str(store.ctx.tenant_id)
    assert [d[1] for d in old.debits if d[0] == tenant] == [a1.id]
    assert [d[1] for d in second_rail.debits if d[0] == tenant] == [a2.id]
