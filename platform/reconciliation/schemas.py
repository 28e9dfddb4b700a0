"""Bodies of the reconciliation API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class ReconRunOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    business_day: date
    status: str
    provider_name: str
    statement_lines: int
    ledger_records: int
    matched: int
    differences: int
    open_differences: int
    statement_sha256: str
    error: str
    runs: int
    ran_at: datetime
    ran_by: str
    tenant_name: str = ""


class DifferenceOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    business_day: date
    kind: str
    record_type: str
    reference: str
    attempt_id: str
    provider_fen: int | None
    ledger_fen: int | None
    status: str
    resolution: str
    resolved_by: str
    resolved_at: datetime | None
    found_at: datetime
    tenant_name: str = ""


class RunOutcomeOut(msgspec.Struct):
    tenant_id: uuid.UUID
    run: ReconRunOut | None
    error: str


class ResolveBody(msgspec.Struct):
    reason: str
