"""The onboarding JSON API: the applicant's by resume token, the operators' review; bad input
answers 422/409 with machine-readable codes and changes nothing."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from pawpay.platform.onboarding import services as onboarding
from pawpay.platform.onboarding.testing import PHOTOS, a_uscc, an_id, full_draft, png

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


def _body(**overrides: Any) -> dict[str, Any]:
    values = dataclasses.asdict(full_draft(**overrides))
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}


async def _upload(client: httpx.AsyncClient, token: str, kind: str, label: str = "",
                  data: bytes | None = None, name: str = "f.png") -> httpx.Response:
    return await client.post(f"/api/v1/apply/{token}/documents", data={"kind": kind, "label": label},
                             files={"file": (name, data if data is not None else png(), "image/png")})


async def _complete(client: httpx.AsyncClient, photos: tuple[str, ...] = PHOTOS, **overrides: Any) -> str:
    response = await client.post("/api/v1/apply", json=_body(**overrides))
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    for kind in ("business_licence", "id_front", "id_back", "certificate"):
        assert (await _upload(client, token, kind)).status_code == 201
    for label in photos:
        assert (await _upload(client, token, "photo", label)).status_code == 201
    return token


async def test_apply_submit_review_and_approve_over_the_api(new_client: Any, signed_in: Any,
                                                            operator: dict[str, Any]) -> None:
    async with new_client() as applicant:
        token = await _complete(applicant)
        own = (await applicant.get(f"/api/v1/apply/{token}")).json()
        assert own["state"] == "draft"
        assert len(own["documents"]) == 7
        submitted = await applicant.post(f"/api/v1/apply/{token}/submit")
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["state"] == "submitted"
        application_id = submitted.json()["id"]
        # Anonymous callers never reach the operators' API.
        assert (await applicant.get("/api/v1/ops/applications")).status_code == 401
    async with signed_in(operator["email"]) as ops:
        page = (await ops.get("/api/v1/ops/applications", params={"status": "submitted", "limit": 200})).json()
        assert application_id in [a["id"] for a in page["applications"]]
        detail = (await ops.get(f"/api/v1/ops/applications/{application_id}")).json()
        assert {c["status"] for c in detail["checks"]} == {"passed"}
        assert "legal_rep_id_number" not in detail["application"]
        assigned = await ops.post(f"/api/v1/ops/applications/{application_id}/assign",
                                  json={"reviewer_id": str(operator["id"]), "reviewer_label": operator["email"]})
        assert assigned.json()["state"] == "in_review"
        slug = f"api-{uuid.uuid4().hex[:8]}"
        approved = await ops.post(f"/api/v1/ops/applications/{application_id}/approve", json={
            "slug": slug, "manager_email": f"{slug}@example.test", "manager_name": "店长",
            "terms": {"fee_rate_bp": "250", "settlement_days": "1"},
        })
        assert approved.status_code == 200, approved.text
        assert approved.json()["application"]["state"] == "approved"
        assert approved.json()["slug"] == slug
        relink = await ops.post(f"/api/v1/ops/applications/{application_id}/resume-link")
        assert relink.status_code == 409  # approved: no more links
        again = await ops.post(f"/api/v1/ops/applications/{application_id}/reject", json={"reason": "x"})
        assert again.status_code == 409
        assert again.json()["code"] == "INVALID_TRANSITION"


async def _state(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/apply/{token}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(("overrides", "code"), [
    ({"uscc": "91310000MA1FL0000X"}, "USCC_INVALID"),
    ({"legal_rep_id_number": "110101199001015500"}, "RESIDENT_ID_INVALID"),
    ({"legal_rep_id_number": "minor"}, "LEGAL_REP_MINOR"),
    ({"certificate_expires_on": "expired"}, "CERTIFICATE_EXPIRED"),
])
async def test_bad_fields_answer_422_with_codes_and_change_nothing(new_client: Any, overrides: dict[str, Any],
                                                                   code: str) -> None:
    if overrides.get("legal_rep_id_number") == "minor":
        overrides = {"legal_rep_id_number": an_id(onboarding.today() - timedelta(days=17 * 365))}
    if overrides.get("certificate_expires_on") == "expired":
        overrides = {"certificate_expires_on": onboarding.today() - timedelta(days=1)}
    async with new_client() as client:
        token = await _complete(client)
        before = await _state(client, token)
        response = await client.put(f"/api/v1/apply/{token}", json=_body(**overrides))
        assert response.status_code == 422
        assert response.json()["code"] == code
        assert response.json()["data"]["errors"][0]["code"] == code
        assert await _state(client, token) == before
        started = await client.post("/api/v1/apply", json=_body(**overrides))
        assert started.status_code == 422


async def test_photo_count_uploads_and_duplicates_are_refused(new_client: Any) -> None:
    async with new_client() as client:
        two = await _complete(client, photos=("pet_selection_area", "signing_area"))
        before = await _state(client, two)
        response = await client.post(f"/api/v1/apply/{two}/submit")
        assert response.status_code == 422
        assert response.json()["code"] == "PHOTO_COUNT"
        assert await _state(client, two) == before

        five = await _complete(client, photos=("pet_selection_area", "signing_area", "other", "other", "other"))
        before = await _state(client, five)
        sixth = await _upload(client, five, "photo", "other")
        assert sixth.status_code == 422
        assert sixth.json()["code"] == "TOO_MANY_PHOTOS"
        big = await _upload(client, five, "business_licence", data=b"\xff\xd8" + b"0" * (20 * 1024 * 1024),
                            name="big.jpg")
        assert big.status_code == 422
        assert big.json()["code"] == "UPLOAD_TOO_LARGE"
        assert big.json()["data"]["field"] == "file"
        text = await _upload(client, five, "business_licence", data=b"hello, not an image", name="a.png")
        assert text.status_code == 422
        assert text.json()["code"] == "UPLOAD_TYPE_NOT_ALLOWED"
        assert await _state(client, five) == before

        uscc = a_uscc()
        first = await _complete(client, uscc=uscc)
        assert (await client.post(f"/api/v1/apply/{first}/submit")).status_code == 200
        duplicate = await client.post("/api/v1/apply", json=_body(uscc=uscc))
        assert duplicate.status_code == 409
        assert duplicate.json()["code"] == "USCC_DUPLICATE"
        assert duplicate.json()["data"]["field"] == "uscc"
        assert (await client.get("/api/v1/apply/no-such-token")).status_code == 404


async def test_store_staff_cannot_use_the_operators_api(signed_in: Any, store_a: Any) -> None:
    async with signed_in(store_a.manager_email) as staff:
        response = await staff.get("/api/v1/ops/applications")
        assert response.status_code == 403
