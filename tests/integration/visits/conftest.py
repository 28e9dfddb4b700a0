"""Helpers for the visits tests: a signed contract for a pet adopted on a chosen day, made through the
real services (the contract-signed listener plans the visits)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pawpay.platform.identity.roles import AFTER_SALES
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from tests.integration.conftest import create_staff_account
from tests.integration.contracts.conftest import Setup, evidence, setup


@dataclass
class Signed:
    s: Setup
    contract: Any
    pet: Any
    today: date


async def signed_for(s: Setup, *, adopted_days_ago: int | None = None, name: str = "豆豆") -> Signed:
    today = await customers.store_today(s.ctx)
    adoption = today - timedelta(days=adopted_days_ago) if adopted_days_ago is not None else None
    pet = await customers.add_pet(s.ctx, s.customer.id, name=name, species="cat", birthday=today - timedelta(days=120),
                                  adoption_date=adoption)
    d = await contracts.create_draft(s.ctx, customer_id=s.customer.id, pet_id=pet.id, plan_id=s.plan.id,
                                     plan_version=s.plan.version, debit_day=10, channel="h5", started_by="customer")
    await contracts.mark_pending_signature(s.ctx, d.id)
    contract = await contracts.activate(s.ctx, d.id, evidence=evidence())
    return Signed(s, contract, pet, today)


async def store_with_after_sales(count: int = 1, *, phone: str = "13912345678") -> tuple[Setup, list[uuid.UUID]]:
    s = await setup(phone=phone)
    ids = [(await create_staff_account(s.store, [AFTER_SALES]))[0] for _ in range(count)]
    return s, ids
