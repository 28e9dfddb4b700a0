"""The dunning due work (no actors here: listing due work must not declare actors)."""

from __future__ import annotations

from datetime import timedelta

from pawpay.platform.jobs.due import LeasedRowWork

RUN_DUNNING_CASE = "run_dunning_case"
RESUME_DUNNING_PAUSE = "resume_dunning_pause"
CHARGE_TERMINATION_PENALTY = "charge_termination_penalty"
DUNNING_QUEUE = "dunning"

LADDER_WORK = LeasedRowWork(name="dunning.ladder", actor_name=RUN_DUNNING_CASE, table="dunning_case",
                            due_column="next_run_at", match={"status": "open"}, lease=timedelta(minutes=10))
PAUSE_WORK = LeasedRowWork(name="dunning.resume_pause", actor_name=RESUME_DUNNING_PAUSE, table="dunning_pause",
                           due_column="resume_at", match={"status": "active"}, lease=timedelta(minutes=10))
# The lease outlives the provider's money timeout plus the transactions around the call.
PENALTY_WORK = LeasedRowWork(name="dunning.penalty", actor_name=CHARGE_TERMINATION_PENALTY, table="dunning_penalty",
                             due_column="charge_at", lease=timedelta(minutes=2))
DUE_WORK = (LADDER_WORK, PAUSE_WORK, PENALTY_WORK)
