"""Stage switching against the real database: the contents of each period follow the pet's age
through the plan chain, the switch is noted and the customer told once, pinned vs latest versions,
store overrides (plan or lines) win with their reason, and another store's contract or pet is missing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.providers.services import provider_for
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.plans import rules, stages
from pawpay.tenants.plans import services as plans
from pawpay.tenants.plans.errors import OverrideInvalid
from pawpay.tenants.plans.services import ContentInput
from tests.integration.plans.stage_support import chain, codes, months_old, pet_born, plan_input, sign

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_each_period_ships_the_stage_the_pet_is_in_on_its_ship_day() -> None:
    c = await chain()
    pet = await pet_born(c, await months_old(c, 4))
    contract = await sign(c, pet)
    schedule = await contracts.installments(c.s.ctx, contract.id)
    boundaries = await plans.get_stage_boundaries(c.s.ctx)
    expected = {"kitten": [("KIT", 2)], "junior": [("JUN", 2)]}
    seen: list[tuple[str, str | None]] = []
    for inst in schedule:
        got = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=inst.sequence,
                                           ship_on=inst.due_on)
        stage = rules.stage_for_age("cat", pet.birthday, inst.due_on, boundaries)
        assert got.stage == stage
        assert got.override_reason is None
        if stage == "adult":
            # The adult plan's period 1 (its first period, whatever the contract's number) adds a paste.
            first_adult = not any(s == "adult" for s, _ in seen)
            assert codes(got.lines) == ([("ADU", 2), ("PASTE", 1)] if first_adult else [("ADU", 2)])
            assert got.plan_id == c.adult.id
        else:
            assert codes(got.lines) == expected[stage]
            assert got.plan_id == (c.kitten.id if stage == "kitten" else c.junior.id)
        seen.append((stage, got.switched_from_stage))
    stages_seen = [s for s, _ in seen]
    assert stages_seen[0] == "kitten"
    assert "junior" in stages_seen
    assert "adult" in stages_seen
    # Exactly the first junior and the first adult period are switches, from the stage before.
    assert [(s, f) for s, f in seen if f is not None] == [("junior", "kitten"), ("adult", "junior")]
    assert seen[stages_seen.index("junior")][1] == "kitten"
    # The money never changes.
    assert {i.amount_fen for i in schedule} == {contract.monthly_amount_fen}


async def test_the_switch_is_noted_once_and_the_customer_told_once_in_chinese() -> None:
    c = await chain(phone="13912340001", openid="ox_stage_note")
    pet = await pet_born(c, await months_old(c, 5, days_more=1))
    contract = await sign(c, pet)
    schedule = await contracts.installments(c.s.ctx, contract.id)
    boundaries = await plans.get_stage_boundaries(c.s.ctx)
    first_junior = next(i for i in schedule
                        if rules.stage_for_age("cat", pet.birthday, i.due_on, boundaries) == "junior")
    got = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=first_junior.sequence,
                                       ship_on=first_junior.due_on)
    assert got.switched_from_stage == "kitten"
    assert await stages.note_stage_switch(c.s.ctx, contract_id=contract.id, sequence=first_junior.sequence,
                                          contents=got) is True
    assert await stages.note_stage_switch(c.s.ctx, contract_id=contract.id, sequence=first_junior.sequence,
                                          contents=got) is False
    # Asked again for the same period: still its switch; a later period shipping junior food is not.
    again = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=first_junior.sequence,
                                         ship_on=first_junior.due_on)
    assert again.switched_from_stage == "kitten"
    later = schedule[first_junior.sequence]  # the next period
    if rules.stage_for_age("cat", pet.birthday, later.due_on, boundaries) == "junior":
        nxt = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=later.sequence,
                                           ship_on=later.due_on)
        assert nxt.switched_from_stage is None
    switches = await stages.list_switches(c.s.ctx, pet_id=pet.id)
    assert [(x.from_stage, x.to_stage, x.sequence) for x in switches] == [("kitten", "junior",
                                                                          first_junior.sequence)]
    messages = [m for m in await customers.list_messages(c.s.ctx, c.s.customer.id)
                if m.template in (stages.SMS_TEMPLATE, stages.MINI_PROGRAM_TEMPLATE)]
    assert sorted(m.channel for m in messages) == ["mini_program", "sms"]
    assert all("团子已进入青年期" in m.body and "青年猫套餐" in m.body and "月付金额不变" in m.body for m in messages)
    provider, pctx = await provider_for(c.s.ctx, "notifications")
    sent = [m for m in provider.inbox(pctx, recipient="13912340001") if m.template == stages.SMS_TEMPLATE]
    assert len(sent) == 1
    entries, _ = await list_entries(c.s.ctx, AuditFilter(target_type="contract", target_id=str(contract.id)))
    assert [e.action for e in entries].count("plans.stage_switched") == 1


async def test_a_period_that_is_no_switch_notes_nothing() -> None:
    c = await chain(phone="13912340002")
    pet = await pet_born(c, await months_old(c, 1))
    contract = await sign(c, pet)
    first = (await contracts.installments(c.s.ctx, contract.id))[0]
    got = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=1, ship_on=first.due_on)
    assert got.switched_from_stage is None
    assert codes(got.lines) == [("KIT", 2)]
    assert await stages.note_stage_switch(c.s.ctx, contract_id=contract.id, sequence=1, contents=got) is False
    assert await stages.list_switches(c.s.ctx, contract_id=contract.id) == []


async def test_the_contract_ships_its_pinned_version_and_the_next_stage_its_latest() -> None:
    c = await chain(phone="13912340003")
    pet = await pet_born(c, await months_old(c, 5, days_more=1))
    contract = await sign(c, pet)
    schedule = await contracts.installments(c.s.ctx, contract.id)
    # After signing, the store changes both plans' food quantities.
    await plans.update_plan(c.s.ctx, c.kitten.id, plan_input("幼猫套餐", "kitten", [(c.skus["KIT"], 3)],
                                                             next_stage=c.junior), confirm_amount_warning=True)
    junior_v2 = await plans.update_plan(c.s.ctx, c.junior.id, plan_input("青年猫套餐", "junior", [(c.skus["JUN"], 5)],
                                                                        next_stage=c.adult),
                                        confirm_amount_warning=True)
    first = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=1, ship_on=schedule[0].due_on)
    assert (first.plan_id, first.plan_version, codes(first.lines)) == (c.kitten.id, 1, [("KIT", 2)])
    late = schedule[-1]
    boundaries = await plans.get_stage_boundaries(c.s.ctx)
    assert rules.stage_for_age("cat", pet.birthday, schedule[3].due_on, boundaries) == "junior"
    got = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=4, ship_on=schedule[3].due_on)
    assert (got.plan_id, got.plan_version, codes(got.lines)) == (c.junior.id, junior_v2.version, [("JUN", 5)])
    assert late.amount_fen == contract.monthly_amount_fen


async def test_a_kitten_to_adult_chain_keeps_a_junior_pet_on_kitten_food() -> None:
    c = await chain(phone="13912340004", kitten_to_adult=True)
    pet = await pet_born(c, await months_old(c, 7))
    contract = await sign(c, pet)
    schedule = await contracts.installments(c.s.ctx, contract.id)
    boundaries = await plans.get_stage_boundaries(c.s.ctx)
    for inst in schedule:
        got = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=inst.sequence,
                                           ship_on=inst.due_on)
        stage = rules.stage_for_age("cat", pet.birthday, inst.due_on, boundaries)
        assert got.stage == stage
        assert got.plan_id == (c.adult.id if stage == "adult" else c.kitten.id)
        if stage == "junior":
            assert codes(got.lines) == [("KIT", 2)]
            assert got.switched_from_stage is None


async def test_a_late_shipment_is_judged_on_its_ship_day() -> None:
    c = await chain(phone="13912340005")
    pet = await pet_born(c, await months_old(c, 2))
    contract = await sign(c, pet)
    first = (await contracts.installments(c.s.ctx, contract.id))[0]
    # The pet turns junior five days after the first debit (its birthday corrected to make it so).
    pet = await customers.update_pet(c.s.ctx, pet.id, name=pet.name, species="cat",
                                     birthday=rules.add_months(first.due_on, -6) + timedelta(days=5))
    junior_on = rules.stage_starts("cat", pet.birthday, await plans.get_stage_boundaries(c.s.ctx))[1][1]
    assert first.due_on < junior_on  # due as a kitten period, shipped late as a junior one
    due = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=1, ship_on=first.due_on)
    assert due.stage == "kitten"
    assert codes(due.lines) == [("KIT", 2)]
    got = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=1, ship_on=junior_on)
    assert got.stage == "junior"
    assert codes(got.lines) == [("JUN", 2)]
    assert got.switched_from_stage == "kitten"


async def test_a_store_override_wins_with_its_reason_and_clearing_it_restores_the_chain() -> None:
    c = await chain(phone="13912340006")
    pet = await pet_born(c, await months_old(c, 2))
    contract = await sign(c, pet)
    first = (await contracts.installments(c.s.ctx, contract.id))[0]
    hypo_adult = await plans.create_plan(c.s.ctx, plan_input("低敏成猫", "adult", [(c.skus["HYPO"], 3)]),
                                         confirm_amount_warning=True)
    hypo = await plans.create_plan(c.s.ctx, plan_input("低敏幼猫", "kitten", [(c.skus["HYPO"], 2)],
                                                       next_stage=hypo_adult), confirm_amount_warning=True)
    view = await stages.set_override(c.s.ctx, pet.id, plan_id=hypo.id, reason="  肠胃敏感，改低敏粮 ")
    assert (view.plan_id, view.plan_name, view.reason) == (hypo.id, "低敏幼猫", "肠胃敏感，改低敏粮")
    got = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=1, ship_on=first.due_on)
    assert (got.plan_id, codes(got.lines), got.override_reason) == (hypo.id, [("HYPO", 2)], "肠胃敏感，改低敏粮")
    # The override plan's own chain applies when the pet is adult.
    adult_day = rules.stage_starts("cat", pet.birthday, await plans.get_stage_boundaries(c.s.ctx))[2][1]
    grown = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=12, ship_on=adult_day)
    assert grown.plan_id == hypo_adult.id
    assert codes(grown.lines) == [("HYPO", 3)]
    # Explicit lines replace the plan override; they ship as they are.
    lines_view = await stages.set_override(c.s.ctx, pet.id, reason="兽医建议",
                                           lines=[ContentInput("sku", c.skus["PASTE"].id, 4)])
    assert lines_view.plan_id is None
    assert codes(lines_view.lines) == [("PASTE", 4)]
    got = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=12, ship_on=adult_day)
    assert (codes(got.lines), got.override_reason, got.switched_from_stage) == ([("PASTE", 4)], "兽医建议", None)
    assert got.plan_id == c.adult.id  # the plan the pet would have had
    assert await stages.clear_override(c.s.ctx, pet.id, reason="恢复正常") is True
    assert await stages.clear_override(c.s.ctx, pet.id, reason="恢复正常") is False
    got = await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=1, ship_on=first.due_on)
    assert (got.plan_id, got.override_reason) == (c.kitten.id, None)
    entries, _ = await list_entries(c.s.ctx, AuditFilter(target_type="customer", target_id=str(c.s.customer.id)))
    actions = [e.action for e in entries]
    assert actions.count("plans.pet_override_set") == 2
    assert actions.count("plans.pet_override_cleared") == 1


async def test_bad_overrides_are_refused_and_change_nothing() -> None:
    c = await chain(phone="13912340007")
    pet = await pet_born(c, await months_old(c, 2))
    dog_plan = await plans.create_plan(c.s.ctx, plan_input("幼犬", "puppy", [(c.skus["KIT"], 1)], species="dog"),
                                       confirm_amount_warning=True)
    with pytest.raises(ValidationFailed) as no_reason:
        await stages.set_override(c.s.ctx, pet.id, plan_id=c.adult.id, reason="   ")
    assert no_reason.value.data["field"] == "reason"
    with pytest.raises(OverrideInvalid):
        await stages.set_override(c.s.ctx, pet.id, reason="x")
    with pytest.raises(OverrideInvalid):
        await stages.set_override(c.s.ctx, pet.id, reason="x", plan_id=c.adult.id,
                                  lines=[ContentInput("sku", c.skus["PASTE"].id, 1)])
    with pytest.raises(OverrideInvalid):
        await stages.set_override(c.s.ctx, pet.id, reason="x", plan_id=dog_plan.id)
    with pytest.raises(ValidationFailed):
        await stages.set_override(c.s.ctx, pet.id, reason="x", lines=[ContentInput("sku", c.skus["PASTE"].id, 0)])
    with pytest.raises(NotFound):
        await stages.set_override(c.s.ctx, pet.id, reason="x", lines=[ContentInput("sku", uuid.uuid4(), 1)])
    assert await stages.get_override(c.s.ctx, pet.id) is None


async def test_sequence_outside_the_contract_is_refused() -> None:
    c = await chain(phone="13912340008")
    pet = await pet_born(c, await months_old(c, 2))
    contract = await sign(c, pet)
    for bad in (0, contract.periods + 1):
        with pytest.raises(ValidationFailed) as err:
            await stages.period_contents(c.s.ctx, contract_id=contract.id, sequence=bad,
                                         ship_on=contract.first_due_on)
        assert err.value.data["field"] == "sequence"


async def test_another_stores_contract_and_pet_are_missing() -> None:
    c = await chain(phone="13912340009")
    pet = await pet_born(c, await months_old(c, 2))
    contract = await sign(c, pet)
    other = await create_store()
    octx = TenantContext(tenant_id=other.tenant_id, actor_id=other.manager_id, actor_label="test")
    with pytest.raises(NotFound):
        await stages.period_contents(octx, contract_id=contract.id, sequence=1, ship_on=contract.first_due_on)
    with pytest.raises(NotFound):
        await stages.set_override(octx, pet.id, plan_id=c.adult.id, reason="x")
    with pytest.raises(NotFound):
        await stages.pet_stage(octx, pet.id)
    assert await stages.get_override(octx, pet.id) is None
    assert await stages.list_switches(octx, pet_id=pet.id) == []


async def test_pet_stage_today_and_the_next_switch() -> None:
    c = await chain(phone="13912340010")
    pet = await pet_born(c, await months_old(c, 3))
    view = await stages.pet_stage(c.s.ctx, pet.id)
    assert view.stage == "kitten"
    assert view.next_stage == "junior"
    assert view.next_stage_on == rules.add_months(pet.birthday, 6)
    assert view.override is None
    assert view.switches == ()


async def test_plan_for_pet_follows_the_same_chain_rule_as_the_shipments() -> None:
    c = await chain(phone="13912340011", kitten_to_adult=True)
    born = await months_old(c, 7)  # junior today
    today = rules.add_months(born, 7)
    assert (await plans.plan_for_pet(c.s.ctx, c.kitten.id, birthday=born, on_date=today)).id == c.kitten.id
    adult_day = rules.add_months(born, 12)
    assert (await plans.plan_for_pet(c.s.ctx, c.kitten.id, birthday=born, on_date=adult_day)).id == c.adult.id
