"""Onboarding API: the applicant's (``/api/v1/apply``, public, by resume token) and the
operators' (``/api/v1/ops/applications``).

Input errors answer 422 (``APPLICATION_INVALID`` or the one problem's code, every problem in
``data.errors``), a duplicate USCC 409 ``USCC_DUPLICATE``, a step the workflow does not allow 409
``INVALID_TRANSITION``. A failed request changes nothing.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import OPERATOR_ROLES, OPS_ADMIN, OPS_REVIEWER
from pawpay.platform.onboarding import services
from pawpay.platform.onboarding.errors import ApplicationInvalid
from pawpay.platform.onboarding.errors import OnboardingErrorCode as E
from pawpay.platform.onboarding.schemas import (
    ApplicationBody,
    ApplicationDetailOut,
    ApplicationOut,
    ApplicationPageOut,
    ApproveBody,
    ApprovedOut,
    AssignBody,
    CheckOut,
    CommentBody,
    DocumentOut,
    OpsApplicationBody,
    OpsApplicationOut,
    OpsStartedOut,
    QualityBody,
    ReasonBody,
    StartedOut,
)
from pawpay.platform.web.deps import OpsCtx
from pawpay.platform.web.pagination import check_window
from pawpay.platform.web.schemas import to_schema

# A request carries one file: room for the storage's own limit (10 MB) to answer 422
# UPLOAD_TOO_LARGE with a field error, rather than the framework's bare 413.
MAX_UPLOAD_REQUEST = 32 * 1024 * 1024
_REVIEWERS = {OPS_REVIEWER, OPS_ADMIN}
_OPERATORS = set(OPERATOR_ROLES)


def draft_from(body: ApplicationBody) -> services.ApplicationDraft:
    names = {f.name for f in dataclasses.fields(services.ApplicationDraft)}
    return services.ApplicationDraft(**{name: getattr(body, name) for name in names})


def base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


async def read_upload(request: Request[Any, Any, Any]) -> tuple[str, str, bytes, str]:
    """(kind, label, bytes, filename) of a multipart upload; a missing file is a field error."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApplicationInvalid([("file", str(E.FIELD_REQUIRED))])
    data = await upload.read()
    kind, label = form.get("kind"), form.get("label")
    return (kind if isinstance(kind, str) else "", label if isinstance(label, str) else "", data,
            upload.filename or "upload")


def terms_input(values: Mapping[str, str]) -> Any:
    """The merchant terms from form-like strings, the defaults filling what is left out."""
    from pawpay.platform.merchants.services import default_terms, terms_from_form

    defaults = {k: ("on" if v else "") if isinstance(v, bool) else str(v)
                for k, v in dataclasses.asdict(default_terms()).items()}
    return terms_from_form({**defaults, **values})


class ApplicantController(Controller):
    path = "/api/v1/apply"
    tags = ["onboarding"]
    opt = {"auth": "public"}

    @post("/", operation_id="StartApplication", status_code=201)
    async def start(self, request: Request[Any, Any, Any], data: JSONBody[ApplicationBody]) -> StartedOut:
        started = await services.start_application(draft_from(data), base_url=base_url(request))
        return to_schema(started, StartedOut)

    @get("/{token:str}", operation_id="GetOwnApplication")
    async def get_own(self, token: FromPath[str]) -> ApplicationOut:
        return to_schema(await services.get_own_application(token), ApplicationOut)

    @put("/{token:str}", operation_id="UpdateApplication")
    async def update(self, token: FromPath[str], data: JSONBody[ApplicationBody]) -> ApplicationOut:
        return to_schema(await services.update_application(token, draft_from(data)), ApplicationOut)

    @post("/{token:str}/documents", operation_id="AddApplicationDocument", status_code=201,
          request_max_body_size=MAX_UPLOAD_REQUEST)
    async def add_document(self, request: Request[Any, Any, Any], token: FromPath[str]) -> DocumentOut:
        kind, label, data, filename = await read_upload(request)
        view = await services.add_document(token, kind=kind, label=label, data=data, filename=filename)
        return to_schema(view, DocumentOut)

    @delete("/{token:str}/documents/{document_id:uuid}", operation_id="RemoveApplicationDocument")
    async def remove_document(self, token: FromPath[str], document_id: FromPath[uuid.UUID]) -> None:
        await services.remove_document(token, document_id)

    @post("/{token:str}/submit", operation_id="SubmitApplication", status_code=200)
    async def submit(self, token: FromPath[str]) -> ApplicationOut:
        return to_schema(await services.submit_application(token), ApplicationOut)


class OpsApplicationController(Controller):
    path = "/api/v1/ops/applications"
    tags = ["onboarding"]
    opt = {"auth": "platform", "roles": _OPERATORS}

    @get("/", operation_id="ListApplications")
    async def list_applications(
        self, ctx: OpsCtx, status: FromQuery[str | None] = None, assigned_to: FromQuery[uuid.UUID | None] = None,
        overdue: FromQuery[bool] = False, q: FromQuery[str | None] = None, limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
    ) -> ApplicationPageOut:
        limit, offset = check_window(limit, offset)
        views, total = await services.list_applications(ctx, state=status, assigned_to=assigned_to, overdue=overdue,
                                                        search=q, limit=limit, offset=offset)
        return ApplicationPageOut(applications=[to_schema(v, OpsApplicationOut) for v in views], total=total)

    @post("/", operation_id="CreateApplication", status_code=201, opt={"roles": _REVIEWERS})
    async def create(self, request: Request[Any, Any, Any], ctx: OpsCtx,
                     data: JSONBody[OpsApplicationBody]) -> OpsStartedOut:
        started = await services.create_application(ctx, draft_from(data), quality=data.quality,
                                                    base_url=base_url(request))
        return to_schema(started, OpsStartedOut)

    @post("/{application_id:uuid}/resume-link", operation_id="NewApplicationResumeLink", status_code=201,
          opt={"roles": _REVIEWERS})
    async def new_resume_link(self, request: Request[Any, Any, Any], ctx: OpsCtx,
                              application_id: FromPath[uuid.UUID]) -> OpsStartedOut:
        started = await services.new_resume_link(ctx, application_id, base_url=base_url(request))
        return to_schema(started, OpsStartedOut)

    @get("/{application_id:uuid}", operation_id="GetApplication")
    async def get_one(self, ctx: OpsCtx, application_id: FromPath[uuid.UUID]) -> ApplicationDetailOut:
        return to_schema(await services.get_application(ctx, application_id), ApplicationDetailOut)

    @post("/{application_id:uuid}/checks", operation_id="RunApplicationChecks", status_code=200,
          opt={"roles": _REVIEWERS})
    async def run_checks(self, ctx: OpsCtx, application_id: FromPath[uuid.UUID]) -> list[CheckOut]:
        return [to_schema(c, CheckOut) for c in await services.run_checks(ctx, application_id)]

    @post("/{application_id:uuid}/assign", operation_id="AssignApplication", status_code=200,
          opt={"roles": _REVIEWERS})
    async def assign(self, ctx: OpsCtx, application_id: FromPath[uuid.UUID],
                     data: JSONBody[AssignBody]) -> OpsApplicationOut:
        view = await services.assign(ctx, application_id, data.reviewer_id, data.reviewer_label)
        return to_schema(view, OpsApplicationOut)

    @post("/{application_id:uuid}/comments", operation_id="CommentApplication", status_code=204,
          opt={"roles": _REVIEWERS})
    async def comment(self, ctx: OpsCtx, application_id: FromPath[uuid.UUID], data: JSONBody[CommentBody]) -> None:
        await services.add_comment(ctx, application_id, data.comment)

    @post("/{application_id:uuid}/quality", operation_id="SetApplicationQuality", status_code=200,
          opt={"roles": _REVIEWERS})
    async def quality(self, ctx: OpsCtx, application_id: FromPath[uuid.UUID],
                      data: JSONBody[QualityBody]) -> OpsApplicationOut:
        return to_schema(await services.set_quality(ctx, application_id, data.quality), OpsApplicationOut)

    @post("/{application_id:uuid}/start-review", operation_id="StartApplicationReview", status_code=200,
          opt={"roles": _REVIEWERS})
    async def start_review(self, ctx: OpsCtx, application_id: FromPath[uuid.UUID]) -> OpsApplicationOut:
        return to_schema(await services.start_review(ctx, application_id), OpsApplicationOut)

    @post("/{application_id:uuid}/request-info", operation_id="RequestApplicationInfo", status_code=200,
          opt={"roles": _REVIEWERS})
    async def request_info(self, ctx: OpsCtx, application_id: FromPath[uuid.UUID],
                           data: JSONBody[ReasonBody]) -> OpsApplicationOut:
        return to_schema(await services.request_info(ctx, application_id, data.reason), OpsApplicationOut)

    @post("/{application_id:uuid}/reject", operation_id="RejectApplication", status_code=200,
          opt={"roles": _REVIEWERS})
    async def reject(self, ctx: OpsCtx, application_id: FromPath[uuid.UUID],
                     data: JSONBody[ReasonBody]) -> OpsApplicationOut:
        return to_schema(await services.reject(ctx, application_id, data.reason), OpsApplicationOut)

    @post("/{application_id:uuid}/approve", operation_id="ApproveApplication", status_code=200,
          opt={"roles": {OPS_ADMIN}})
    async def approve(self, ctx: OpsCtx, application_id: FromPath[uuid.UUID],
                      data: JSONBody[ApproveBody]) -> ApprovedOut:
        approved = await services.approve(
            ctx, application_id, slug=data.slug, manager_email=data.manager_email, manager_name=data.manager_name,
            terms=terms_input(data.terms), licence_expires_on=data.licence_expires_on, comment=data.comment,
        )
        return to_schema(approved, ApprovedOut)
