"""Helpers for the signing tests: a store with a plan, the sandbox providers, and a customer who
walks the steps through the real services (imported by the page and browser tests too)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from stdnum.cn import ric

from pawpay.platform.jobs.services import advance_tenant_clock
from pawpay.platform.providers.services import provider_for, set_store_provider
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.signing import services as signing
from tests.integration.contracts.conftest import plan_for

_serial = itertools.count(1)
# Area codes stdnum's region table knows (Beijing, Shanghai, Guangzhou, Nanjing, Hangzhou, Chengdu).
_AREAS = ("110101", "110102", "110105", "310101", "310104", "440103", "440104", "320102", "330102", "510104")
_phones = itertools.count(1)


def make_id(*, born: date | None = None, score: int = 700) -> str:
    """A valid resident ID (a fresh birth date each time, so that tests never share a person) whose
    sequence code is the sandbox credit score (550+ pass, 500-549 conditional, 350-499 fail)."""
    while True:
        n = uuid.uuid4().int
        day = born or date(1960 + n % 40, 1 + (n >> 8) % 12, 1 + (n >> 16) % 28)
        body = f"{_AREAS[(n >> 24) % len(_AREAS)]}{day:%Y%m%d}{score:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if ric.is_valid(number):  # stdnum also checks the area existed on the birth date
            return number


def new_phone() -> str:
    return f"139{(uuid.uuid4().int + next(_phones)) % 100_000_000:08d}"


@dataclass
class Store:
    store: Any
    ctx: TenantContext
    plan: Any


async def daytime_clock(ctx: TenantContext) -> None:
    """Move a test store's clock to Beijing daytime (sandbox debits run 07:00-22:00)."""
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    target = local.replace(hour=10, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    await advance_tenant_clock(ctx, int((target - local).total_seconds()))


async def signing_store(**plan_kwargs: Any) -> Store:
    store = await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, actor_label="test manager")
    await set_store_provider(ctx, "payments", "sandbox", {"merchant_id": "m_signing",
                                                          "webhook_secret": "whsec-signing-" + uuid.uuid4().hex})
    await daytime_clock(ctx)
    plan = await plan_for(ctx, **plan_kwargs)
    return Store(store, ctx, plan)


async def last_code(ctx: TenantContext, phone: str) -> str:
    provider, pctx = await provider_for(ctx, "notifications")
    messages = [m for m in provider.inbox(pctx, recipient=phone) if m.template == signing.SMS_CODE_TEMPLATE]
    assert messages, "no code was sent"
    latest = max(messages, key=lambda m: m.sent_at)
    return str(latest.params["code"])


async def complete_page(ctx: TenantContext, kind: str, url: str) -> None:
    """The customer finishes the sandbox identity page (face check or e-sign) behind ``url``."""
    provider, pctx = await provider_for(ctx, "identity")
    token = url.rstrip("/").rsplit("/", 1)[-1]
    (provider.complete_face_check if kind == "face" else provider.complete_sign_flow)(pctx, token)


async def login(ctx: TenantContext, phone: str) -> signing.SessionView:
    await signing.request_code(ctx, phone)
    _token, session = await signing.verify_code(ctx, phone, await last_code(ctx, phone))
    return session


@dataclass
class Walk:
    session: signing.SessionView
    view: signing.SigningView


async def walk_to_risk(s: Store, *, name: str = "王小明", id_number: str | None = None, phone: str | None = None,
                       occupation: str = "employed", income: str = "stable", residence: str = "owned",
                       pet_name: str = "咪咪") -> Walk:
    """Login and steps 1-4 (plan, pet, details, identity) through the services."""
    ctx = s.ctx
    session = await login(ctx, phone or new_phone())
    view = await signing.start_signing(ctx, session, s.plan.id)
    view = await signing.submit_plan(ctx, session, view.id, plan_id=s.plan.id, debit_day=10)
    view = await signing.submit_pet(ctx, session, view.id, name=pet_name, species="cat", breed="英短",
                                    birthday=date(2026, 3, 1), adoption_date=None)
    view = await signing.submit_details(ctx, session, view.id, name=name, id_number=id_number or make_id(),
                                        address="上海市浦东新区1号", occupation=occupation, income=income,
                                        residence=residence)
    view = await signing.start_identity(ctx, session, view.id, face_consent=True)
    await complete_page(ctx, "face", view.action_urls["face"])
    view = await signing.finish_identity(ctx, session, view.id)
    return Walk(session, view)


async def sign_and_debit(s: Store, walk: Walk) -> Any:
    """Steps 6-7 after an approved risk decision; returns the active contract."""
    ctx, session, signing_id = s.ctx, walk.session, walk.view.id
    await signing.contract_preview(ctx, session, signing_id)
    view = await signing.start_esign(ctx, session, signing_id, agree_terms=True)
    await complete_page(ctx, "sign", view.action_urls["esign"])
    await signing.finish_esign(ctx, session, signing_id)
    await signing.start_debit(ctx, session, signing_id, agree_debit=True)
    return await signing.finish_debit(ctx, session, signing_id, ip="203.0.113.9", user_agent="pytest")
