"""Applications against the real database: start, edit, upload, submit with every automatic
check, the review workflow to approval (which provisions the store), and bad input that
changes nothing."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from pawpay.platform import crypto
from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.merchants.services import default_terms
from pawpay.platform.onboarding import rules
from pawpay.platform.onboarding import services as onboarding
from pawpay.platform.onboarding.errors import (
    ApplicationInvalid,
    ChecksFailed,
    DuplicateUscc,
    InvalidTransition,
    NotEditable,
    ReasonRequired,
)
from pawpay.platform.onboarding.tables import StoreApplication
from pawpay.platform.onboarding.testing import (
    a_uscc,
    an_id,
    complete_application,
    full_draft,
    png,
    sms_to,
    upload_all,
)
from pawpay.platform.tenancy.context import PlatformContext
from pawpay.platform.tenancy.scope import platform_scope

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

OPS = PlatformContext(actor_id=uuid.uuid4(), roles=frozenset({"admin"}), actor_label="ops@pawpay.test")


async def _snapshot(application_id: uuid.UUID) -> dict[str, Any]:
    detail = await onboarding.get_application(OPS, application_id)
    return {"application": dataclasses.asdict(detail.application), "checks": detail.checks,
            "events": len(detail.events)}


def _codes(exc: pytest.ExceptionInfo[Any]) -> dict[str, str]:
    return {e["field"]: e["code"] for e in exc.value.data["errors"]}


async def test_start_stores_only_the_token_hash_and_the_sealed_id() -> None:
    draft = full_draft()
    started = await onboarding.start_application(draft)
    assert started.resume_path == f"/apply/{started.token}"
    assert started.application.state == rules.DRAFT
    assert started.application.legal_rep_id_masked.startswith(draft.legal_rep_id_number[:3])
    assert draft.legal_rep_id_number not in started.application.legal_rep_id_masked
    async with platform_scope("test"):
        row = await StoreApplication.select().where(StoreApplication.id == started.application.id).first()
    assert row["token_hash"] == onboarding.hash_token(started.token)
    assert started.token not in str(row)
    assert draft.legal_rep_id_number not in str(row)
    assert crypto.open_sealed(row["legal_rep_id_sealed"],
                              context=f"onboarding:application:{row['id']}:legal_rep_id") == draft.legal_rep_id_number
    assert (await onboarding.get_own_application(started.token)).id == started.application.id
    with pytest.raises(NotFound):
        await onboarding.get_own_application("not-a-token")
    # The resume link went to the contact phone.
    [sms] = sms_to(draft.contact_phone)
    assert sms.template == onboarding.SMS_STARTED
    assert started.token in sms.params["link"]


async def test_a_draft_saves_partial_data_and_keeps_the_id_on_file() -> None:
    started = await onboarding.start_application(onboarding.ApplicationDraft(store_name="喵喵"))
    view = await onboarding.update_application(started.token, onboarding.ApplicationDraft(
        store_name="喵喵宠物", legal_rep_id_number=an_id()))
    assert view.store_name == "喵喵宠物"
    masked = view.legal_rep_id_masked
    assert masked
    view = await onboarding.update_application(started.token, onboarding.ApplicationDraft(store_name="喵喵宠物 2"))
    assert view.legal_rep_id_masked == masked


async def test_submit_runs_every_check_and_sets_the_due_date() -> None:
    started = await complete_application()
    view = await onboarding.submit_application(started.token)
    assert view.state == rules.SUBMITTED
    assert view.due_on is not None
    assert view.due_on > onboarding.today()
    detail = await onboarding.get_application(OPS, view.id)
    statuses = {c.name: c.status for c in detail.checks}
    assert statuses == dict.fromkeys(rules.CHECK_NAMES, rules.PASSED)
    credit = next(c for c in detail.checks if c.name == rules.CHECK_CREDIT)
    assert credit.evidence["reason_code"] == "GOOD_STANDING"
    assert [e.to_state for e in detail.events if e.kind == "transition"] == [rules.DRAFT, rules.SUBMITTED]
    assert sms_to(view.contact_phone)[0].template == "PAWPAY_APPLY_SUBMITTED"
    audit, _ = await list_entries(OPS, AuditFilter(target_type="store_application", target_id=str(view.id)), limit=200)
    actions = {a.action for a in audit}
    assert {"onboarding.application_started", "onboarding.application_submitted", "onboarding.checks_run"} <= actions
    assert started.application.legal_rep_id_masked
    assert all(
        full_draft().legal_rep_id_number not in str(a.after) for a in audit)


async def test_dishonesty_and_short_operation_fail_their_checks_and_block_approval() -> None:
    started = await complete_application(uscc=a_uscc("9999"), opened_on=onboarding.today() - timedelta(days=120))
    view = await onboarding.submit_application(started.token)
    checks = {c.name: c for c in (await onboarding.get_application(OPS, view.id)).checks}
    assert checks[rules.CHECK_CREDIT].status == rules.FAILED
    assert checks[rules.CHECK_CREDIT].evidence["reason_code"] == "SERIOUS_DISHONESTY"
    assert checks[rules.CHECK_OPERATING].status == rules.FAILED
    await onboarding.start_review(OPS, view.id)
    with pytest.raises(ChecksFailed):
        await onboarding.approve(OPS, view.id, slug=f"s-{uuid.uuid4().hex[:8]}", manager_email="m@example.test",
                                 manager_name="M", terms=default_terms())
    # A "quality" store needs only 3 months: re-running the checks applies it.
    await onboarding.set_quality(OPS, view.id, True)
    checks = {c.name: c for c in await onboarding.run_checks(OPS, view.id)}
    assert checks[rules.CHECK_OPERATING].status == rules.PASSED
    assert checks[rules.CHECK_OPERATING].evidence["required_months"] == 3


async def test_a_credit_timeout_is_pending_and_resolves_when_re_run() -> None:
    started = await complete_application(uscc=a_uscc("0000"))
    view = await onboarding.submit_application(started.token)
    checks = {c.name: c.status for c in (await onboarding.get_application(OPS, view.id)).checks}
    assert checks[rules.CHECK_CREDIT] == rules.PENDING
    checks = {c.name: c.status for c in await onboarding.run_checks(OPS, view.id)}
    assert checks[rules.CHECK_CREDIT] == rules.PASSED


async def test_review_needs_info_resubmit_then_approve_provisions_the_store() -> None:
    started = await complete_application()
    view = await onboarding.submit_application(started.token)
    view = await onboarding.assign(OPS, view.id, OPS.actor_id, "ops@pawpay.test")
    assert view.state == rules.IN_REVIEW
    assert view.assigned_to == OPS.actor_id
    with pytest.raises(ReasonRequired):
        await onboarding.request_info(OPS, view.id, "  ")
    view = await onboarding.request_info(OPS, view.id, "请补充门店照片")
    assert view.state == rules.NEEDS_INFO
    assert sms_to(view.contact_phone)[0].params["reason"] == "请补充门店照片"
    # The applicant edits through the resume link, then submits again.
    await onboarding.update_application(started.token, full_draft(uscc=view.uscc, contact_phone=view.contact_phone,
                                                                  store_name="汪汪宠物 二店"))
    view = await onboarding.submit_application(started.token)
    assert view.state == rules.SUBMITTED
    await onboarding.add_comment(OPS, view.id, "资料齐全")
    view = await onboarding.start_review(OPS, view.id)
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    approved = await onboarding.approve(OPS, view.id, slug=slug, manager_email=f"{slug}@example.test",
                                        manager_name="店长", terms=default_terms())
    assert approved.application.state == rules.APPROVED
    assert approved.application.provisioned_tenant_id == approved.tenant_id
    assert approved.slug == slug
    assert approved.invitation_url
    detail = await onboarding.get_application(OPS, view.id)
    assert [e.kind for e in detail.events].count("comment") == 1
    assert [e.to_state for e in detail.events if e.kind == "transition"] == [
        rules.DRAFT, rules.SUBMITTED, rules.IN_REVIEW, rules.NEEDS_INFO, rules.SUBMITTED, rules.IN_REVIEW,
        rules.APPROVED]
    with pytest.raises(NotEditable):
        await onboarding.update_application(started.token, full_draft())
    with pytest.raises(InvalidTransition):
        await onboarding.reject(OPS, view.id, "too late")
    audit, _ = await list_entries(OPS, AuditFilter(target_type="store_application", target_id=str(view.id)), limit=200)
    assert "onboarding.application_approved" in {a.action for a in audit}


async def test_reject_needs_a_reason_and_is_final() -> None:
    started = await complete_application()
    view = await onboarding.submit_application(started.token)
    with pytest.raises(ReasonRequired):
        await onboarding.reject(OPS, view.id, "")
    view = await onboarding.reject(OPS, view.id, "证照不符")
    assert view.state == rules.REJECTED
    assert view.decided_at is not None
    with pytest.raises(InvalidTransition):
        await onboarding.submit_application(started.token)


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"uscc": "91310000MA1FL0000X"}, {"uscc": "USCC_INVALID"}),
    ({"legal_rep_id_number": "110101199001015500"}, {"legal_rep_id_number": "RESIDENT_ID_INVALID"}),
    ({"legal_rep_id_number": "minor"}, {"legal_rep_id_number": "LEGAL_REP_MINOR"}),
    ({"certificate_expires_on": "yesterday"}, {"certificate_expires_on": "CERTIFICATE_EXPIRED"}),
])
async def test_bad_fields_are_refused_and_change_nothing(overrides: dict[str, Any], expected: dict[str, str]) -> None:
    if overrides.get("legal_rep_id_number") == "minor":
        overrides = {"legal_rep_id_number": an_id(onboarding.today() - timedelta(days=17 * 365))}
    if overrides.get("certificate_expires_on") == "yesterday":
        overrides = {"certificate_expires_on": onboarding.today() - timedelta(days=1)}
    started = await complete_application()
    before = await _snapshot(started.application.id)
    with pytest.raises(ApplicationInvalid) as exc:
        await onboarding.update_application(started.token, full_draft(**overrides))
    assert _codes(exc) == expected
    assert exc.value.http_status == 422
    assert await _snapshot(started.application.id) == before
    with pytest.raises(ApplicationInvalid):
        await onboarding.start_application(full_draft(**overrides))


async def test_photo_count_and_labels_are_enforced() -> None:
    two = await complete_application(photos=("pet_selection_area", "signing_area"))
    before = await _snapshot(two.application.id)
    with pytest.raises(ApplicationInvalid) as exc:
        await onboarding.submit_application(two.token)
    assert _codes(exc) == {"photos": "PHOTO_COUNT"}
    assert await _snapshot(two.application.id) == before
    five = await complete_application(photos=("pet_selection_area", "signing_area", "other", "other", "other"))
    before = await _snapshot(five.application.id)
    with pytest.raises(ApplicationInvalid) as exc:
        await onboarding.add_document(five.token, kind="photo", label="other", data=png(), filename="6.png")
    assert _codes(exc) == {"file": "TOO_MANY_PHOTOS"}
    assert await _snapshot(five.application.id) == before
    unlabelled = await complete_application(photos=("storefront", "other", "other"))
    with pytest.raises(ApplicationInvalid) as exc:
        await onboarding.submit_application(unlabelled.token)
    assert _codes(exc) == {"photos": "PHOTO_LABELS_MISSING"}


async def test_large_and_non_image_uploads_are_refused() -> None:
    started = await complete_application()
    before = await _snapshot(started.application.id)
    with pytest.raises(ValidationFailed) as exc:
        await onboarding.add_document(started.token, kind="photo", label="other", data=b"\xff" * (20 * 1024 * 1024),
                                      filename="big.jpg")
    assert str(exc.value.code) == "UPLOAD_TOO_LARGE"
    with pytest.raises(ValidationFailed) as exc:
        await onboarding.add_document(started.token, kind="photo", label="other", data=b"%PDF-1.4 not an image",
                                      filename="x.jpg")
    assert str(exc.value.code) == "UPLOAD_TYPE_NOT_ALLOWED"
    with pytest.raises(ApplicationInvalid):
        await onboarding.add_document(started.token, kind="photo", label="kitchen", data=png(), filename="x.png")
    assert await _snapshot(started.application.id) == before


async def test_a_duplicate_uscc_is_refused_while_the_first_is_open() -> None:
    first = await complete_application()
    await onboarding.submit_application(first.token)
    second = await complete_application()
    before = await _snapshot(second.application.id)
    with pytest.raises(DuplicateUscc) as exc:
        await onboarding.update_application(second.token, full_draft(uscc=first.application.uscc))
    assert exc.value.http_status == 409
    assert await _snapshot(second.application.id) == before
    with pytest.raises(DuplicateUscc):
        await onboarding.start_application(full_draft(uscc=first.application.uscc))


async def test_submit_lists_every_missing_field_and_document() -> None:
    started = await onboarding.start_application(onboarding.ApplicationDraft(store_name="只有名字"))
    with pytest.raises(ApplicationInvalid) as exc:
        await onboarding.submit_application(started.token)
    codes = _codes(exc)
    assert codes["uscc"] == "FIELD_REQUIRED"
    assert codes["legal_rep_id_number"] == "FIELD_REQUIRED"
    assert codes["business_licence"] == "DOCUMENT_MISSING"
    assert codes["photos"] == "PHOTO_COUNT"
    assert "store_name" not in codes


async def test_a_document_replaces_its_kind_and_can_be_removed() -> None:
    started = await onboarding.start_application(full_draft())
    await upload_all(started.token)
    first = (await onboarding.get_own_application(started.token)).document("business_licence")
    await onboarding.add_document(started.token, kind="business_licence", data=png(color="blue"), filename="b.png")
    view = await onboarding.get_own_application(started.token)
    assert len([d for d in view.documents if d.kind == "business_licence"]) == 1
    assert first is not None
    assert view.document("business_licence") != first
    photo = view.photos[0]
    await onboarding.remove_document(started.token, photo.id)
    assert len((await onboarding.get_own_application(started.token)).photos) == 2
    other = await onboarding.start_application(full_draft())
    with pytest.raises(NotFound):  # another application's document
        await onboarding.remove_document(other.token, view.photos[0].id)


async def test_the_queue_filters_and_searches() -> None:
    started = await complete_application(store_name=f"队列测试-{uuid.uuid4().hex[:6]}")
    view = await onboarding.submit_application(started.token)
    found, total = await onboarding.list_applications(OPS, search=view.store_name)
    assert [a.id for a in found] == [view.id]
    assert total == 1
    found, _ = await onboarding.list_applications(OPS, search=view.uscc[:10])
    assert view.id in [a.id for a in found]
    found, _ = await onboarding.list_applications(OPS, state=rules.SUBMITTED, limit=200)
    assert view.id in [a.id for a in found]
    found, _ = await onboarding.list_applications(OPS, state=rules.APPROVED, limit=200)
    assert view.id not in [a.id for a in found]
    reviewer = uuid.uuid4()
    await onboarding.assign(OPS, view.id, reviewer, "r@pawpay.test")
    found, total = await onboarding.list_applications(OPS, assigned_to=reviewer)
    assert [a.id for a in found] == [view.id]
    assert total == 1
    async with platform_scope("test: make it overdue"):
        await StoreApplication.update({StoreApplication.due_on: onboarding.today() - timedelta(days=1)}).where(
            StoreApplication.id == view.id)
    found, _ = await onboarding.list_applications(OPS, overdue=True, limit=200)
    assert view.id in [a.id for a in found]
    assert found[[a.id for a in found].index(view.id)].is_overdue(onboarding.today())


async def test_applications_are_invisible_outside_the_platform_scope(store_a: Any) -> None:
    """Platform tables: a store's scope sees no application at all (RLS)."""
    from pawpay.platform.tenancy.scope import tenant_scope

    await onboarding.start_application(full_draft())
    async with tenant_scope(store_a.tenant_id):
        assert await StoreApplication.count() == 0


@pytest.fixture
def frozen_at() -> Any:
    from pawpay.platform.clock import FrozenClock, set_clock

    previous: list[Any] = []

    def freeze(at: datetime) -> None:
        previous.append(set_clock(FrozenClock(at)))

    yield freeze
    if previous:
        set_clock(previous[0])


async def test_the_due_date_is_three_business_days_later(frozen_at: Any) -> None:
    frozen_at(datetime(2026, 9, 30, 4, tzinfo=UTC))  # Wednesday before the National Day holiday (Beijing noon)
    started = await complete_application()
    view = await onboarding.submit_application(started.token)
    from pawpay.platform.business_calendar.services import add_business_days

    assert view.due_on == await add_business_days(date(2026, 9, 30), 3)
    assert view.due_on > date(2026, 10, 8)  # the Golden Week holiday does not count


async def test_no_due_date_and_an_alert_when_the_calendar_is_not_covered(frozen_at: Any) -> None:
    from pawpay.platform.alerts.services import list_alerts

    frozen_at(datetime(2026, 12, 30, 4, tzinfo=UTC))
    started = await complete_application()
    view = await onboarding.submit_application(started.token)
    assert view.state == rules.SUBMITTED
    assert view.due_on is None  # 2027 is covered neither by chinese_calendar nor by a confirmed year
    alerts, _ = await list_alerts(OPS, kind="calendar.coverage")
    assert any(a.key == "calendar.coverage.2027" for a in alerts)


async def test_two_submits_racing_with_one_uscc_give_one_409() -> None:
    import asyncio

    uscc = a_uscc()
    first = await complete_application(uscc=uscc)
    second = await complete_application()
    # The second one takes the same USCC while still a draft (drafts do not hold a USCC).
    await onboarding.update_application(second.token, full_draft(uscc=uscc))
    results = await asyncio.gather(onboarding.submit_application(first.token),
                                   onboarding.submit_application(second.token), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["ApplicationView", "DuplicateUscc"]


async def test_an_operator_replaces_a_lost_resume_link() -> None:
    started = await complete_application()
    renewed = await onboarding.new_resume_link(OPS, started.application.id)
    assert renewed.token != started.token
    with pytest.raises(NotFound):
        await onboarding.get_own_application(started.token)
    assert (await onboarding.get_own_application(renewed.token)).id == started.application.id
    assert renewed.token in sms_to(started.application.contact_phone)[0].params["link"]
    await onboarding.submit_application(renewed.token)
    await onboarding.reject(OPS, started.application.id, "不符合条件")
    with pytest.raises(NotEditable):
        await onboarding.new_resume_link(OPS, started.application.id)
