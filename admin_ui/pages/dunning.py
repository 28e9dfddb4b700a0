"""Staff work queues (``/admin/queues``): due today, failed, overdue by ladder step, my tasks and promises
to pay, with one-click actions (retry now, send a reminder, record a call, grant an extension, move the
debit date, pause); an installment's contact and action log; the store's ladder and message templates
(reviewed against the forbidden phrases); a contract's pauses and endings (illness pause, pet death or
loss, exchange, cooling-off cancellation, early termination with the retention offer first)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form, parse_date
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Shell, field_errors, is_form_error, redirect
from pawpay.platform.errors import NotFound, PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.dunning import endings, rules
from pawpay.tenants.dunning import penalty as penalties
from pawpay.tenants.dunning import services as dunning

PAGE = "/admin/queues"
STAFF_ROLES = frozenset({MANAGER, FRONT_DESK, AFTER_SALES, FINANCE})
ACTION_ROLES = {MANAGER, FRONT_DESK, AFTER_SALES}
ENDING_ROLES = {MANAGER, AFTER_SALES}

TASK_LABELS = {
    "remind_by_phone": N_("Remind by phone/WeChat"),
    "follow_up": N_("Follow-up call"),
    "promise_to_pay": N_("Promise to pay"),
    "escalation": N_("Escalation (compliant legal process)"),
    "call_back": N_("Call back"),
    "penalty_owed": N_("Penalty owed"),
    "other": N_("Other"),
}
OUTCOME_LABELS = {
    "reached": N_("Reached"),
    "no_answer": N_("No answer"),
    "promised": N_("Promised to pay"),
    "refused": N_("Refused"),
    "wrong_number": N_("Wrong number"),
    "other": N_("Other"),
}
# What a contact's outcome column can hold besides a call's outcome.
CONTACT_OUTCOME_LABELS = {
    **OUTCOME_LABELS, "succeeded": N_("Delivered to the provider"), "pending": N_("Sent, awaiting delivery"),
    "failed": N_("Not delivered"), "error": N_("Not sent (provider error)"), "unknown": N_("Outcome unknown"),
    "not_submitted": N_("Not sent"), "no_openid": N_("No mini-program subscription"), "recorded": N_("Recorded"),
    "escalated": N_("Escalated"),
}
ACTION_LABELS = {
    "sms": N_("SMS"),
    "mini_program": N_("Mini-program message"),
    "task": N_("Follow-up task"),
    "extension_offer": N_("Extension coupon"),
    "escalate": N_("Escalate to the manager"),
}
ENDING_LABELS = {
    "termination": N_("Early termination"),
    "pet_death": N_("Pet death"),
    "pet_loss": N_("Pet loss"),
    "exchange": N_("Week cat/dog exchange"),
    "cooling_off": N_("Cooling-off cancellation"),
}
ENDING_STATUS_LABELS = {
    "retention_offered": N_("Retention offered"),
    "retained": N_("Retained"),
    "quoted": N_("Penalty shown"),
    "signing": N_("Awaiting the customer's signature"),
    "completed": N_("Completed"),
}
# The early-termination penalty's charge (tenants/dunning/penalty.py).
PENALTY_STATUS_LABELS = {
    "due": N_("To be charged"), "submitted": N_("Charge sent to the provider"),
    "unknown": N_("Charge being confirmed"), "succeeded": N_("Penalty collected"),
    "failed": N_("Owed: the charge was declined"), "paid_to_store": N_("Paid to the store directly"),
    "waived": N_("Waived"),
}
MANDATE_LABELS = {"awaiting_penalty": N_("Ends after the penalty charge")}
STATUS_LABELS = {
    # installments and contracts
    "due": N_("Awaiting debit"), "paid": N_("Paid"), "failed": N_("Failed"), "paused": N_("Paused"),
    "waived": N_("Waived"), "cancelled": N_("Cancelled"), "active": N_("In force"), "completed": N_("Completed"),
    "terminated": N_("Terminated"),
    # cases, tasks, pauses
    "open": N_("Open"), "closed": N_("Closed"), "done": N_("Done"), "ended": N_("Ended"),
    # debit attempts
    "planned": N_("Planned"), "submitted": N_("Sent to the provider"), "succeeded": N_("Succeeded"),
    "unknown": N_("Being confirmed"),
}
CHANNEL_LABELS = {
    "sms": N_("SMS"), "mini_program": N_("Mini-program message"), "phone": N_("Phone call"),
    "wechat": N_("WeChat"), "store": N_("Store notice"),
}
KIND_LABELS = {
    "illness": N_("Pet illness"), "exchange": N_("Week cat/dog exchange"),
    "call_recorded": N_("Call recorded"), "promise_to_pay": N_("Promise to pay"),
    "extension_offered": N_("Extension coupon offered"), "extension_granted": N_("Extension granted"),
    "collection_paused": N_("Collection paused"), "retry_now": N_("Retry now"), "reminder_sent": N_("Reminder sent"),
    "debit_date_moved": N_("Debit date moved"), "task_done": N_("Task done"), "illness_pause": N_("Illness pause"),
    "pause_ended": N_("Pause ended"), "pet_death": N_("Pet death"), "pet_loss": N_("Pet loss"),
    "cooling_off_cancelled": N_("Cooling-off cancellation"), "retention_offered": N_("Retention offered"),
    "retention_accepted": N_("Retention accepted"), "retention_declined": N_("Retention declined"),
    "termination_signing_started": N_("Termination agreement sent for signature"), "terminated": N_("Terminated"),
    "mandate_termination_retried": N_("Mandate termination retried"),
    "penalty_collected": N_("Penalty collected"), "penalty_failed": N_("Penalty charge declined"),
    "penalty_paid_to_store": N_("Penalty paid to the store directly"), "penalty_waived": N_("Penalty waived"),
    "penalty_late_success": N_("The provider reports the penalty collected after all: check for a double payment"),
}
LABELS = {"status_labels": STATUS_LABELS, "channel_labels": CHANNEL_LABELS, "kind_labels": KIND_LABELS}
SERVICE_MESSAGES = (
    N_("a reason is required"),
    N_("notes are required"),
    N_("unknown call outcome"),
    N_("the promised date is in the past"),
    N_("1 to 30 days"),
    N_("1 to 60 days"),
    N_("this installment has no dunning case"),
    N_("the template contains forbidden phrases"),
    N_("unknown placeholders"),
    N_("a text of 1 to 500 characters"),
    N_("a template code of letters, digits and _"),
    N_("unknown action"),
    N_("the day is 0 to 365"),
    N_("a pause is 1 or 2 periods"),
    N_("record the agreement with the customer"),
    N_("not enough open periods to pause"),
    N_("only an active contract can be paused"),
    N_("the date is in the future"),
    N_("record the customer's answer to the retention offer first"),
    N_("the termination agreement is not signed"),
    N_("the retention offer was answered already"),
    N_("only an active contract can be terminated"),
    N_("the cooling-off period has ended"),
    N_("billing is not available yet"),
    N_("a phrase of 1 to 64 characters"),
    N_("choose one of the store's templates"),
    N_("only a declined, owed penalty can be settled by hand"),
    N_("a note of 1 to 500 characters is required (how it was paid, or why it is waived)"),
    N_("outcome must be paid_to_store or waived"),
)


def _refusal(exc: PawPayError) -> Any:
    """The service's reason as the flash message itself, so the catalog translates it (a detail with a
    "%" would be read as a placeholder: it goes in as a parameter, untranslated)."""
    if "%" in exc.detail:
        return flash(N_("Not done: %(reason)s"), "error", reason=exc.detail)
    return flash(exc.detail, "error")


def _fail(exc: PawPayError) -> Redirect:
    return redirect(PAGE, _refusal(exc))


async def _queues_page(shell: Shell, ctx: Any) -> Template:
    from pawpay.tenants.billing import services as billing

    me = shell.principal.account_id
    failed = await dunning.case_queue(ctx)
    return shell.render("dunning/queues.html", {**LABELS,
        "due_today": await billing.debits_due_today(ctx),
        "failed": failed,
        "overdue": await dunning.overdue_by_step(ctx, failed),
        "my_tasks": [t for t in await dunning.list_tasks(ctx, assignee_id=me) if t.kind != "promise_to_pay"]
        if me else [],
        "open_tasks": await dunning.list_tasks(ctx),
        "promises": await dunning.list_tasks(ctx, kind="promise_to_pay"),
        "task_labels": TASK_LABELS, "today": await dunning.store_today(ctx),
        "can_act": bool(ACTION_ROLES & shell.principal.roles),
    })


async def _installment_page(shell: Shell, ctx: Any, installment_id: uuid.UUID, *, errors: FieldErrors | None = None,
                            values: dict[str, str] | None = None, status_code: int = 200) -> Template:
    from pawpay.tenants.billing import services as billing
    from pawpay.tenants.contracts import services as contracts

    inst = await contracts.get_installment(ctx, installment_id)
    contract = await contracts.get_contract(ctx, inst.contract_id)
    return shell.render("dunning/installment.html", {**LABELS,
        "inst": inst, "contract": contract, "case": await dunning.get_case(ctx, installment_id),
        "contacts": await dunning.list_contacts(ctx, installment_id=installment_id),
        "actions": await dunning.list_actions(ctx, installment_id=installment_id),
        "tasks": await dunning.list_tasks(ctx, installment_id=installment_id, status=None),
        "attempts": await billing.installment_debits(ctx, installment_id),
        "task_labels": TASK_LABELS, "outcomes": list(OUTCOME_LABELS.items()), "outcome_labels": CONTACT_OUTCOME_LABELS,
        "errors": errors or {}, "values": values or {}, "can_act": bool(ACTION_ROLES & shell.principal.roles),
    }, status_code=status_code)


async def _settings_page(shell: Shell, ctx: Any, *, errors: FieldErrors | None = None, editing: str = "",
                         body: str = "", highlighted: str = "", status_code: int = 200) -> Template:
    return shell.render("dunning/settings.html", {**LABELS,
        "ladder": await dunning.list_ladder(ctx), "templates": await dunning.list_templates(ctx),
        "phrases": await dunning.forbidden_phrases(ctx), "action_labels": ACTION_LABELS,
        "actions": list(ACTION_LABELS.items()), "errors": errors or {}, "editing": editing, "body": body,
        "highlighted": highlighted, "can_edit": MANAGER in shell.principal.roles,
    }, status_code=status_code)


async def _contract_page(shell: Shell, ctx: Any, contract_id: uuid.UUID, *, errors: FieldErrors | None = None,
                         status_code: int = 200) -> Template:
    from pawpay.tenants.contracts import services as contracts

    contract = await contracts.get_contract(ctx, contract_id)
    periods, remaining, penalty = await endings.termination_quote(ctx, contract_id)
    all_endings = await endings.list_endings(ctx, contract_id)
    open_termination = next((e for e in all_endings if e.kind == "termination"
                             and e.status in ("retention_offered", "quoted", "signing")), None)
    return shell.render("dunning/contract.html", {**LABELS,
        "contract": contract, "schedule": await contracts.installments(ctx, contract_id),
        "pauses": await endings.list_pauses(ctx, contract_id), "endings": all_endings,
        "open_termination": open_termination, "remaining_periods": periods, "remaining_fen": remaining,
        "penalty_fen": penalty, "penalty_pct": f"{contract.penalty_rate_bp / 100:g}",
        "ending_labels": ENDING_LABELS, "ending_status_labels": ENDING_STATUS_LABELS,
        "penalties": {p.ending_id: p for p in await penalties.list_penalties(ctx, contract_id=contract_id)},
        "penalty_status_labels": PENALTY_STATUS_LABELS, "mandate_labels": MANDATE_LABELS,
        "actions": await dunning.list_actions(ctx, contract_id=contract_id),
        "errors": errors or {}, "can_end": bool(ENDING_ROLES & shell.principal.roles),
        "can_settle": MANAGER in shell.principal.roles, "today": await dunning.store_today(ctx),
    }, status_code=status_code)


class QueuePages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": set(STAFF_ROLES)}
    include_in_schema = False

    @get("/", name="dunning:queues")
    async def index(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        return await _queues_page(await Shell.load(request, ADMIN), ctx)

    # --- an installment: its log and the one-click actions ------------------------------------

    @get("/installments/{installment_id:uuid}", name="dunning:installment")
    async def installment(self, request: Request[Any, Any, Any], ctx: TenantCtx,
                          installment_id: FromPath[uuid.UUID]) -> Template:
        return await _installment_page(await Shell.load(request, ADMIN), ctx, installment_id)

    @post("/installments/{installment_id:uuid}/call", name="dunning:call", opt={"roles": ACTION_ROLES},
          status_code=303)
    async def call(self, request: Request[Any, Any, Any], ctx: TenantCtx,
                   installment_id: FromPath[uuid.UUID]) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        errors: FieldErrors = {}
        promised = parse_date(form.text("promised_on"), "promised_on", errors)
        values = {"note": form.text("note"), "outcome": form.text("outcome"), "promised_on": form.text("promised_on")}
        if not errors:
            try:
                await dunning.record_call(ctx, installment_id, note=form.text("note"), outcome=form.text("outcome"),
                                          promised_on=promised)
            except PawPayError as exc:
                if not is_form_error(exc):
                    raise
                errors = field_errors(exc)
        if errors:
            return await _installment_page(shell, ctx, installment_id, errors=errors, values=values, status_code=422)
        return redirect(f"{PAGE}/installments/{installment_id}", flash(N_("Call recorded.")))

    @post("/installments/{installment_id:uuid}/{action:str}", name="dunning:act", opt={"roles": ACTION_ROLES},
          status_code=303)
    async def act(self, request: Request[Any, Any, Any], ctx: TenantCtx, installment_id: FromPath[uuid.UUID],
                  action: FromPath[str]) -> Redirect:
        form = await Form.read(request)
        back = form.text("back") if form.text("back").startswith(PAGE) else PAGE
        reason = form.text("reason") or {"retry": "staff retry", "remind": "staff reminder"}.get(action, "")
        try:
            if action == "retry":
                await dunning.retry_now(ctx, installment_id, reason=reason)
                message = N_("Debit retried.")
            elif action == "remind":
                await dunning.send_reminder_now(ctx, installment_id, reason=reason)
                message = N_("Reminder sent.")
            elif action == "extension":
                await dunning.grant_extension(ctx, installment_id, days=_int(form.text("days"), rules.EXTENSION_DAYS),
                                              reason=reason)
                message = N_("Extension granted.")
            elif action == "pause":
                await dunning.pause_collection(ctx, installment_id, days=_int(form.text("days"), 7),
                                               reason=reason or "staff pause")
                message = N_("Collection paused.")
            elif action == "move":
                errors: FieldErrors = {}
                new_day = parse_date(form.text("new_due_on"), "new_due_on", errors)
                if new_day is None:
                    return redirect(back, flash(N_("Enter the new debit date."), "error"))
                await dunning.move_debit_date(ctx, installment_id, new_day, reason=reason or "staff moved the date")
                message = N_("Debit date moved.")
            else:
                return redirect(back, flash(N_("Unknown action."), "error"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return redirect(back, _refusal(exc))
        return redirect(back, flash(message))

    @post("/tasks/{task_id:uuid}/done", name="dunning:task_done", opt={"roles": ACTION_ROLES}, status_code=303)
    async def task_done(self, request: Request[Any, Any, Any], ctx: TenantCtx,
                        task_id: FromPath[uuid.UUID]) -> Redirect:
        form = await Form.read(request)
        try:
            await dunning.complete_task(ctx, task_id, note=form.text("note"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return _fail(exc)
        return redirect(PAGE, flash(N_("Task done.")))

    # --- the ladder and templates -------------------------------------------------------------

    @get("/settings", name="dunning:settings")
    async def settings(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        return await _settings_page(await Shell.load(request, ADMIN), ctx)

    @post("/settings/templates", name="dunning:template", opt={"roles": {MANAGER}}, status_code=303)
    async def save_template(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        template_code, body = form.text("code"), form.text("body")
        try:
            await dunning.save_template(ctx, template_code, body)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _settings_page(shell, ctx, errors=field_errors(exc), editing=template_code, body=body,
                                        highlighted=str(exc.data.get("highlighted", "")), status_code=422)
        return redirect(f"{PAGE}/settings", flash(N_("Template %(code)s saved."), code=template_code))

    @post("/settings/ladder", name="dunning:ladder", opt={"roles": {MANAGER}}, status_code=303)
    async def save_step(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        try:
            await dunning.save_ladder_step(ctx, day_offset=_int(form.text("day_offset"), -1),
                                           action=form.text("action"), template_code=form.text("template_code"),
                                           assignee_role=form.text("assignee_role"), enabled=form.flag("enabled"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _settings_page(shell, ctx, errors=field_errors(exc), status_code=422)
        return redirect(f"{PAGE}/settings", flash(N_("Ladder step saved.")))

    @post("/settings/phrases", name="dunning:phrase", opt={"roles": {MANAGER}}, status_code=303)
    async def add_phrase(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        try:
            await dunning.add_forbidden_phrase(ctx, form.text("phrase"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _settings_page(shell, ctx, errors=field_errors(exc), status_code=422)
        return redirect(f"{PAGE}/settings", flash(N_("Phrase added.")))

    # --- a contract's pauses and endings ------------------------------------------------------

    @get("/contracts/{contract_id:uuid}", name="dunning:contract")
    async def contract(self, request: Request[Any, Any, Any], ctx: TenantCtx,
                       contract_id: FromPath[uuid.UUID]) -> Template:
        return await _contract_page(await Shell.load(request, ADMIN), ctx, contract_id)

    @post("/contracts/{contract_id:uuid}/penalties/{penalty_id:uuid}/settle", name="dunning:settle_penalty",
          opt={"roles": {MANAGER}}, status_code=303)
    async def settle_penalty(self, request: Request[Any, Any, Any], ctx: TenantCtx, contract_id: FromPath[uuid.UUID],
                             penalty_id: FromPath[uuid.UUID]) -> Template | Redirect:
        """A declined, owed penalty settled by hand: paid to the store directly, or waived (a manager)."""
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        here = f"{PAGE}/contracts/{contract_id}"
        if (await penalties.get_penalty(ctx, penalty_id)).contract_id != contract_id:
            raise NotFound("penalty not found")
        outcome = form.text("outcome")
        try:
            await penalties.settle_owed(ctx, penalty_id, outcome=outcome, note=form.text("note"))
        except PawPayError as exc:
            if not is_form_error(exc):
                return redirect(here, _refusal(exc))
            return await _contract_page(shell, ctx, contract_id, errors=field_errors(exc), status_code=422)
        return redirect(here, flash(N_("Penalty recorded as paid to the store.") if outcome == "paid_to_store"
                                    else N_("Penalty waived.")))

    @post("/contracts/{contract_id:uuid}/{step:str}", name="dunning:ending", opt={"roles": ENDING_ROLES},
          status_code=303)
    async def ending(self, request: Request[Any, Any, Any], ctx: TenantCtx, contract_id: FromPath[uuid.UUID],
                     step: FromPath[str]) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        errors: FieldErrors = {}
        here = f"{PAGE}/contracts/{contract_id}"
        try:
            message = await _ending_step(ctx, contract_id, step, form, errors, here)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            errors = field_errors(exc)
            message = None
        if errors or message is None:
            return await _contract_page(shell, ctx, contract_id, errors=errors or {"__all__": N_("Unknown action.")},
                                        status_code=422)
        return redirect(here, flash(message))


def _int(raw: str, default: int) -> int:
    try:
        return int(raw) if raw else default
    except ValueError:
        return -1


async def _ending_step(  # noqa: PLR0911, PLR0912 - one branch per step, read top to bottom
    ctx: Any, contract_id: uuid.UUID, step: str, form: Form, errors: FieldErrors, here: str,
) -> str | None:
    reason = form.text("reason")
    ending_id = None
    if form.text("ending_id"):
        try:
            ending_id = uuid.UUID(form.text("ending_id"))
        except ValueError:
            errors["__all__"] = N_("not a valid id")
            return None
        if (await endings.get_ending(ctx, ending_id)).contract_id != contract_id:
            errors["__all__"] = N_("not a valid id")
            return None
    if step == "pause":
        await endings.pause_for_illness(ctx, contract_id, periods=_int(form.text("periods"), 1), reason=reason,
                                        agreement=form.text("agreement"))
        return N_("Debits paused.")
    if step == "pet":
        event_on = parse_date(form.text("event_on"), "event_on", errors)
        if event_on is None:
            errors.setdefault("event_on", N_("enter a date as YYYY-MM-DD"))
            return None
        await endings.record_pet_death(ctx, contract_id, kind=form.text("kind") or "pet_death", event_on=event_on,
                                       reason=reason)
        return N_("Debits stopped and settled pro rata.")
    if step == "exchange":
        await endings.record_exchange(ctx, contract_id, reason=reason, note=form.text("note"))
        return N_("Exchange recorded; debits stopped.")
    if step == "resume_exchange":
        await endings.resume_exchange(ctx, contract_id)
        return N_("Debits resumed.")
    if step == "cooling_off":
        await endings.cancel_in_cooling_off(ctx, contract_id, reason=reason)
        return N_("Contract cancelled without penalty.")
    if step == "terminate":
        await endings.start_termination(ctx, contract_id, reason=reason)
        return N_("Retention offer recorded.")
    if ending_id is None:
        return None
    if step == "retain":
        await endings.accept_retention(ctx, ending_id, offer=form.text("offer"), note=form.text("note"))
        return N_("The customer stays.")
    if step == "decline":
        await endings.decline_retention(ctx, ending_id, note=form.text("note"))
        return N_("Retention declined; the penalty is shown.")
    if step == "sign":
        await endings.start_termination_signing(ctx, ending_id, return_url=here)
        return N_("Termination agreement sent for signature.")
    if step == "complete":
        await endings.complete_termination(ctx, ending_id)
        return N_("Contract terminated.")
    return None


ROUTES: list[Any] = [QueuePages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(N_("Work queues"), PAGE, STAFF_ROLES, order=50)],
}
