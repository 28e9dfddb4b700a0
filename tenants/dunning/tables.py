"""Dunning tables (tenant tables, RLS in the raw migration).

- ``dunning_ladder_step``: the store's ladder as data (day offset, action, template, assignee role).
- ``dunning_template``: the store's message templates (zh-CN defaults seeded lazily).
- ``dunning_forbidden_phrase``: extra phrases refused in templates (on top of the built-in list).
- ``dunning_case``: one per failed installment; ``next_run_at`` is the due column of the ladder work.
- ``dunning_step_run``: each step of a case runs once (unique (case, step)).
- ``dunning_contact``: every contact with the customer or the store, per installment.
- ``dunning_task``: staff tasks (follow-ups, phone reminders, promises to pay, escalations).
- ``dunning_action``: every staff action (call notes, extensions, retries, pauses...).
- ``dunning_pause``: pauses of a contract's installments (pet illness, staff pause); ``resume_at`` is due work.
- ``dunning_ending``: pet death/loss, exchange, cooling-off cancellation and early termination records.
- ``dunning_penalty``: the early-termination penalty charge (due work ``charge_at``), see penalty.py.
"""

from __future__ import annotations

from piccolo.columns import JSONB, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class DunningLadderStep(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    day_offset = Integer()
    action = Varchar(length=24)  # sms | mini_program | task | extension_offer | escalate
    template_code = Varchar(length=64, default="")
    assignee_role = Varchar(length=32, default="")
    enabled = Boolean(default=True)
    created_at = Timestamptz()

    dunning_ladder_step_uq_tenant_day_action = Unique([tenant_id, day_offset, action])


class DunningTemplate(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    code = Varchar(length=64)
    body = Text(default="")
    updated_at = Timestamptz()
    updated_by = Varchar(length=255, default="")

    dunning_template_uq_tenant_code = Unique([tenant_id, code])


class DunningForbiddenPhrase(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    phrase = Varchar(length=64)
    added_by = Varchar(length=255, default="")
    created_at = Timestamptz()

    dunning_forbidden_phrase_uq_tenant_phrase = Unique([tenant_id, phrase])


class DunningCase(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    installment_id = UUID(default=None, null=False)
    contract_id = UUID(default=None, null=False)
    status = Varchar(length=16)  # open | closed
    opened_at = Timestamptz()  # the first failure: day offsets count from here
    last_attempt_id = Varchar(length=128, default="")
    last_error_code = Varchar(length=64, default="")
    failures = Integer(default=0)
    extension_until = Timestamptz(null=True, default=None)
    paused_until = Timestamptz(null=True, default=None)
    next_run_at = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    close_reason = Varchar(length=32, default="")
    updated_at = Timestamptz()

    dunning_case_uq_tenant_installment = Unique([tenant_id, installment_id])
    dunning_case_uq_tenant_id = Unique([tenant_id, id])


class DunningStepRun(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    case_id = UUID(default=None, null=False)
    step_id = UUID(default=None, null=False)
    day_offset = Integer()
    action = Varchar(length=24)
    outcome = Varchar(length=32, default="")
    ran_at = Timestamptz()

    dunning_step_run_uq_case_step = Unique([tenant_id, case_id, step_id])


class DunningContact(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    case_id = UUID(null=True, default=None)
    installment_id = UUID(null=True, default=None)
    contract_id = UUID(null=True, default=None)
    channel = Varchar(length=24)  # sms | mini_program | phone | wechat | store
    template_code = Varchar(length=64, default="")
    body = Text(default="")
    outcome = Varchar(length=32, default="")
    detail = Text(default="")
    actor = Varchar(length=255, default="")
    created_at = Timestamptz()


class DunningTask(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    kind = Varchar(length=32)
    installment_id = UUID(null=True, default=None)
    contract_id = UUID(null=True, default=None)
    case_id = UUID(null=True, default=None)
    assignee_id = UUID(null=True, default=None)
    assignee_role = Varchar(length=32, default="")
    due_at = Timestamptz()
    promised_on = Date(null=True, default=None)
    status = Varchar(length=16)  # open | done | cancelled
    note = Text(default="")
    created_at = Timestamptz()
    done_at = Timestamptz(null=True, default=None)
    done_by = Varchar(length=255, default="")


class DunningAction(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    kind = Varchar(length=32)
    installment_id = UUID(null=True, default=None)
    contract_id = UUID(null=True, default=None)
    case_id = UUID(null=True, default=None)
    actor = Varchar(length=255, default="")
    actor_id = UUID(null=True, default=None)
    detail = JSONB(default={})
    created_at = Timestamptz()


class DunningPause(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    contract_id = UUID(default=None, null=False)
    kind = Varchar(length=24)  # illness | exchange
    periods = Integer(default=0)
    installment_ids = JSONB(default=[])
    reason = Text(default="")
    agreement = Text(default="")
    status = Varchar(length=16)  # active | ended
    resume_at = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    created_by = Varchar(length=255, default="")
    created_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)


class DunningEnding(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    contract_id = UUID(default=None, null=False)
    kind = Varchar(length=24)  # termination | pet_death | pet_loss | exchange | cooling_off
    status = Varchar(length=24)  # retention_offered | quoted | signing | completed | cancelled
    reason = Text(default="")
    retention = JSONB(default={})
    remaining_fen = Integer(default=0)
    penalty_fen = Integer(default=0)
    settlement_fen = Integer(default=0)
    sign_flow_id = Varchar(length=128, default="")
    sign_url = Text(default="")
    agreement_result = Varchar(length=32, default="")
    detail = JSONB(default={})
    created_by = Varchar(length=255, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    completed_at = Timestamptz(null=True, default=None)


class DunningPenalty(Table):
    """The early-termination penalty charged after the termination agreement is signed (issue 7).

    ``charge_at`` is the due column: set while the charge (or, once it is final, the mandate's end at the
    provider) is still to do. ``attempt_id`` (``pen-<ending>``) is the idempotency key at the provider."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    ending_id = UUID(default=None, null=False)
    contract_id = UUID(default=None, null=False)
    contract_no = Varchar(length=64)
    customer_id = UUID(default=None, null=False)
    attempt_id = Varchar(length=64)
    amount_fen = Integer()
    fee_fen = Integer(default=0)
    status = Varchar(length=16)  # due | submitted | unknown | succeeded | failed
    error_code = Varchar(length=64, default="")
    provider_name = Varchar(length=64, default="")
    provider_reference = Varchar(length=255, default="")
    tries = Integer(default=0)
    task_id = UUID(null=True, default=None)
    mandate = Varchar(length=32, default="")  # the mandate's end at the provider, once done
    charge_at = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()

    dunning_penalty_uq_tenant_ending = Unique([tenant_id, ending_id])
    dunning_penalty_uq_tenant_attempt = Unique([tenant_id, attempt_id])
