"""The visits' due work: the hourly catch-up planner (visits of recent contracts whose signing
event was lost). No actors here (listing due work must not declare actors)."""

from __future__ import annotations

from datetime import timedelta

from pawpay.platform.jobs.due import PeriodicJob

PLAN_VISITS = "plan_visits"
PLAN_VISITS_JOB = PeriodicJob.every(timedelta(hours=1), job_name="visits.plan_visits", actor_name=PLAN_VISITS)
