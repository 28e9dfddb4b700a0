"""Helpers for the contract tests: a store with a plan, a customer and a pet, all made through the
real services (imported by the page tests too)."""

from __future__ import annotations

import itertools
import re
import uuid
import zlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from stdnum.cn import ric

from pawpay.platform.providers.services import set_store_provider
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.plans import services as plans

_serial = itertools.count(1)


def make_id_number(born: date = date(1990, 3, 7)) -> str:
    """A valid resident ID number (Beijing Dongcheng) with a fresh sequence number."""
    body = f"110101{born:%Y%m%d}{next(_serial) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass
class Setup:
    store: Any
    ctx: TenantContext
    plan: Any
    customer: Any
    pet: Any


async def plan_for(ctx: TenantContext, *, periods: int = 12, amount: int = 29_800, species: str = "cat") -> Any:
    sku = await catalog.create_sku(ctx, catalog.SkuInput(code=f"F{uuid.uuid4().hex[:6]}", name="幼猫粮", kind="food",
                                                         unit="袋"))
    return await plans.create_plan(ctx, plans.PlanInput(
        name="幼猫月付套餐", species=species, stage="kitten" if species == "cat" else "puppy", periods=periods,
        monthly_amount_fen=amount, contents=[plans.ContentInput(item_type="sku", item_id=sku.id, quantity=2)],
        gift_text="价值100元新手礼包", debit_days=(5, 10, 15)), confirm_amount_warning=True)


async def add_customer(ctx: TenantContext, *, phone: str = "13912345678", openid: str = "", name: str = "张三"
                       ) -> tuple[Any, Any]:
    customer = await customers.upsert_customer(ctx, name=name, phone=phone, id_number=make_id_number(),
                                               region="上海市", address="浦东新区1号", wechat_openid=openid)
    pet = await customers.add_pet(ctx, customer.id, name="咪咪", species="cat", breed="英短",
                                  birthday=date(2026, 3, 1), adoption_date=date(2026, 6, 1))
    return customer, pet


async def setup(*, phone: str = "13912345678", openid: str = "ox_openid_1", store: Any = None) -> Setup:
    store = store or await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, actor_label="test")
    await set_store_provider(ctx, "payments", "sandbox", {"merchant_id": "m_contracts",
                                                          "webhook_secret": "whsec-contracts-" + uuid.uuid4().hex})
    plan = await plan_for(ctx)
    customer, pet = await add_customer(ctx, phone=phone, openid=openid)
    return Setup(store, ctx, plan, customer, pet)


def evidence(**overrides: Any) -> contracts.EvidenceInput:
    values: dict[str, Any] = {
        "ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (iPhone)", "device": "iPhone 15",
        "identity_reference": "idv_123", "esign_reference": "esign_456", "face_check_reference": "face_789",
        "payment_agreement_reference": "agr_1",
        "consents": {"contract_terms": True, "debit_authorisation": True, "face_data": True},
    }
    values.update(overrides)
    return contracts.EvidenceInput(**values)


async def draft(s: Setup, *, pet: Any = None, customer: Any = None, debit_day: int = 10) -> Any:
    return await contracts.create_draft(s.ctx, customer_id=(customer or s.customer).id, pet_id=(pet or s.pet).id,
                                        plan_id=s.plan.id, plan_version=s.plan.version, debit_day=debit_day,
                                        channel="h5", started_by="customer")


async def signed(s: Setup, **kw: Any) -> Any:
    d = await draft(s, **kw)
    await contracts.mark_pending_signature(s.ctx, d.id)
    return await contracts.activate(s.ctx, d.id, evidence=evidence())


def pdf_streams(data: bytes) -> list[bytes]:
    """A PDF's streams, inflated where compressed."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            out.append(match.group(1))
    return out


def pdf_text(data: bytes) -> str:
    """The text of a PDF made by fpdf2 (hex glyph strings mapped back through the ToUnicode CMaps)."""
    streams = pdf_streams(data)
    cmap: dict[str, str] = {}
    for s in streams:
        if b"beginbfchar" in s or b"beginbfrange" in s:
            text = s.decode("latin-1")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
                for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    cmap[src.upper().zfill(4)] = bytes.fromhex(dst).decode("utf-16-be")
            for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
                for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    start = int(dst, 16)
                    for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                        cmap[f"{code:04X}"] = chr(start + i)
    out = []
    for s in streams:
        if b"BT" not in s or b"Tj" not in s:
            continue
        for raw in _literal_strings(s):
            out.append("".join(cmap.get(raw[i:i + 2].hex().upper(), "?") for i in range(0, len(raw) - 1, 2)))
    return "".join(out)


_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}


def _literal_strings(stream: bytes) -> list[bytes]:
    """The ``(...)`` strings of a content stream, unescaped."""
    found, i, n = [], 0, len(stream)
    while i < n:
        if stream[i] != ord("("):
            i += 1
            continue
        i += 1
        depth, buf = 1, bytearray()
        while i < n:
            c = stream[i]
            if c == ord("\\"):
                nxt = stream[i + 1]
                if nxt in _ESCAPES:
                    buf += _ESCAPES[nxt]
                    i += 2
                elif ord("0") <= nxt <= ord("7"):
                    j = i + 1
                    while j < min(i + 4, n) and ord("0") <= stream[j] <= ord("7"):
                        j += 1
                    buf.append(int(stream[i + 1:j], 8) & 0xFF)
                    i = j
                else:
                    buf.append(nxt)
                    i += 2
                continue
            if c == ord("("):
                depth += 1
            elif c == ord(")"):
                depth -= 1
                if depth == 0:
                    i += 1
                    break
            buf.append(c)
            i += 1
        found.append(bytes(buf))
    return found
