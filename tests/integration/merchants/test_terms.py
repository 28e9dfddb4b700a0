"""Versioned merchant terms against the real database: versions, defaults, isolation, append-only, audit."""

from __future__ import annotations

import dataclasses

import asyncpg
import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.merchants import services as merchants
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.testing.plugin import create_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

OPS = PlatformContext(actor_label="ops@test")


async def test_a_store_without_terms_reads_the_defaults_as_version_0() -> None:
    store = await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id)
    terms = await merchants.current_terms(ctx)
    assert terms.version == 0
    assert terms.as_input() == merchants.default_terms()
    assert await merchants.terms_version(ctx, 0) == terms


async def test_a_change_is_a_new_version_and_old_versions_stay_readable() -> None:
    store = await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id)
    first = await merchants.set_terms(OPS, store.tenant_id, merchants.default_terms(), reason="approved")
    changed = dataclasses.replace(merchants.default_terms(), fee_rate_bp=250, settlement_days=1)
    second = await merchants.set_terms(OPS, store.tenant_id, changed, reason="volume discount")
    assert (first.version, second.version) == (1, 2)
    current = await merchants.current_terms(ctx)
    assert (current.version, current.fee_rate_bp, current.settlement_days) == (2, 250, 1)
    assert (current.set_by, current.reason) == ("ops@test", "volume discount")
    pinned = await merchants.terms_version(ctx, 1)
    assert pinned.fee_rate_bp == merchants.default_terms().fee_rate_bp
    history = await merchants.list_terms(OPS, store.tenant_id)
    assert [t.version for t in history] == [2, 1]
    entries, _ = await list_entries(OPS, AuditFilter(tenant_id=store.tenant_id, action="merchant.terms_set"))
    assert len(entries) == 2


async def test_invalid_terms_or_a_missing_reason_are_refused() -> None:
    store = await create_store()
    with pytest.raises(ValidationFailed) as caught:
        await merchants.set_terms(OPS, store.tenant_id,
                                  dataclasses.replace(merchants.default_terms(), fee_rate_bp=2000), reason="x")
    assert caught.value.data["field"] == "fee_rate_bp"
    with pytest.raises(ValidationFailed) as caught:
        await merchants.set_terms(OPS, store.tenant_id, merchants.default_terms(), reason="  ")
    assert caught.value.data["field"] == "reason"


async def test_another_stores_terms_are_invisible() -> None:
    a, b = await create_store(), await create_store()
    await merchants.set_terms(OPS, a.tenant_id, dataclasses.replace(merchants.default_terms(), fee_rate_bp=111),
                              reason="a's terms")
    b_ctx = TenantContext(tenant_id=b.tenant_id)
    assert (await merchants.current_terms(b_ctx)).version == 0
    with pytest.raises(NotFound):
        await merchants.terms_version(b_ctx, 1)


async def test_terms_rows_are_append_only(owner: asyncpg.Connection) -> None:
    store = await create_store()
    await merchants.set_terms(OPS, store.tenant_id, merchants.default_terms(), reason="approved")
    with pytest.raises(asyncpg.PostgresError):
        await owner.execute("UPDATE merchant_terms SET fee_rate_bp = 0 WHERE tenant_id = $1", store.tenant_id)


async def test_an_unknown_store_is_not_found() -> None:
    import uuid

    with pytest.raises(NotFound):
        await merchants.set_terms(OPS, uuid.uuid4(), merchants.default_terms(), reason="x")


async def test_a_store_reads_but_never_writes_its_terms() -> None:
    import uuid

    from pawpay.platform.clock import utcnow
    from pawpay.platform.merchants.rules import terms_as_dict
    from pawpay.platform.merchants.tables import MerchantTerms
    from pawpay.platform.tenancy.scope import tenant_scope

    store = await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id)
    with pytest.raises(asyncpg.PostgresError):
        async with tenant_scope(ctx):
            await MerchantTerms.insert(MerchantTerms(
                id=uuid.uuid4(), tenant_id=store.tenant_id, version=1, effective_at=utcnow(), set_by="me",
                reason="self-service", created_at=utcnow(), **terms_as_dict(merchants.default_terms()),
            ))
    assert (await merchants.current_terms(ctx)).version == 0
