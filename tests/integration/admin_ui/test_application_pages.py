"""The /apply pages (public, resumable) and the operators' /ops/applications pages: a store
applies, uploads, submits; an operator reviews, asks for more, approves. Bad input shows zh-CN
field errors and leaves the application exactly as it was."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest

from pawpay.platform.onboarding import services as onboarding
from pawpay.platform.onboarding.testing import PHOTOS, a_uscc, an_id, complete_application, full_draft, png

pytestmark = pytest.mark.integration
OPS = onboarding.PlatformContext(actor_label="test")


def form_of(**overrides: Any) -> dict[str, str]:
    values = dataclasses.asdict(full_draft(**overrides))
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}


def token_of(location: str) -> str:
    match = re.match(r"^/apply/([A-Za-z0-9_-]+)", location)
    assert match, location
    return match.group(1)


async def snapshot(token: str) -> dict[str, Any]:
    return dataclasses.asdict(await onboarding.get_own_application(token))


async def upload(browser: Any, token: str, kind: str, label: str = "", data: bytes | None = None,
                 name: str = "f.png") -> Any:
    return await browser.client.post(f"/apply/{token}/documents", data={"kind": kind, "label": label},
                                     files={"file": (name, data if data is not None else png(), "image/png")})


async def test_a_store_applies_uploads_and_submits_on_the_public_pages(new_browser: Any) -> None:
    browser = await new_browser()
    start = await browser.get("/apply")
    assert start.status_code == 200
    assert 'lang="zh' in start.text
    fields = form_of()
    response = await browser.submit("/apply", fields, with_csrf=False)
    assert response.status_code == 303
    token = token_of(response.headers["location"])
    page = await browser.get(response.headers["location"])
    assert page.status_code == 200
    assert f"/apply/{token}" in page.text  # the resume link, shown to the applicant
    assert fields["legal_rep_id_number"] not in page.text  # only masked
    for kind in ("business_licence", "id_front", "id_back", "certificate"):
        assert (await upload(browser, token, kind)).status_code == 303
    for label in PHOTOS:
        assert (await upload(browser, token, "photo", label)).status_code == 303
    page = await browser.get(f"/apply/{token}")
    assert page.text.count('data-testid="document-photo"') == 3
    assert "/files/" in page.text  # the applicant may open their own documents
    saved = await browser.submit(f"/apply/{token}", {**fields, "store_name": "改名后的宠物店",
                                                     "legal_rep_id_number": ""}, with_csrf=False)
    assert saved.status_code == 303
    assert (await onboarding.get_own_application(token)).store_name == "改名后的宠物店"
    submitted = await browser.submit(f"/apply/{token}/submit", {}, with_csrf=False)
    assert submitted.status_code == 303
    page = await browser.get(f"/apply/{token}")
    assert (await onboarding.get_own_application(token)).state == "submitted"
    assert 'action="/apply/' + token + '/submit"' not in page.text  # no more editing


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"uscc": "91310000MA1FL0000X"}, "uscc", "统一社会信用代码无效"),
    ({"legal_rep_id_number": "110101199001015500"}, "legal_rep_id_number", "身份证号码无效"),
    ({"legal_rep_id_number": "minor"}, "legal_rep_id_number", "法定代表人须年满 18 周岁"),
    ({"certificate_expires_on": "expired"}, "certificate_expires_on", "合格证已过期"),
    ({"opened_on": "2026/01/01"}, "opened_on", None),
])
async def test_bad_fields_show_field_errors_and_change_nothing(new_browser: Any, overrides: dict[str, Any],
                                                               field: str, message: str | None) -> None:
    if overrides.get("legal_rep_id_number") == "minor":
        overrides = {"legal_rep_id_number": an_id(onboarding.today() - timedelta(days=17 * 365))}
    if overrides.get("certificate_expires_on") == "expired":
        overrides = {"certificate_expires_on": onboarding.today() - timedelta(days=1)}
    browser = await new_browser()
    started = await complete_application()
    before = await snapshot(started.token)
    fields = {**form_of(), **{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in overrides.items()}}
    response = await browser.submit(f"/apply/{started.token}", fields, with_csrf=False)
    assert response.status_code == 422
    assert f'id="err-{field}"' in response.text
    if message:
        assert message in response.text  # zh-CN by default
    assert await snapshot(started.token) == before
    start = await browser.submit("/apply", fields, with_csrf=False)
    assert start.status_code == 422
    assert f'id="err-{field}"' in start.text


async def test_photo_count_upload_limits_and_duplicates_show_errors(new_browser: Any) -> None:
    browser = await new_browser()
    two = await complete_application(photos=("pet_selection_area", "signing_area"))
    before = await snapshot(two.token)
    response = await browser.submit(f"/apply/{two.token}/submit", {}, with_csrf=False)
    assert response.status_code == 422
    assert 'id="err-photos"' in response.text
    assert "请上传 3 至 5 张门店照片" in response.text
    assert await snapshot(two.token) == before

    five = await complete_application(photos=("pet_selection_area", "signing_area", "other", "other", "other"))
    before = await snapshot(five.token)
    sixth = await upload(browser, five.token, "photo", "other")
    assert sixth.status_code == 422
    assert 'id="err-file"' in sixth.text
    assert "门店照片最多 5 张" in sixth.text
    big = await upload(browser, five.token, "business_licence", data=b"\xff\xd8" + b"0" * (20 * 1024 * 1024))
    assert big.status_code == 422
    assert 'id="err-file"' in big.text
    assert "文件太大" in big.text
    text = await upload(browser, five.token, "business_licence", data=b"plain text", name="a.png")
    assert text.status_code == 422
    assert 'id="err-file"' in text.text
    assert await snapshot(five.token) == before

    uscc = a_uscc()
    first = await complete_application(uscc=uscc)
    await onboarding.submit_application(first.token)
    second = await complete_application()
    before = await snapshot(second.token)
    duplicate = await browser.submit(f"/apply/{second.token}", form_of(uscc=uscc), with_csrf=False)
    assert duplicate.status_code == 422
    assert 'id="err-uscc"' in duplicate.text
    assert "已有使用该统一社会信用代码的申请" in duplicate.text
    assert await snapshot(second.token) == before


async def test_an_unknown_resume_link_is_not_found(new_browser: Any) -> None:
    browser = await new_browser()
    assert (await browser.get("/apply/not-a-real-token")).status_code == 404


async def test_an_operator_reviews_asks_for_more_and_approves(new_browser: Any, operator: dict[str, Any]) -> None:
    started = await complete_application(store_name=f"审核测试-{uuid.uuid4().hex[:6]}")
    view = await onboarding.submit_application(started.token)
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    queue = await browser.get("/ops/applications", params={"q": view.store_name})
    assert queue.status_code == 200
    assert f"/ops/applications/{view.id}" in queue.text
    assert 'href="/ops/applications"' in queue.text  # the nav item
    overdue = await browser.get("/ops/applications", params={"overdue": "on"})
    assert f"/ops/applications/{view.id}" not in overdue.text
    here = f"/ops/applications/{view.id}"
    detail = await browser.get(here)
    assert detail.status_code == 200
    assert view.legal_rep_id_masked in detail.text
    assert 'data-testid="check-business_credit"' in detail.text
    assert "/files/" in detail.text

    assert (await browser.submit(f"{here}/assign", {"to": "me"}, csrf_from=here)).status_code == 303
    assert (await onboarding.get_application(OPS, view.id)).application.state == "in_review"
    empty = await browser.submit(f"{here}/request-info", {"reason": ""}, csrf_from=here)
    assert empty.status_code == 422
    assert 'id="err-reason"' in empty.text
    asked = await browser.submit(f"{here}/request-info", {"reason": "请补充签约区照片"}, csrf_from=here)
    assert asked.status_code == 303
    await onboarding.submit_application(started.token)  # the applicant resubmits through the link
    assert (await browser.submit(f"{here}/comment", {"comment": "看过了"}, csrf_from=here)).status_code == 303
    assert (await browser.submit(f"{here}/start-review", {}, csrf_from=here)).status_code == 303

    slug = f"shop-{uuid.uuid4().hex[:8]}"
    approve = {"slug": slug, "manager_email": f"{slug}@example.test", "manager_name": "店长",
               "fee_rate_bp": "300", "settlement_days": "7", "deposit_ratio_bp": "3000",
               "guarantee_policy": "store_bears"}
    bad = await browser.submit(f"{here}/approve", {**approve, "fee_rate_bp": "5000"}, csrf_from=here)
    assert bad.status_code == 422
    assert 'id="err-fee_rate_bp"' in bad.text
    assert (await onboarding.get_application(OPS, view.id)).application.state == "in_review"
    approved = await browser.submit(f"{here}/approve", approve, csrf_from=here)
    assert approved.status_code == 200, approved.text
    assert 'data-testid="invitation-link"' in approved.text
    detail = await onboarding.get_application(OPS, view.id)
    assert detail.application.state == "approved"
    assert detail.application.provisioned_tenant_id is not None
    page = await browser.get(here)
    assert str(detail.application.provisioned_tenant_id) in page.text
    kinds = [e.kind for e in detail.events]
    assert "comment" in kinds
    assert "assigned" in kinds


async def test_an_operator_creates_an_application_for_a_store(new_browser: Any, operator: dict[str, Any]) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    response = await browser.submit("/ops/applications/new", {"store_name": "代填的宠物店", "quality": "on"},
                                    csrf_from="/ops/applications/new")
    assert response.status_code == 201
    match = re.search(r"/apply/([A-Za-z0-9_-]{20,})", response.text)
    assert match
    own = await onboarding.get_own_application(match.group(1))
    assert own.store_name == "代填的宠物店"
    assert own.quality
    assert own.created_by == operator["id"]


async def test_apply_to_admin_end_to_end(new_browser: Any, operator: dict[str, Any]) -> None:
    """apply -> submit -> review -> approve -> the manager accepts the invitation -> /admin in test mode."""
    from pawpay.platform.identity.services import accept_invitation
    from pawpay.platform.testing.plugin import PASSWORD

    applicant = await new_browser()
    response = await applicant.submit("/apply", form_of(), with_csrf=False)
    token = token_of(response.headers["location"])
    for kind in ("business_licence", "id_front", "id_back", "certificate"):
        assert (await upload(applicant, token, kind)).status_code == 303
    for label in PHOTOS:
        assert (await upload(applicant, token, "photo", label)).status_code == 303
    assert (await applicant.submit(f"/apply/{token}/submit", {}, with_csrf=False)).status_code == 303
    application_id = (await onboarding.get_own_application(token)).id

    ops = await new_browser()
    await ops.sign_in(operator["email"])
    here = f"/ops/applications/{application_id}"
    assert (await ops.submit(f"{here}/assign", {"to": "me"}, csrf_from=here)).status_code == 303
    slug = f"e2e-{uuid.uuid4().hex[:8]}"
    email = f"{slug}@example.test"
    approved = await ops.submit(f"{here}/approve", {
        "slug": slug, "manager_email": email, "manager_name": "店长", "fee_rate_bp": "300", "settlement_days": "1",
        "deposit_ratio_bp": "3000", "guarantee_policy": "store_bears"}, csrf_from=here)
    assert approved.status_code == 200, approved.text
    assert (await onboarding.get_own_application(token)).state == "approved"
    match = re.search(r'data-testid="invitation-link"><code>https?://[^/]+(/invite/[^<]+)</code>', approved.text)
    assert match, approved.text
    await accept_invitation(match.group(1).removeprefix("/invite/"), password=PASSWORD, display_name="店长")

    manager = await new_browser()
    await manager.sign_in(email)
    admin = await manager.get("/admin")
    assert admin.status_code == 200
    assert "banner-test" in admin.text  # the new store runs in test mode


async def test_assign_to_another_reviewer_and_roles(new_browser: Any, operator: dict[str, Any],
                                                    make_operator: Any) -> None:
    from pawpay.platform.identity.roles import OPS_FINANCE, OPS_REVIEWER

    started = await complete_application()
    view = await onboarding.submit_application(started.token)
    here = f"/ops/applications/{view.id}"
    reviewer_email = await make_operator(OPS_REVIEWER)
    reviewer_id = next(a.id for a in await onboarding_reviewers() if a.email == reviewer_email)
    admin = await new_browser()
    await admin.sign_in(operator["email"])
    page = await admin.get(here)
    assert f'value="{reviewer_id}"' in page.text
    assert (await admin.submit(f"{here}/assign", {"to": str(reviewer_id)}, csrf_from=here)).status_code == 303
    detail = await onboarding.get_application(OPS, view.id)
    assert detail.application.assigned_to == reviewer_id
    assert detail.application.state == "in_review"
    bad = await admin.submit(f"{here}/assign", {"to": str(uuid.uuid4())}, csrf_from=here)
    assert bad.status_code == 422
    assert 'id="err-to"' in bad.text

    finance = await new_browser()
    await finance.sign_in(await make_operator(OPS_FINANCE))
    assert (await finance.get(here)).status_code == 200  # may look
    refused = await finance.submit(f"{here}/reject", {"reason": "x"}, csrf_from=here)
    assert refused.status_code == 403
    assert (await onboarding.get_application(OPS, view.id)).application.state == "in_review"

    reviewer = await new_browser()
    await reviewer.sign_in(reviewer_email)
    page = await reviewer.get(here)
    assert 'action="/ops/applications/' + str(view.id) + '/approve"' not in page.text  # only admins approve
    refused = await reviewer.submit(f"{here}/approve", {"slug": "nope-nope"}, csrf_from=here)
    assert refused.status_code == 403


async def onboarding_reviewers() -> list[Any]:
    from pawpay.platform.identity.services import list_operators

    return await list_operators(OPS)


async def test_an_operator_sends_a_new_private_link(new_browser: Any, operator: dict[str, Any]) -> None:
    started = await complete_application()
    here = f"/ops/applications/{started.application.id}"
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    response = await browser.submit(f"{here}/new-link", {}, csrf_from=here)
    assert response.status_code == 200
    match = re.search(r"/apply/([A-Za-z0-9_-]{20,})", response.text)
    assert match
    assert match.group(1) != started.token
    assert (await browser.get(f"/apply/{started.token}")).status_code == 404
    assert (await browser.get(f"/apply/{match.group(1)}")).status_code == 200
