"""``/admin/contracts``: the list by state, a contract's terms, schedule, evidence and PDF, and the
cooling-off cancellation (managers only)."""

from __future__ import annotations

import pytest

from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.tenants.contracts import services as contracts
from tests.integration.contracts.conftest import draft, setup, signed

pytestmark = pytest.mark.integration


async def test_the_list_filters_by_state(new_browser) -> None:
    s = await setup()
    active = await signed(s)
    browser = await new_browser()
    await browser.sign_in(s.store.manager_email)
    page = await browser.get("/admin/contracts")
    assert page.status_code == 200
    assert active.contract_no in page.text
    assert (await browser.get("/admin/contracts?state=draft")).text.count(active.contract_no) == 0
    assert active.contract_no in (await browser.get("/admin/contracts?state=active")).text
    assert (await browser.get("/admin/contracts?state=bogus")).status_code == 422


async def test_the_contract_page_shows_terms_schedule_evidence_and_pdf(new_browser) -> None:
    s = await setup()
    active = await signed(s)
    browser = await new_browser()
    await browser.sign_in(s.store.manager_email)
    page = await browser.get(f"/admin/contracts/{active.id}")
    assert page.status_code == 200
    for text in ("3,576.00", "298.00", "12/12", "203.0.113.7", "esign_456", "face_789", active.contract_no):
        assert text in page.text
    evidence = await contracts.get_evidence(s.ctx, active.id)
    assert evidence is not None
    assert evidence.pdf_sha256 in page.text
    pdf = await browser.get(f"/admin/contracts/{active.id}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.content.startswith(b"%PDF-")
    assert 'action="/admin/contracts/' in page.text  # the manager may cancel in cooling-off
    assert f'href="/admin/queues/contracts/{active.id}"' in page.text  # pauses and endings


async def test_a_manager_cancels_in_cooling_off(new_browser) -> None:
    s = await setup()
    active = await signed(s)
    browser = await new_browser()
    await browser.sign_in(s.store.manager_email)
    path = f"/admin/contracts/{active.id}"
    empty = await browser.submit(f"{path}/cancel", {"reason": ""}, csrf_from=path)
    assert empty.status_code == 422
    done = await browser.submit(f"{path}/cancel", {"reason": "客户反悔"}, csrf_from=path)
    assert done.status_code == 303
    assert (await contracts.get_contract(s.ctx, active.id)).state == "cancelled"


async def test_sales_staff_cannot_cancel_and_other_stores_are_404(new_browser, make_staff) -> None:
    s, t = await setup(), await setup()
    active = await signed(s)
    d = await draft(t)
    sales = await make_staff(s.store.tenant_id, FRONT_DESK)
    browser = await new_browser()
    await browser.sign_in(sales)
    page = await browser.get(f"/admin/contracts/{active.id}")
    assert page.status_code == 200
    assert "/cancel" not in page.text
    refused = await browser.client.post(f"/admin/contracts/{active.id}/cancel",
                                        data={"reason": "x", "_csrf": await browser.csrf()})
    assert refused.status_code == 403
    assert (await browser.get(f"/admin/contracts/{d.id}")).status_code == 404
    assert (await browser.get(f"/admin/contracts/{d.id}/pdf")).status_code == 404
