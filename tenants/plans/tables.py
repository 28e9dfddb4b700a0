"""Plans (月付套餐) and their immutable versions; the store's stage boundaries. Tenant tables.

``plan`` is the mutable head (active flag, current version, filter columns copied from the
current version); ``plan_version`` rows are append-only (the database refuses UPDATE/DELETE):
a contract pins ``(plan_id, version)`` and a later save never changes what it signed.
"""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class Plan(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    name = Varchar(length=200)
    species = Varchar(length=8)  # cat | dog
    breed = Varchar(length=100, default="")  # blank: any breed
    stage = Varchar(length=16)  # kitten | puppy | junior | adult
    monthly_amount_fen = BigInt()
    periods = Integer()
    next_stage_plan_id = UUID(null=True, default=None)
    current_version = Integer()
    active = Boolean(default=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()

    plan_uq_tenant_id = Unique([tenant_id, id])


class PlanVersion(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    plan_id = UUID(default=None, null=False)
    version = Integer()
    name = Varchar(length=200)
    description = Text(default="")
    species = Varchar(length=8)
    breed = Varchar(length=100, default="")
    stage = Varchar(length=16)
    periods = Integer()
    monthly_amount_fen = BigInt()
    # {"each_period": [line, ...], "overrides": {"3": [line, ...]}}; a line snapshots the catalog item.
    contents = JSONB()
    gift_text = Varchar(length=200, default="")
    gift_value_fen = BigInt(default=0)
    debit_days = JSONB()  # sorted subset of [5, 10, 15]
    penalty_rate_bp = Integer()
    cooling_off_days = Integer()
    next_stage_plan_id = UUID(null=True, default=None)
    amount_warning_confirmed = Boolean(default=False)
    created_at = Timestamptz()
    created_by = Varchar(length=255, default="")

    plan_version_uq_plan_version = Unique([tenant_id, plan_id, version])


class PlanSettings(Table):
    """A store's stage boundaries in months (no row: the defaults, junior from 6, adult from 12)."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False)
    junior_from_months = Integer()
    adult_from_months = Integer()
    updated_at = Timestamptz()

    plan_settings_uq_tenant = Unique([tenant_id])


class PetPlanOverride(Table):
    """A store's decision for one pet (e.g. sensitive stomach → a hypoallergenic plan): either another
    plan (``plan_id``, whose own next-stage chain then applies) or explicit lines; always a reason.
    At most one per pet; clearing deletes the row (the audit log keeps the history)."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    pet_id = UUID(default=None, null=False)
    plan_id = UUID(null=True, default=None)
    lines = JSONB(default=[])  # snapshots like a plan version's lines; used when plan_id is null
    reason = Text()
    set_by = Varchar(length=255, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()

    pet_plan_override_uq_tenant_pet = Unique([tenant_id, pet_id])


class PlanStageSwitch(Table):
    """A pet's move to a new stage's contents, noted once per (pet, stage) by the period that first
    shipped them; the customer is told once, when the row is written."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    pet_id = UUID(default=None, null=False)
    contract_id = UUID(default=None, null=False)
    sequence = Integer()
    from_stage = Varchar(length=16)
    to_stage = Varchar(length=16)
    plan_id = UUID(default=None, null=False)
    plan_version = Integer()
    created_at = Timestamptz()

    plan_stage_switch_uq_tenant_pet_stage = Unique([tenant_id, pet_id, to_stage])
