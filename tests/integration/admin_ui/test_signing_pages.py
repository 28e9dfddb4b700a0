"""The customer's signing pages (/sign) and the store's signing pages (/admin/signings), through
the Browser harness (in-process HTTP): every step as a form post, the risk paths end to end
(approve, conditional with the 99 CNY down payment, decline, manual review), bad input and
tampering, the review queue and cross-store isolation."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlparse

import pytest

from pawpay.platform.providers.services import provider_for
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.signing import services as signing
from tests.integration.contracts.conftest import plan_for
from tests.integration.signing.conftest import Store, last_code, make_id, new_phone, signing_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

_LINK = re.compile(r'data-testid="(face|esign)-link"|href="([^"]+)" data-testid="(?:face|esign)-link"')


@pytest.fixture(autouse=True)
def _no_form_time_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing, "min_form_seconds", 0)


class Customer:
    """A customer's phone browser on the /sign pages."""

    def __init__(self, browser: Any, s: Store, phone: str | None = None) -> None:
        self.b, self.s = browser, s
        self.phone = phone or new_phone()
        self.slug = s.store.slug
        self.signing_id: uuid.UUID | None = None
        self.csrf = ""

    @property
    def base(self) -> str:
        return f"/sign/{self.slug}/s/{self.signing_id}"

    async def login(self) -> None:
        plan = str(self.s.plan.id)
        page = await self.b.get(f"/sign/{self.slug}/start?plan={plan}")
        assert page.status_code == 200
        assert 'name="phone"' in page.text
        sent = await self.b.client.post(f"/sign/{self.slug}/code", data={"phone": self.phone, "plan": plan})
        assert sent.status_code == 200, sent.text
        code = await last_code(self.s.ctx, self.phone)
        done = await self.b.client.post(f"/sign/{self.slug}/login",
                                        data={"phone": self.phone, "code": code, "plan": plan})
        assert done.status_code == 303, done.text
        start = await self.b.get(done.headers["location"])
        assert start.status_code == 303
        self.signing_id = uuid.UUID(start.headers["location"].rsplit("/", 1)[-1])
        self.csrf = await self.b.csrf(f"{self.base}/plan")

    async def post(self, step: str, data: dict[str, Any]) -> Any:
        return await self.b.client.post(f"{self.base}/{step}", data={**data, "_csrf": self.csrf})

    async def ok(self, step: str, data: dict[str, Any]) -> None:
        response = await self.post(step, data)
        assert response.status_code == 303, response.text[:3000]

    async def sandbox(self, step: str, testid: str) -> None:
        page = await self.b.get(f"{self.base}/{step}")
        match = re.search(rf'href="([^"]+)" data-testid="{testid}"', page.text)
        assert match, page.text[:3000]
        path = urlparse(match.group(1).replace("&amp;", "&")).path
        done = await self.b.client.post(path)
        assert done.status_code == 303, done.text

    async def to_risk(self, *, id_number: str | None = None, occupation: str = "employed",
                      pet_name: str = "咪咪", birthday: str = "2026-03-01", plan_id: uuid.UUID | None = None) -> None:
        if plan_id is None:
            await self.login()
        else:  # the same customer, already signed in, starts another plan
            start = await self.b.get(f"/sign/{self.slug}/start?plan={plan_id}")
            assert start.status_code == 303
            self.signing_id = uuid.UUID(start.headers["location"].rsplit("/", 1)[-1])
        await self.ok("plan", {"plan_id": str(plan_id or self.s.plan.id), "debit_day": "10"})
        await self.ok("pet", {"pet_name": pet_name, "species": "cat", "breed": "英短", "birthday": birthday,
                              "adoption_date": ""})
        await self.ok("details", {"name": "王小明", "id_number": id_number or make_id(), "address": "上海市浦东新区1号",
                                  "occupation": occupation, "income": "stable", "residence": "owned"})
        await self.ok("identity", {"action": "start", "face_consent": "on"})
        await self.sandbox("identity", "face-link")
        await self.ok("identity", {"action": "finish"})

    async def sign(self) -> Any:
        page = await self.b.get(f"{self.base}/contract")
        assert page.status_code == 200
        assert 'data-testid="total-price"' in page.text
        assert "<strong>" in page.text
        await self.ok("contract", {"action": "start", "agree_terms": "on"})
        await self.sandbox("contract", "esign-link")
        await self.ok("contract", {"action": "finish"})
        await self.ok("debit", {"action": "start", "agree_debit": "on"})
        await self.ok("debit", {"action": "finish"})
        status = await self.b.get(f"{self.base}/status")
        assert 'data-testid="done"' in status.text, status.text[:3000]
        return status


async def _contract(s: Store, customer: Customer) -> Any:
    session_view = await signing.list_signings(s.ctx)
    row = next(v for v in session_view[0] if v.id == customer.signing_id)
    assert row.contract_id is not None
    return await contracts.get_contract(s.ctx, row.contract_id)


async def test_willing_customer_signs_through_the_pages(browser: Any) -> None:
    s = await signing_store()
    c = Customer(browser, s)
    await c.to_risk()
    page = await c.b.get(f"{c.base}/risk")
    assert "第 5 步，共 7 步" in page.text
    await c.ok("risk", {"action": "run"})
    await c.sign()
    contract = await _contract(s, c)
    assert contract.state == "active"
    # Double-submitting the last step shows the same confirmation: no second contract.
    again = await c.post("debit", {"action": "finish"})
    assert again.status_code in (303, 409, 422)
    listed, _ = await contracts.list_contracts(s.ctx, customer_id=contract.customer_id)
    assert [v.id for v in listed] == [contract.id]


async def test_conditional_with_down_payment(browser: Any) -> None:
    s = await signing_store()
    c = Customer(browser, s)
    await c.to_risk(id_number=make_id(score=520))
    await c.ok("risk", {"action": "run"})
    page = await c.b.get(f"{c.base}/risk")
    assert 'data-testid="conditional"' in page.text
    await c.ok("risk", {"action": "down_payment"})
    await c.sign()
    contract = await _contract(s, c)
    assert contract.state == "active"
    payments, _pctx = await provider_for(s.ctx, "payments")
    assert any(amount == 9900 and tenant == str(s.store.tenant_id) for tenant, _a, amount in payments.debits)
    view = await signing.staff_signing(s.ctx, c.signing_id)  # type: ignore[arg-type]
    assert view.down_payment_fen == 9900
    assert view.down_payment_status == "succeeded"


async def test_declared_student_is_declined(browser: Any) -> None:
    s = await signing_store()
    c = Customer(browser, s)
    await c.to_risk(occupation="student")
    await c.ok("risk", {"action": "run"})
    status = await c.b.get(f"{c.base}/status")
    assert 'data-testid="declined"' in status.text
    # A declined signing goes no further: the contract step is refused.
    refused = await c.post("contract", {"action": "start", "agree_terms": "on"})
    assert 'data-testid="declined"' in refused.text
    decisions = await signing.decisions(s.ctx, c.signing_id)  # type: ignore[arg-type]
    assert decisions[-1].outcome == "decline"
    assert "DECLARED_STUDENT" in decisions[-1].reasons


async def test_credit_fail_is_declined(browser: Any) -> None:
    s = await signing_store()
    c = Customer(browser, s)
    await c.to_risk(id_number=make_id(score=400))
    await c.ok("risk", {"action": "run"})
    view = await signing.staff_signing(s.ctx, c.signing_id)  # type: ignore[arg-type]
    assert view.state == "declined"
    assert view.decline_reason == "CREDIT_FAIL"


async def test_manual_review_then_approved(browser: Any, new_browser: Any) -> None:
    s = await signing_store()
    c = Customer(browser, s)
    await c.login()
    await c.ok("plan", {"plan_id": str(s.plan.id), "debit_day": "10"})
    await c.ok("pet", {"pet_name": "咪咪", "species": "cat", "breed": "", "birthday": "2026-03-01"})
    details = {"name": "王小明", "id_number": make_id(), "address": "上海市浦东新区1号", "occupation": "employed",
               "income": "stable", "residence": "owned"}
    for _ in range(5):  # many edits: an anti-fraud signal
        await c.ok("details", details)
    await c.ok("identity", {"action": "start", "face_consent": "on"})
    await c.sandbox("identity", "face-link")
    await c.ok("identity", {"action": "finish"})
    await c.ok("risk", {"action": "run"})
    status = await c.b.get(f"{c.base}/status")
    assert 'data-testid="review"' in status.text
    staff = await new_browser()
    await staff.sign_in(s.store.manager_email)
    queue = await staff.get("/admin/signings")
    assert f'data-testid="review-{c.signing_id}"' in queue.text
    missing_reason = await staff.submit(f"/admin/signings/{c.signing_id}/review", {"verdict": "approve", "reason": ""},
                                        csrf_from=f"/admin/signings/{c.signing_id}")
    assert missing_reason.status_code == 422
    approved = await staff.submit(f"/admin/signings/{c.signing_id}/review",
                                  {"verdict": "approve", "reason": "电话核实本人"},
                                  csrf_from=f"/admin/signings/{c.signing_id}")
    assert approved.status_code == 303
    await c.sign()
    assert (await _contract(s, c)).state == "active"


async def test_bad_inputs_are_refused_in_chinese(browser: Any) -> None:
    s = await signing_store()
    c = Customer(browser, s)
    await c.login()
    await c.ok("plan", {"plan_id": str(s.plan.id), "debit_day": "10"})
    future = await c.post("pet", {"pet_name": "咪咪", "species": "cat", "birthday": "2099-01-01"})
    assert future.status_code == 422
    assert "第 2 步，共 7 步" in future.text
    after = await c.post("pet", {"pet_name": "咪咪", "species": "cat", "birthday": "2026-05-01",
                                 "adoption_date": "2026-04-01"})
    assert after.status_code == 422
    assert 'data-testid="error-birthday"' in after.text
    await c.ok("pet", {"pet_name": "咪咪", "species": "cat", "birthday": "2026-03-01"})
    good_id = make_id()
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")  # a wrong check digit
    invalid = await c.post("details", {"name": "王小明", "id_number": bad_id, "address": "上海",
                                       "occupation": "employed", "income": "stable", "residence": "owned"})
    assert invalid.status_code == 422
    assert 'data-testid="error-id_number"' in invalid.text
    # Tampered order: the e-sign before the face check is refused and changes nothing.
    tampered = await c.post("contract", {"action": "start", "agree_terms": "on"})
    assert tampered.status_code == 422
    assert 'data-testid="form-error"' in tampered.text
    view = await signing.staff_signing(s.ctx, c.signing_id)  # type: ignore[arg-type]
    assert view.next_step == "details"
    assert view.contract_id is None
    # No face-data consent: refused.
    await c.ok("details", {"name": "王小明", "id_number": make_id(), "address": "上海", "occupation": "employed",
                           "income": "stable", "residence": "owned"})
    no_consent = await c.post("identity", {"action": "start"})
    assert no_consent.status_code == 422


async def test_the_same_pet_cannot_be_signed_twice_at_once(browser: Any) -> None:
    s = await signing_store()
    second_plan = await plan_for(s.ctx)
    c = Customer(browser, s)
    id_number = make_id()
    await c.to_risk(id_number=id_number)
    await c.ok("risk", {"action": "run"})
    assert (await c.b.get(f"{c.base}/contract")).status_code == 200  # the first contract is pending signature
    first = c.signing_id
    await c.to_risk(id_number=id_number, plan_id=second_plan.id)
    assert c.signing_id != first
    await c.ok("risk", {"action": "run"})
    page = await c.b.get(f"{c.base}/contract")
    assert page.status_code == 409
    assert 'data-testid="form-error"' in page.text
    assert "该宠物已有正在签署或生效的合同" in page.text
    refused = await c.post("contract", {"action": "start", "agree_terms": "on"})
    assert refused.status_code in (409, 422)
    view = await signing.staff_signing(s.ctx, c.signing_id)  # type: ignore[arg-type]
    assert view.contract_id is None


async def test_reused_and_wrong_code(browser: Any) -> None:
    s = await signing_store()
    phone = new_phone()
    slug = s.store.slug
    await browser.client.post(f"/sign/{slug}/code", data={"phone": phone})
    code = await last_code(s.ctx, phone)
    wrong = "000000" if code != "000000" else "111111"
    refused = await browser.client.post(f"/sign/{slug}/login", data={"phone": phone, "code": wrong})
    assert refused.status_code == 422
    assert 'data-testid="error-code"' in refused.text
    first = await browser.client.post(f"/sign/{slug}/login", data={"phone": phone, "code": code})
    assert first.status_code == 303
    other = await browser.client.post(f"/sign/{slug}/login", data={"phone": phone, "code": code})
    assert other.status_code == 422
    assert 'data-testid="error-code"' in other.text


async def test_session_is_per_store_and_staff_cannot_step_in(browser: Any, new_browser: Any) -> None:
    s = await signing_store()
    other = await signing_store()
    c = Customer(browser, s)
    await c.login()
    # The same cookie on another store's link: that store does not know it.
    page = await c.b.get(f"/sign/{other.store.slug}/s/{c.signing_id}/plan")
    assert page.status_code == 303
    assert page.headers["location"].endswith("/start")
    # A staff member of the store, signed in to /admin, has no signing session: back to the phone login.
    staff = await new_browser()
    await staff.sign_in(s.store.manager_email)
    step = await staff.get(f"/sign/{s.store.slug}/s/{c.signing_id}/plan")
    assert step.status_code == 303
    assert step.headers["location"].endswith("/start")
    # Another store's staff do not see the signing.
    other_staff = await new_browser()
    await other_staff.sign_in(other.store.manager_email)
    assert (await other_staff.get(f"/admin/signings/{c.signing_id}")).status_code == 404


async def test_staff_link_and_list(browser: Any) -> None:
    s = await signing_store()
    await browser.sign_in(s.store.manager_email)
    page = await browser.get("/admin/signings")
    assert page.status_code == 200
    assert "/admin/signings" in page.text
    made = await browser.submit("/admin/signings/link", {"plan_id": str(s.plan.id)}, csrf_from="/admin/signings")
    assert made.status_code == 200
    assert f"/sign/{s.store.slug}/start?plan={s.plan.id}" in made.text
    assert "<svg" in made.text


async def test_conditional_with_a_proof_goes_to_the_review_queue(browser: Any, new_browser: Any) -> None:
    s = await signing_store()
    c = Customer(browser, s)
    await c.to_risk(id_number=make_id(score=505))
    await c.ok("risk", {"action": "run"})
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    uploaded = await c.b.client.post(f"{c.base}/risk", data={"action": "proof", "kind": "residence", "_csrf": c.csrf},
                                     files={"file": ("proof.pdf", pdf, "application/pdf")})
    assert uploaded.status_code == 303, uploaded.text[:2000]
    status = await c.b.get(f"{c.base}/status")
    assert 'data-testid="review"' in status.text
    staff = await new_browser()
    await staff.sign_in(s.store.manager_email)
    detail = await staff.get(f"/admin/signings/{c.signing_id}")
    assert detail.status_code == 200
    assert "已上传证明" in detail.text
    declined = await staff.submit(f"/admin/signings/{c.signing_id}/review",
                                  {"verdict": "decline", "reason": "证明不清晰"},
                                  csrf_from=f"/admin/signings/{c.signing_id}")
    assert declined.status_code == 303
    assert 'data-testid="declined"' in (await c.b.get(f"{c.base}/status")).text


async def test_a_suspended_store_takes_no_new_signing(browser: Any) -> None:
    from pawpay.platform.merchants.services import suspend_store
    from pawpay.platform.tenancy.context import PlatformContext

    s = await signing_store()
    c = Customer(browser, s)
    await c.login()
    await suspend_store(PlatformContext(actor_label="test"), s.store.tenant_id, reason="test")
    page = await c.b.get(f"/sign/{s.store.slug}/start?plan={s.plan.id}")
    assert 'data-testid="closed"' in page.text
    assert "该门店暂不受理新签约" in page.text
    unknown_plan = await signing_store()
    other = Customer(await _fresh(browser), unknown_plan)
    await other.login()
    missing = await other.b.get(f"/sign/{unknown_plan.store.slug}/start?plan={uuid.uuid4()}")
    assert missing.status_code == 404
    assert 'data-testid="closed"' in missing.text


async def _fresh(browser: Any) -> Any:
    browser.client.cookies.clear()
    return browser
