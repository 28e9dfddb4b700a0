"""``/api/v1/sign/{store_slug}``: the same steps for a mini-program, with the session token in
``X-Signing-Session``; errors in the platform's error model with stable codes."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.tenants.signing import services as signing
from tests.integration.signing.conftest import complete_page, last_code, make_id, new_phone, signing_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


@pytest.fixture(autouse=True)
def _no_form_time_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing, "min_form_seconds", 0)


async def test_mini_program_signs_through_the_api(http: Any) -> None:
    s = await signing_store()
    base = f"/api/v1/sign/{s.store.slug}"
    phone = new_phone()
    sent = await http.post(f"{base}/code", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    wrong = await http.post(f"{base}/session", json={"phone": phone, "code": "12"})
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "SIGNING_OTP_WRONG"
    opened = await http.post(f"{base}/session", json={"phone": phone, "code": await last_code(s.ctx, phone)})
    assert opened.status_code == 201, opened.text
    headers = {"x-signing-session": opened.json()["token"]}
    assert (await http.post(f"{base}/signings", json={"plan_id": str(s.plan.id)})).status_code == 403
    started = await http.post(f"{base}/signings", json={"plan_id": str(s.plan.id)}, headers=headers)
    assert started.status_code == 201, started.text
    sid = started.json()["id"]
    assert started.json()["next_step"] == "plan"
    assert started.json()["total_steps"] == 7

    async def step(path: str, body: dict[str, Any] | None = None, expect: int = 200) -> dict[str, Any]:
        response = await http.post(f"{base}/signings/{sid}/{path}", json=body or {}, headers=headers)
        assert response.status_code == expect, response.text
        return dict(response.json())

    # Tampered order: the e-sign first.
    tampered = await step("contract", {"agree_terms": True}, expect=409)
    assert tampered["code"] == "SIGNING_STEP_OUT_OF_ORDER"
    await step("plan", {"plan_id": str(s.plan.id), "debit_day": 15})
    await step("pet", {"name": "咪咪", "species": "cat", "birthday": "2026-03-01"})
    good_id = make_id()
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")  # a wrong check digit
    bad = await step("details", {"name": "王小明", "id_number": bad_id, "address": "上海",
                                 "occupation": "employed", "income": "stable", "residence": "owned"}, expect=422)
    assert bad["code"] == "SIGNING_INVALID_INPUT"
    assert bad["data"]["field"] == "id_number"
    await step("details", {"name": "王小明", "id_number": make_id(), "address": "上海", "occupation": "employed",
                           "income": "stable", "residence": "owned"})
    identity = await step("identity", {"face_consent": True})
    await complete_page(s.ctx, "face", identity["action_urls"]["face"])
    await step("identity/complete")
    risk = await step("risk")
    assert risk["risk_outcome"] == "approve"
    preview = await http.get(f"{base}/signings/{sid}/contract", headers=headers)
    assert preview.status_code == 200
    assert preview.json()["total_fen"] == s.plan.total_fen
    assert {d["kind"] for d in preview.json()["documents"]} == {"adoption_agreement", "debit_authorisation"}
    pdf = await http.get(f"{base}/signings/{sid}/contract.pdf", headers=headers)
    assert pdf.content.startswith(b"%PDF")
    esign = await step("contract", {"agree_terms": True})
    await complete_page(s.ctx, "sign", esign["action_urls"]["esign"])
    await step("contract/complete")
    await step("debit", {"agree_debit": True})
    done = await step("debit/complete")
    assert done["state"] == "active"
    again = await step("debit/complete")
    assert again["contract_id"] == done["contract_id"]
    # Another store's slug does not know the token.
    other = await signing_store()
    foreign = await http.get(f"/api/v1/sign/{other.store.slug}/signings/{sid}", headers=headers)
    assert foreign.status_code == 403
    assert (await http.get(f"/api/v1/sign/no-such-store/signings/{sid}", headers=headers)).status_code == 404


async def test_operation_ids_are_documented(http: Any) -> None:
    schema = (await http.get("/api/docs/openapi.json")).json()
    operations = {op.get("operationId") for path, item in schema["paths"].items() if path.startswith("/api/v1/sign/")
                  for op in item.values() if isinstance(op, dict)}
    assert {"RequestSigningCode", "OpenSigningSession", "StartSigning", "FinishSigningDebit"} <= operations


async def test_a_conditional_customer_uploads_a_proof_through_the_api(http: Any) -> None:
    s = await signing_store()
    base = f"/api/v1/sign/{s.store.slug}"
    phone = new_phone()
    await http.post(f"{base}/code", json={"phone": phone})
    opened = await http.post(f"{base}/session", json={"phone": phone, "code": await last_code(s.ctx, phone)})
    headers = {"x-signing-session": opened.json()["token"]}
    sid = (await http.post(f"{base}/signings", json={"plan_id": str(s.plan.id)}, headers=headers)).json()["id"]
    for path, body in (("plan", {"plan_id": str(s.plan.id), "debit_day": 5}),
                       ("pet", {"name": "咪咪", "species": "cat", "birthday": "2026-03-01"}),
                       ("details", {"name": "王小明", "id_number": make_id(score=515), "address": "上海",
                                    "occupation": "employed", "income": "stable", "residence": "rented"})):
        assert (await http.post(f"{base}/signings/{sid}/{path}", json=body, headers=headers)).status_code == 200
    identity = (await http.post(f"{base}/signings/{sid}/identity", json={"face_consent": True},
                                headers=headers)).json()
    await complete_page(s.ctx, "face", identity["action_urls"]["face"])
    await http.post(f"{base}/signings/{sid}/identity/complete", headers=headers)
    risk = (await http.post(f"{base}/signings/{sid}/risk", headers=headers)).json()
    assert risk["risk_outcome"] == "conditional"
    assert set(risk["conditions"]) == {"down_payment", "proof"}
    empty = await http.post(f"{base}/signings/{sid}/risk/proof", data={"kind": "income"}, headers=headers)
    assert empty.status_code == 422
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    uploaded = await http.post(f"{base}/signings/{sid}/risk/proof", data={"kind": "income"},
                               files={"file": ("proof.pdf", pdf, "application/pdf")}, headers=headers)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["state"] == "manual_review"
