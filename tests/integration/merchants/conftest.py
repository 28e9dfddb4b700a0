"""Helpers for the merchants tests: a valid store profile and a provisioned store."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pawpay.platform.merchants import services as merchants
from pawpay.platform.tenancy.context import PlatformContext

OPS = PlatformContext(actor_label="ops@test")
USCC = "91110000802100433B"
RESIDENT_ID = "11010519491231002X"


def profile(**changes: Any) -> merchants.StoreProfileInput:
    values: dict[str, Any] = {
        "legal_name": "北京萌宠之家宠物用品有限公司", "uscc": USCC, "legal_rep_name": "张三",
        "legal_rep_id_number": RESIDENT_ID, "contact_name": "李四", "contact_phone": "13812345678",
        "contact_email": "owner@example.com", "region": "北京市朝阳区", "address": "建国路 1 号",
        "opened_on": date(2025, 1, 1), "certificate_number": "京动防 2025-001",
        "certificate_expires_on": date(2030, 1, 1), "licence_expires_on": None, "quality": False,
    }
    values.update(changes)
    return merchants.StoreProfileInput(**values)


async def provision(**changes: Any) -> merchants.ProvisionedStore:
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    return await merchants.provision_store(
        OPS, slug=slug, name=f"Shop {slug}", profile=profile(**changes), terms=merchants.default_terms(),
        manager_email=f"boss@{slug}.test", manager_name="店长",
    )
