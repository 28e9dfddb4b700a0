"""Request and response bodies of ``/api/v1/plans``."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class ContentBody(msgspec.Struct):
    item_type: str  # sku | service
    item_id: uuid.UUID
    quantity: int = 1


class PlanBody(msgspec.Struct):
    name: str
    species: str
    stage: str
    periods: int
    monthly_amount_fen: int
    breed: str = ""
    description: str = ""
    contents: list[ContentBody] = msgspec.field(default_factory=list)
    period_overrides: dict[int, list[ContentBody]] = msgspec.field(default_factory=dict)
    gift_text: str = ""
    gift_value_fen: int = 0
    debit_days: list[int] = msgspec.field(default_factory=lambda: [5, 10, 15])
    penalty_rate_bp: int = 1000
    cooling_off_days: int | None = None
    next_stage_plan_id: uuid.UUID | None = None
    # Accept a monthly amount outside the operator's policy bounds (PLAN_AMOUNT_OUTSIDE_POLICY).
    confirm_amount_warning: bool = False
    # Update only: the version the client edited (PLAN_VERSION_CONFLICT if another save came first).
    expected_version: int | None = None


class ContentLineOut(msgspec.Struct):
    item_type: str
    item_id: uuid.UUID
    code: str
    name: str
    kind: str
    unit: str
    quantity: int


class PlanOut(msgspec.Struct):
    id: uuid.UUID
    version: int
    current_version: int
    active: bool
    name: str
    description: str
    species: str
    breed: str
    stage: str
    periods: int
    monthly_amount_fen: int
    total_fen: int
    contents: list[ContentLineOut]
    period_overrides: dict[str, list[ContentLineOut]]
    gift_text: str
    gift_value_fen: int
    debit_days: list[int]
    penalty_rate_bp: int
    penalty_rule: str
    cooling_off_days: int
    next_stage_plan_id: uuid.UUID | None
    amount_warning_confirmed: bool
    created_at: datetime
    created_by: str
    signing_start_path: str = ""


class StageBoundariesBody(msgspec.Struct):
    junior_from_months: int
    adult_from_months: int


class StageBoundariesOut(msgspec.Struct):
    junior_from_months: int
    adult_from_months: int


class AmountCheckOut(msgspec.Struct):
    amount_fen: int
    warn: bool
    warn_min_fen: int
    warn_max_fen: int
    provider: str
    per_debit_max_fen: int | None
    daily_max_fen: int | None


class OverrideBody(msgspec.Struct):
    """A pet override: ``plan_id`` (another plan of the pet's species) or ``lines``, and a reason."""

    reason: str
    plan_id: uuid.UUID | None = None
    lines: list[ContentBody] = msgspec.field(default_factory=list)


class ClearOverrideBody(msgspec.Struct):
    reason: str


class OverrideOut(msgspec.Struct):
    pet_id: uuid.UUID
    plan_id: uuid.UUID | None
    plan_name: str
    lines: list[ContentLineOut]
    reason: str
    set_by: str
    updated_at: datetime


class ClearedOut(msgspec.Struct):
    cleared: bool


class StageSwitchOut(msgspec.Struct):
    id: uuid.UUID
    pet_id: uuid.UUID
    contract_id: uuid.UUID
    sequence: int
    from_stage: str
    to_stage: str
    plan_id: uuid.UUID
    plan_version: int
    created_at: datetime


class PetStageOut(msgspec.Struct):
    pet_id: uuid.UUID
    species: str
    birthday: date
    today: date
    stage: str
    next_stage: str | None
    next_stage_on: date | None
    override: OverrideOut | None
    switches: list[StageSwitchOut]


class PeriodContentsOut(msgspec.Struct):
    contract_id: uuid.UUID
    sequence: int
    ship_on: date
    plan_id: uuid.UUID
    plan_version: int
    stage: str
    lines: list[ContentLineOut]
    switched_from_stage: str | None
    override_reason: str | None
