"""The debits page: the store's clock with the test-clock controls (the real scheduler and worker then
collect what fell due), due today, failed debits with a retry, recent attempts; roles and stores."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pawpay.platform.clock import utcnow
from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.tenants.billing import services as billing
from pawpay.tenants.billing.due import DEBIT_ATTEMPTS
from pawpay.tenants.contracts import services as contracts
from tests.integration.billing.conftest import new_store

pytestmark = pytest.mark.integration


async def test_a_manager_advances_the_test_clock_and_the_worker_collects(new_browser: Any, jobs_stub: Any) -> None:
    store = await new_store()
    c = await store.sign()
    first = (await contracts.installments(store.ctx, c.id))[0]
    browser = await new_browser()
    await browser.sign_in(store.s.store.manager_email)
    page = await browser.get("/admin/billing")
    assert page.status_code == 200, page.text
    assert 'href="/admin/billing"' in page.text
    assert 'name="step" value="next_debit"' in page.text
    moved = await browser.submit("/admin/billing/clock", {"step": "next_debit"}, csrf_from="/admin/billing")
    assert moved.status_code == 303
    view = await billing.clock(store.ctx)
    assert view.local_now.date() == first.due_on
    # The real scheduler tick (system time; the store's rows are due by its moved clock) and the worker.
    await jobs_stub.scheduler([DEBIT_ATTEMPTS]).tick(utcnow())
    await jobs_stub.join("billing")
    [attempt] = await billing.installment_debits(store.ctx, first.id)
    assert attempt.status == "succeeded"
    page = await browser.get("/admin/billing")
    assert attempt.id in page.text
    api = await browser.get("/api/v1/billing/attempts")
    assert api.status_code == 200
    assert [a["id"] for a in api.json()] == [attempt.id]
    clock = await browser.get("/api/v1/billing/clock")
    assert clock.json()["offset_seconds"] == view.offset_seconds


async def test_roles_and_other_stores(new_browser: Any, make_staff: Any) -> None:
    store = await new_store()
    c = await store.sign()
    first = (await contracts.installments(store.ctx, c.id))[0]
    desk = await make_staff(store.ctx.tenant_id, FRONT_DESK)
    browser = await new_browser()
    await browser.sign_in(desk)
    assert (await browser.get("/admin/billing")).status_code == 200
    refused = await browser.submit("/admin/billing/clock", {"step": "day"}, csrf_from="/admin/billing")
    assert refused.status_code == 403
    assert 'name="step"' not in (await browser.get("/admin/billing")).text
    other = await new_store()
    browser = await new_browser()
    await browser.sign_in(other.s.store.manager_email)
    retry = await browser.submit(f"/admin/billing/installments/{first.id}/retry", {"reason": "x"},
                                 csrf_from="/admin/billing")
    assert retry.status_code == 404
    assert (await browser.get(f"/api/v1/billing/installments/{first.id}/attempts")).status_code == 404
    assert (await browser.get(f"/api/v1/billing/installments/{uuid.uuid4()}/attempts")).status_code == 404
    bad = await browser.client.post("/api/v1/billing/clock/advance", json={"step": "year"},
                                    headers={"x-csrf-token": await browser.csrf()})
    assert bad.status_code in (400, 403, 422)
