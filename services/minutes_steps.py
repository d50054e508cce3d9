"""What the services do when a step that declares a hook (services.hooks) is completed: writing, approving,
revising and distributing minutes, agenda research, the MAPP meeting review that approved minutes record, and
changes recorded on ViSOR.

Each hook may check the answers before the engine moves (``check``: field errors, nothing written) and react after
(``after``). Approving minutes moves the case on: the level decision and the next review (counted from the meeting)
complete the case's MAPP meeting review, and the actions become tasks for their owners.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from services import clock, critical_cases, disclosures, forms, rso, rules, sfo, smb, visor
from services.access import log_access
from services.dates import long_date
from services.db import db
from services.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from services.hooks import HOOKS
from services.instances import record, running_phase, tell_visor
from services.lifecycle import agree_action, request_early_review
from services.meetings import meeting_day, require_held, revise, submission_errors
from services.models import AgendaItem, HumanTask, MappaCase, Minutes, User

Check = Callable[[User, HumanTask, dict[str, Any]], list[FieldError]]
React = Callable[[User, HumanTask, dict[str, Any]], None]
REVIEWED = ("level_1", "level_2", "level_3")


@dataclass(frozen=True)
class Hook:
    check: Check | None = None
    after: React | None = None


def authorise_step(user: User, task: HumanTask) -> None:
    """Steps bound to one person whatever their role says: only the meeting's chair approves its minutes
    (another chair is refused, 403, logged as minutes_approval_refused); a Level 1 review is endorsed by a manager
    other than the officer who wrote it (management oversight)."""
    if task.hook == "level1_endorsement":
        _refuse_own_review(user, task)
    if task.hook != "minutes_approval":
        return
    minutes = _require_minutes(task, {})
    chair = minutes.meeting.chair
    if user.id != chair.id:
        log_access(user, "minutes_approval_refused", minutes.case_id, f"task {task.id}, meeting {minutes.meeting_id}")
        raise Forbidden(f"Only the meeting's chair, {chair.display_name}, can approve these minutes. If they cannot, "
                        "the MAPPA coordinator changes the meeting's chair.")


def _refuse_own_review(user: User, task: HumanTask) -> None:
    wrote = db.session.scalar(select(HumanTask.completed_by_id).where(
        HumanTask.instance_id == task.instance_id, HumanTask.hook == "level1_review", HumanTask.state == "completed")
        .order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()).limit(1))
    if wrote == user.id:
        log_access(user, "endorsement_refused", task.case_id, f"task {task.id}: the endorser wrote the review")
        raise Forbidden("You wrote this Level 1 review: another manager must endorse it")


def before_task_completed(user: User, task: HumanTask, answers: dict[str, Any]) -> list[FieldError]:
    """Errors against the step's own form fields, found before anything is written."""
    hook = _HOOKS.get(task.hook or "")
    return hook.check(user, task, answers) if hook is not None and hook.check is not None else []


def after_task_completed(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    hook = _HOOKS.get(task.hook or "")
    if hook is None or hook.after is None:
        return
    try:
        hook.after(user, task, data)
    except ValidationFailed as failed:  # the step is already saved: refuse the whole request rather than keep half
        raise Conflict(
            "This step could not be recorded on the case: " + "; ".join(e.message for e in failed.errors)
        ) from failed
    db.session.flush()


# -- minutes ----------------------------------------------------------------------------------------------------
def _minutes_of(task: HumanTask, data: dict[str, Any]) -> Minutes | None:
    minutes = db.session.scalars(select(Minutes).where(Minutes.process_instance_id == task.instance_id)).first()
    if minutes is None and data.get("minutes_id"):  # a process started before minutes knew their process
        minutes = db.session.get(Minutes, int(data["minutes_id"]))
    return minutes


def _require_minutes(task: HumanTask, data: dict[str, Any]) -> Minutes:
    minutes = _minutes_of(task, data)
    if minutes is None:
        raise NotFound("minutes not found")
    return minutes


def _check_submission(field: str) -> Check:
    def check(user: User, task: HumanTask, answers: dict[str, Any]) -> list[FieldError]:
        minutes = _minutes_of(task, answers)
        if minutes is None:
            return []
        require_held(minutes.meeting)
        return [FieldError(field, f"In the minutes: {e.message}") for e in submission_errors(minutes)]

    return check


def _on_submitted(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    _require_minutes(task, data).status = "awaiting approval"


def _check_approval(user: User, task: HumanTask, answers: dict[str, Any]) -> list[FieldError]:
    minutes = _minutes_of(task, answers)
    if minutes is None or answers.get("approval") != "approve":
        return []
    require_held(minutes.meeting, "approving its minutes")  # minutes of a meeting opened early wait for its day
    return (review_errors(minutes, answers.get("next_review_date") or None) + _late_actions(minutes)
            + disclosures.approval_errors(minutes))


def review_outcome(minutes: Minutes, new_review: str | None) -> dict[str, Any] | None:
    """The MAPP meeting review these minutes record (the chair's new next review date wins), or None."""
    decision = minutes.sections.get("level_decision") or {}
    if not decision.get("decision"):
        return None
    outcome = {
        "review_outcome": decision["decision"],
        "review_rationale": decision.get("rationale") or "See minutes",
        "meeting_date": meeting_day(minutes.meeting).isoformat(),
    }
    if decision["decision"] in REVIEWED:
        outcome["next_review_date"] = new_review or minutes.sections.get("next_review_date")
    return outcome


def review_errors(minutes: Minutes, new_review: str | None) -> list[FieldError]:
    """The review checked as the meeting review form will check it, against the approval form's fields."""
    outcome = review_outcome(minutes, new_review)
    if outcome is None:
        return []
    if new_review and "next_review_date" not in outcome:
        return [
            FieldError(
                "next_review_date", "The minutes record an exit from MAPPA: leave the new next review date empty"
            )
        ]
    schema = forms.load_form("meeting_review")
    found = forms.validate(schema, outcome) or rules.check(schema, outcome, minutes.case, clock.today())
    return [_as_approval_error(e, outcome, new_review) for e in found]


def _as_approval_error(error: FieldError, outcome: dict[str, Any], new_review: str | None) -> FieldError:
    if error.field != "next_review_date":
        return FieldError("approval", f"The minutes cannot record the review: {error.message}")
    try:
        day = date.fromisoformat(str(outcome["next_review_date"]))
    except ValueError:
        return error
    if new_review:
        return error
    minuted = day.strftime("%-d %B %Y")
    if day <= clock.today():
        return FieldError(
            "next_review_date",
            f"The minutes set the next review for {minuted}, which has passed: enter a new next review date",
        )
    return FieldError(
        "next_review_date",
        f"The minutes set the next review for {minuted}. {error.message}. Enter a new next review date",
    )


def _late_actions(minutes: Minutes) -> list[FieldError]:
    errors = []
    for n, action in enumerate(minutes.sections.get("actions") or []):
        due = str(action.get("due") or "")
        if due and due < clock.today().isoformat():
            errors.append(
                FieldError(
                    "approval",
                    f"Action {n + 1} ('{action.get('description', '')}') was due on "
                    f"{due}, which has passed: return the minutes to change its date",
                )
            )
    return errors


def _on_approval(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    minutes = _require_minutes(task, data)
    if data.get("approval") != "approve":
        minutes.status = "draft"  # returned: editable again until resubmitted
        return
    minutes.status, minutes.approved_at, minutes.approved_by_id = "approved", clock.now(), user.id
    # ViSOR keeps the minutes: approved minutes are what its user records, with the decisions that follow
    tell_visor(minutes.case, [("meeting", f"MAPP meeting of {long_date(meeting_day(minutes.meeting))}: minutes "
                                          "approved")], user)
    apply_decisions(user, minutes, data.get("next_review_date") or None)


def _on_distributed(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    minutes = _require_minutes(task, data)
    minutes.status, minutes.distributed_at = "distributed", clock.now()
    log_access(user, "minutes_distributed", minutes.case_id, str(data.get("distributed_to", ""))[:200])


def apply_decisions(chair: User, minutes: Minutes, new_review: str | None = None) -> None:
    """Approved minutes move the case on: level decision and next review, and actions for their owners."""
    from services.tasks import complete as complete_task

    case = minutes.case
    if new_review:
        _record_new_review_date(chair, minutes, new_review)
    outcome = review_outcome(minutes, None)
    review = _meeting_review_task(chair, case) if outcome is not None else None
    if review is not None and outcome is not None:
        complete_task(chair, review.id, outcome)
        review.done_on = meeting_day(minutes.meeting)  # the review was held at the meeting
    for action in minutes.sections.get("actions") or []:
        agree_action(
            chair,
            case.id,
            action["description"],
            action.get("owner_role") or "",
            date.fromisoformat(action["due"]) if action.get("due") else None,
        )


def _record_new_review_date(chair: User, minutes: Minutes, new_review: str) -> None:
    old = minutes.sections.get("next_review_date")
    revise(minutes, {**minutes.sections, "next_review_date": new_review}, chair)
    record(
        minutes.case,
        "minutes_review_date_changed",
        f"Next review date set to {new_review} at approval (the minutes said {old or 'none'})",
        chair,
        None,
        {"from": old, "to": new_review},
    )


def _meeting_review_task(chair: User, case: MappaCase) -> HumanTask | None:
    """The case's MAPP meeting review: ready now, or brought forward from the waiting review period."""
    task = _ready_review(case)
    if task is not None or running_phase(case, frozenset({"review"})) is None:
        return task
    request_early_review(chair, case.id, "meeting", "Reviewed at a MAPP meeting")
    return _ready_review(case)


def _ready_review(case: MappaCase) -> HumanTask | None:
    return db.session.scalars(
        select(HumanTask).where(
            HumanTask.case_id == case.id, HumanTask.hook == "meeting_review", HumanTask.state == "ready"
        )
    ).first()


# -- agenda research --------------------------------------------------------------------------------------------
def _on_research(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    item = db.session.get(AgendaItem, int(data["agenda_item_id"]))
    if item is None:
        return
    flag = {
        "agency": user.agency,
        "by": user.display_name,
        "at": clock.now().isoformat(),
        "concern": data.get("issues_of_concern", ""),
        "flag_to_chair": bool(data.get("flag_to_chair")),
    }
    item.research_flags = [*(item.research_flags or []), flag]


# -- ViSOR ---------------------------------------------------------------------------------------------------------
def _on_visor_updated(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    told = visor.recorded(user, task, data)
    record(task.case, "visor_updated", f"Recorded on ViSOR {data.get('visor_reference', '')}: "
           + "; ".join(change.summary for change in told), user, None,
           {"changes": [change.id for change in told], "recorded_on": data.get("visor_recorded_on")})


_HOOKS: dict[str, Hook] = {
    "minutes_draft": Hook(check=_check_submission("minutes_ready"), after=_on_submitted),
    "minutes_approval": Hook(check=_check_approval, after=_on_approval),
    "minutes_revision": Hook(check=_check_submission("revision_note"), after=_on_submitted),
    "minutes_distribution": Hook(after=_on_distributed),
    "agenda_research": Hook(after=_on_research),
    "visor_update": Hook(check=lambda _user, task, answers: visor.recorded_on_errors(task, answers),
                         after=_on_visor_updated),
    "disclosure_delivery": Hook(check=disclosures.delivery_errors, after=disclosures.on_delivered),
    "rso_notification": Hook(after=rso.on_taken),
    "rso_missed": Hook(after=rso.on_missed),
    "sfo_mappa_n": Hook(after=sfo.on_mappa_n),
    "sfo_scr_decision": Hook(after=sfo.on_scr_decision),
    "sfo_action_plan": Hook(after=sfo.on_action_plan),
    "sfo_publication": Hook(after=sfo.on_publication),
    "critical_referral": Hook(after=critical_cases.on_referral),
    "critical_decision": Hook(after=critical_cases.on_decision),
    "critical_notification": Hook(check=critical_cases.notification_errors, after=critical_cases.on_notification),
    "critical_review": Hook(after=critical_cases.on_review),
    "smb_audit": Hook(after=smb.on_audited),
}
assert set(_HOOKS) <= set(HOOKS), "every hook the services react to is a declared hook name"
