"""``/api/v1/sign/{store_slug}``: the signing steps for a WeChat mini-program (docs/signing.md).

Public routes without the request transaction: the customer is not a staff principal. The store
comes from the slug; the customer's session from the ``X-Signing-Session`` header (the token the
``/session`` call returned after the phone code). Every step runs inside that store's tenant scope.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody

from pawpay.tenants.signing import rules, services
from pawpay.tenants.signing.schemas import (
    CodeBody,
    CodeOut,
    ConfirmationOut,
    ContractPreviewOut,
    DebitBody,
    DetailsBody,
    DocumentOut,
    DocumentPartOut,
    EsignBody,
    IdentityBody,
    PetBody,
    PlanBody,
    SessionBody,
    SessionOut,
    SigningOut,
    StartBody,
)

SESSION_HEADER = "x-signing-session"
PUBLIC = {"auth": "public", "transaction": False}


def signing_out(view: services.SigningView) -> SigningOut:
    return SigningOut(
        id=view.id, state=view.state, steps=view.steps, next_step=view.next_step, step_number=view.step_number,
        total_steps=rules.TOTAL_STEPS, plan_id=view.plan_id, plan_version=view.plan_version, debit_day=view.debit_day,
        answers=view.answers, risk_outcome=view.risk_outcome, conditions=view.conditions,
        down_payment_fen=view.down_payment_fen, down_payment_status=view.down_payment_status,
        contract_id=view.contract_id, decline_reason=view.decline_reason, action_urls=view.action_urls,
        created_at=view.created_at, updated_at=view.updated_at)


def preview_out(p: services.ContractPreview) -> ContractPreviewOut:
    return ContractPreviewOut(
        contract_id=p.contract_id, contract_no=p.contract_no, store_name=p.store_name, plan_name=p.plan_name,
        periods=p.periods, monthly_amount_fen=p.monthly_amount_fen, total_fen=p.total_fen, debit_day=p.debit_day,
        penalty_rate_bp=p.penalty_rate_bp, cooling_off_days=p.cooling_off_days, down_payment_fen=p.down_payment_fen,
        documents=[DocumentOut(kind=d.kind, title=d.title, sha256=d.sha256(),
                               paragraphs=[[DocumentPartOut(text=x.text, bold=x.bold) for x in para]
                                           for para in d.paragraphs]) for d in p.documents])


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


async def _session(request: Request[Any, Any, Any], store_slug: str
                   ) -> tuple[Any, services.SessionView]:
    store = await services.resolve_store(store_slug)
    ctx = store.context()
    return ctx, await services.session_for(ctx, request.headers.get(SESSION_HEADER))


class SigningApi(Controller):
    path = "/api/v1/sign/{store_slug:str}"
    tags = ["signing"]
    opt = PUBLIC

    @post("/code", operation_id="RequestSigningCode", status_code=202)
    async def request_code(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                           data: JSONBody[CodeBody]) -> CodeOut:
        store = await services.resolve_store(store_slug)
        sent = await services.request_code(store.context(), data.phone, ip=client_ip(request))
        return CodeOut(phone_masked=sent.phone_masked, expires_at=sent.expires_at)

    @post("/session", operation_id="OpenSigningSession", status_code=201)
    async def open_session(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                           data: JSONBody[SessionBody]) -> SessionOut:
        store = await services.resolve_store(store_slug)
        token, session = await services.verify_code(store.context(), data.phone, data.code, ip=client_ip(request))
        return SessionOut(token=token, expires_at=session.expires_at)

    @post("/signings", operation_id="StartSigning", status_code=201)
    async def start(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                    data: JSONBody[StartBody]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.start_signing(ctx, session, data.plan_id, channel="mini_program"))

    @get("/signings/{signing_id:uuid}", operation_id="GetSigning")
    async def get_signing(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                          signing_id: FromPath[uuid.UUID]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        view = await services.get_signing(ctx, session, signing_id)
        if view.next_step == rules.DETAILS:
            await services.mark_shown(ctx, session, signing_id, rules.DETAILS)
        return signing_out(view)

    @post("/signings/{signing_id:uuid}/plan", operation_id="SubmitSigningPlan", status_code=200)
    async def plan(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                   signing_id: FromPath[uuid.UUID], data: JSONBody[PlanBody]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.submit_plan(ctx, session, signing_id, plan_id=data.plan_id,
                                                      debit_day=data.debit_day))

    @post("/signings/{signing_id:uuid}/pet", operation_id="SubmitSigningPet", status_code=200)
    async def pet(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                  signing_id: FromPath[uuid.UUID], data: JSONBody[PetBody]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.submit_pet(ctx, session, signing_id, name=data.name, species=data.species,
                                                     breed=data.breed, birthday=data.birthday,
                                                     adoption_date=data.adoption_date))

    @post("/signings/{signing_id:uuid}/details", operation_id="SubmitSigningDetails", status_code=200)
    async def details(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                      signing_id: FromPath[uuid.UUID], data: JSONBody[DetailsBody]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.submit_details(
            ctx, session, signing_id, name=data.name, id_number=data.id_number, address=data.address,
            occupation=data.occupation, income=data.income, residence=data.residence))

    @post("/signings/{signing_id:uuid}/identity", operation_id="StartSigningIdentity", status_code=200)
    async def identity(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                       signing_id: FromPath[uuid.UUID], data: JSONBody[IdentityBody]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.start_identity(ctx, session, signing_id, face_consent=data.face_consent,
                                                         return_url=data.return_url))

    @post("/signings/{signing_id:uuid}/identity/complete", operation_id="FinishSigningIdentity", status_code=200)
    async def identity_done(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                            signing_id: FromPath[uuid.UUID]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.finish_identity(ctx, session, signing_id))

    @post("/signings/{signing_id:uuid}/risk", operation_id="RunSigningRisk", status_code=200)
    async def risk(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                   signing_id: FromPath[uuid.UUID]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.run_risk(ctx, session, signing_id))

    @post("/signings/{signing_id:uuid}/risk/down-payment", operation_id="ChooseSigningDownPayment", status_code=200)
    async def down_payment(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                           signing_id: FromPath[uuid.UUID]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.choose_down_payment(ctx, session, signing_id))

    @post("/signings/{signing_id:uuid}/risk/proof", operation_id="UploadSigningProof", status_code=200)
    async def proof(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                    signing_id: FromPath[uuid.UUID]) -> SigningOut:
        """Multipart: ``kind`` (``income`` or ``residence``) and ``file`` (an image or a PDF)."""
        ctx, session = await _session(request, store_slug)
        form = await request.form()
        upload = form.get("file")
        kind = form.get("kind")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        filename = upload.filename if isinstance(upload, UploadFile) else ""
        return signing_out(await services.upload_proof(ctx, session, signing_id,
                                                       kind=kind if isinstance(kind, str) else "", data=data,
                                                       filename=filename or "proof"))

    @get("/signings/{signing_id:uuid}/contract", operation_id="GetSigningContract")
    async def contract(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                       signing_id: FromPath[uuid.UUID]) -> ContractPreviewOut:
        ctx, session = await _session(request, store_slug)
        return preview_out(await services.contract_preview(ctx, session, signing_id))

    @get("/signings/{signing_id:uuid}/contract.pdf", operation_id="GetSigningContractPdf")
    async def contract_pdf(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                           signing_id: FromPath[uuid.UUID]) -> Response[bytes]:
        ctx, session = await _session(request, store_slug)
        pdf = await services.contract_pdf(ctx, session, signing_id)
        return Response(pdf, media_type="application/pdf", headers={"cache-control": "no-store"})

    @post("/signings/{signing_id:uuid}/contract", operation_id="StartSigningEsign", status_code=200)
    async def esign(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                    signing_id: FromPath[uuid.UUID], data: JSONBody[EsignBody]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.start_esign(ctx, session, signing_id, agree_terms=data.agree_terms,
                                                      return_url=data.return_url))

    @post("/signings/{signing_id:uuid}/contract/complete", operation_id="FinishSigningEsign", status_code=200)
    async def esign_done(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                         signing_id: FromPath[uuid.UUID]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.finish_esign(ctx, session, signing_id))

    @post("/signings/{signing_id:uuid}/debit", operation_id="StartSigningDebit", status_code=200)
    async def debit(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                    signing_id: FromPath[uuid.UUID], data: JSONBody[DebitBody]) -> SigningOut:
        ctx, session = await _session(request, store_slug)
        return signing_out(await services.start_debit(ctx, session, signing_id, agree_debit=data.agree_debit,
                                                      return_url=data.return_url))

    @post("/signings/{signing_id:uuid}/debit/complete", operation_id="FinishSigningDebit", status_code=200)
    async def debit_done(self, request: Request[Any, Any, Any], store_slug: FromPath[str],
                         signing_id: FromPath[uuid.UUID]) -> ConfirmationOut:
        ctx, session = await _session(request, store_slug)
        view = await services.finish_debit(ctx, session, signing_id, ip=client_ip(request),
                                           user_agent=request.headers.get("user-agent", "")[:1000],
                                           device="mini_program")
        return ConfirmationOut(contract_id=view.id, contract_no=view.contract_no, state=view.state,
                               total_fen=view.total_fen, periods=view.periods,
                               monthly_amount_fen=view.monthly_amount_fen, first_due_on=view.first_due_on,
                               signed_at=view.signed_at)
