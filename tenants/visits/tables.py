"""Follow-up visits (回访): one row per (contract, day after adoption). Tenant table."""

from __future__ import annotations

from piccolo.columns import Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class Visit(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    contract_id = UUID(default=None, null=False)
    customer_id = UUID(default=None, null=False)
    pet_id = UUID(default=None, null=False)
    # Copied when the visit is planned, so the due list needs no other component's tables.
    contract_no = Varchar(length=32)
    pet_name = Varchar(length=100)
    customer_name_masked = Varchar(length=64)
    customer_phone_masked = Varchar(length=32)
    day = Integer()  # 7 | 30: days after adoption
    adopted_on = Date()  # the day counted from (the pet's adoption date, else the signing day)
    due_on = Date()  # store-local; moves when the customer could not be reached
    assignee_id = UUID(null=True, default=None)
    status = Varchar(length=16)  # open | done | cancelled
    unreachable_count = Integer(default=0)
    last_unreachable_note = Text(default="")
    settled = Varchar(length=16, default="")  # yes | somewhat | no
    feeding_questions = Text(default="")
    satisfaction = Integer(null=True, default=None)  # 1..5
    notes = Text(default="")
    completed_at = Timestamptz(null=True, default=None)
    completed_by = Varchar(length=255, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()

    visit_uq_tenant_contract_day = Unique([tenant_id, contract_id, day])
