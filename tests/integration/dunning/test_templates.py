"""The store's ladder and templates: defaults seeded per store, a threatening text refused with the phrase
highlighted, placeholders checked, phrases added by the store or an operator (per store), a disabled step
never runs, and one store's changes never reach another."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.dunning import rules
from pawpay.tenants.dunning import services as dunning
from pawpay.tenants.dunning.errors import ForbiddenPhrase
from tests.integration.dunning.conftest import advance, fail, inbox, tick, world

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def _ctx() -> TenantContext:
    store = await create_store()
    return TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, actor_label="test")


async def test_defaults_are_seeded_per_store() -> None:
    ctx = await _ctx()
    ladder = await dunning.list_ladder(ctx)
    assert [(s.day_offset, s.action) for s in ladder] == [
        (0, "mini_program"), (0, "sms"), (1, "sms"), (3, "task"), (7, "extension_offer"), (30, "escalate")]
    assert {t.code for t in await dunning.list_templates(ctx)} == set(rules.DEFAULT_TEMPLATES)


async def test_a_threat_is_refused_with_the_phrase_highlighted() -> None:
    ctx = await _ctx()
    with pytest.raises(ForbiddenPhrase) as err:
        await dunning.save_template(ctx, "DUNNING_DAY1_SMS", "逾期将上报征信并曝光")
    assert err.value.data["field"] == "body"
    assert err.value.data["highlighted"] == "逾期将【上报征信】并【曝光】"
    with pytest.raises(ValidationFailed) as err2:
        await dunning.save_template(ctx, "DUNNING_DAY1_SMS", "请支付{amount}元，{id_number}")
    assert err2.value.data["placeholders"] == ["id_number"]
    saved = await dunning.save_template(ctx, "DUNNING_DAY1_SMS", "温馨提醒：请支付{amount}元")
    assert saved.body == "温馨提醒：请支付{amount}元"


async def test_phrases_are_per_store_and_operators_can_add_them() -> None:
    a, b = await _ctx(), await _ctx()
    await dunning.add_forbidden_phrase(a, "上门")
    with pytest.raises(ForbiddenPhrase):
        await dunning.save_template(a, "X_NOTE", "我们将上门拜访")
    await dunning.save_template(b, "X_NOTE", "我们将上门拜访")  # store B's list is its own
    assert await dunning.add_forbidden_phrase_for_stores(PlatformContext(actor_label="ops"), "拘留",
                                                         [b.tenant_id]) == 1
    assert "拘留" in await dunning.forbidden_phrases(b)
    assert "拘留" not in await dunning.forbidden_phrases(a)


async def test_a_disabled_step_never_runs(jobs_stub: Any) -> None:
    w = await world(phone="13912340401")
    await dunning.save_ladder_step(w.ctx, day_offset=1, action="sms", template_code="DUNNING_DAY1_SMS", enabled=False)
    await fail(w)
    await tick(jobs_stub)
    await advance(w.ctx, days=2)
    await tick(jobs_stub)
    assert "DUNNING_DAY1_SMS" not in {m.template for m in await inbox(w.ctx)}
    with pytest.raises(ValidationFailed):
        await dunning.save_ladder_step(w.ctx, day_offset=2, action="call_the_police")
