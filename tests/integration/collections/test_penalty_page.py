"""The contract's pauses-and-endings page shows the termination penalty's charge: collected with its fee,
or owed after a declined charge with the staff task to collect it."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.tenants.dunning import endings
from pawpay.tenants.dunning import penalty as penalties
from tests.integration.billing.conftest import new_store
from tests.integration.dunning.conftest import move_to_local
from tests.integration.dunning.test_penalty import signed_termination

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


@pytest.mark.parametrize(("amount", "shown", "hidden"), [
    (29_800, ["违约金已收取", "平台服务费", "357.60"], ["催收任务", "扣款失败，仍欠款"]),
    (2_501, ["扣款失败，仍欠款", "INSUFFICIENT_FUNDS", "催收任务", "30.01"], ["违约金已收取"]),
])
async def test_the_ending_page_shows_the_penalty_charge(new_browser: Any, amount: int, shown: list[str],
                                                        hidden: list[str]) -> None:
    store = await new_store()
    await move_to_local(store.ctx, 10)
    c = await store.sign(amount=amount)
    signing = await signed_termination(store.ctx, c.id)
    await endings.complete_termination(store.ctx, signing.id)
    assert (await penalties.list_penalties(store.ctx, contract_id=c.id))[0].status in ("succeeded", "failed")
    browser = await new_browser()
    await browser.sign_in(store.s.store.manager_email)
    page = await browser.get(f"/admin/queues/contracts/{c.id}")
    assert page.status_code == 200
    for text in shown:
        assert text in page.text, text
    for text in hidden:
        assert text not in page.text, text
    assert "立即扣取或确认违约金" not in page.text, "nothing left to charge"
