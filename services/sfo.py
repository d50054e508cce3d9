"""Serious further offences and MAPPA serious case reviews (MAPPA guidance ch.20, MAPPA.md §13).

Notifying a serious further offence (SFO) charge on a MAPPA case keeps it on the case (``SeriousFurtherOffence``),
counts it in the annual statistics (services.outcomes) and starts its review (bpmn/sfo_review.bpmn): the lead agency
sends the MAPPA N to the SMB chair and the MAPPA coordinator; the Strategic Management Board decides, with its reasons
against the criteria, whether a MAPPA serious case review (SCR) is held; if so, its terms of reference, its panel
(with a lay adviser), the MAPPA O report in its eight sections, the action plan (each action an agreed action, a task
for its owner) and the SMB's publication decision. Each step is due within the area's setting and chased when late.

The SMB chair is not an area-wide role: they see an SFO's case once its review has reached them (a task of theirs
on it, services.access.case_scope), and only through the SFO record and their tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from services import clock, dates, forms, lifecycle, outcomes
from services.access import load_case_for, log_access
from services.db import db
from services.errors import Conflict, NotFound, ValidationFailed
from services.instances import CLOSED_STATUSES, phase_data, record, start_phase
from services.models import HumanTask, MappaCase, SeriousFurtherOffence, User
from workflows.lanes import LEAD_ROLES

PHASE = "sfo"
CHARGE_FORM = "sfo_charge"
STATUSES: dict[str, str] = {
    "mappa n": "MAPPA N to be sent to the SMB",
    "scr decision": "Awaiting the SMB's decision on a serious case review",
    "review": "Serious case review under way",
    "no review": "No serious case review",
    "completed": "Serious case review completed",
}
OPEN_STATUSES = ("mappa n", "scr decision", "review")


def charge_schema() -> dict[str, Any]:
    """The notification's form (forms/sfo_charge.json): the page renders it, the API and this module check with it."""
    return forms.load_form(CHARGE_FORM)


def labels(form_key: str, field: str) -> dict[str, str]:
    """A coded answer's words, from the one form that declares them."""
    prop = forms.load_form(form_key)["properties"][field]
    return dict(prop.get("x-labels") or prop.get("items", {}).get("x-labels", {}))


def offences() -> dict[str, str]:
    return labels(CHARGE_FORM, "sfo_offence")


def notify(user: User, case_id: int, data: dict[str, Any]) -> SeriousFurtherOffence:
    """Record the charge and start its review (checked whole first: nothing is written unless all of it is right)."""
    case = load_case_for(user, case_id, "sfo:notify", event="sfo_notification_opened")
    if case.status in CLOSED_STATUSES and "coordinator" not in user.roles:
        raise Conflict(f"This case is closed ({case.status}); only a MAPPA coordinator can notify a serious further "
                       "offence on it")
    schema = charge_schema()
    data = forms.drop_hidden(schema, data)
    errors = forms.validate(schema, data) or forms.date_errors(schema, data)
    if errors:
        raise ValidationFailed(errors)
    charged_on = date.fromisoformat(str(data["sfo_charged_on"]))
    row = SeriousFurtherOffence(
        case_id=case.id, offence=data["sfo_offence"], charged_on=charged_on, details=str(data["sfo_details"]),
        level_at_charge=case.level, category_at_charge=case.category, status="mappa n", notified_by_id=user.id,
        notified_at=clock.now())
    db.session.add(row)
    db.session.flush()
    instance = start_phase(case, PHASE, phase_data(case, {}) | {
        "sfo_id": row.id, "sfo_offence": row.offence, "sfo_charged_on": charged_on.isoformat(),
        "sfo_details": row.details, "sfo_lead_role": LEAD_ROLES.get(case.lead_agency, "offender_manager")}, user)
    row.process_instance_id = instance.id
    summary = f"Serious further offence notified: charged with {offences()[row.offence].lower()} on " \
              f"{dates.long_date(charged_on)}"
    record(case, "sfo_notified", summary, user, instance, {"sfo": row.id, "offence": row.offence})
    outcomes.note_outcome(case, user, "serious_further_offence", charged_on, row.details)
    log_access(user, "sfo_notified", case.id, summary)
    return row


# -- what the review's steps do when completed (services.minutes_steps declares them as hooks) ----------------------

def _row(task: HumanTask, data: dict[str, Any]) -> SeriousFurtherOffence:
    row = db.session.get(SeriousFurtherOffence, int(data.get("sfo_id") or 0))
    if row is None or row.case_id != task.case_id:
        raise NotFound("serious further offence not found")
    return row


def on_mappa_n(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    row = _row(task, data)
    row.status = "scr decision"
    recommended = data.get("mappa_n_recommendation") == "recommend"
    summary = ("MAPPA N sent to the SMB chair and the MAPPA coordinator: the lead agency "
               + ("recommends" if recommended else "does not recommend") + " a serious case review")
    record(task.case, "sfo_mappa_n_sent", summary, user, None, {"sfo": row.id})
    log_access(user, "sfo_mappa_n_sent", task.case_id, summary)


def on_scr_decision(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    row = _row(task, data)
    row.scr_decision, row.scr_reasons = str(data["scr_decision"]), str(data["scr_reasons"])
    held = row.scr_decision == "hold"
    row.status = "review" if held else "no review"
    if not held:
        row.closed_at = clock.now()
    criteria = labels("sfo_scr_decision", "scr_criteria")
    met = "; ".join(criteria[c] for c in data.get("scr_criteria") or [] if c in criteria) or "none of the criteria"
    summary = (f"The SMB {'holds' if held else 'does not hold'} a serious case review (criteria met: {met}): "
               f"{row.scr_reasons}")
    record(task.case, "sfo_scr_decided", summary, user, None, {"sfo": row.id, "decision": row.scr_decision})
    if held:
        outcomes.note_outcome(task.case, user, "serious_case_review", clock.today(), row.scr_reasons)
    log_access(user, "sfo_scr_decided", task.case_id, summary)


ACTION_PLAN_ROWS = (1, 2)


def on_action_plan(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    """Each action of the plan becomes an agreed action: a task for its owner's role, due on its date."""
    row = _row(task, data)
    for n in ACTION_PLAN_ROWS:
        if not data.get(f"action_{n}"):
            continue
        lifecycle.agree_action(user, task.case_id, f"Serious case review action: {data[f'action_{n}']} (how: "
                               f"{data[f'action_{n}_how']})", str(data[f"action_{n}_owner"]),
                               date.fromisoformat(str(data[f"action_{n}_due"])))
    log_access(user, "sfo_action_plan_agreed", task.case_id, f"serious further offence {row.id}")


def on_publication(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    row = _row(task, data)
    row.publication, row.status, row.closed_at = str(data["publication_decision"]), "completed", clock.now()
    said = labels("sfo_publication", "publication_decision")[row.publication]
    record(task.case, "sfo_review_closed", f"Serious case review closed. {said}: {data['publication_reasons']}",
           user, None, {"sfo": row.id, "publication": row.publication})
    log_access(user, "sfo_publication_decided", task.case_id, said)


# -- the SFO record --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Review:
    """One SFO with its review's steps (open and done, chases included), in the order they were set."""

    sfo: SeriousFurtherOffence
    steps: list[HumanTask]


def reviews_of(user: User, case_id: int) -> tuple[MappaCase, list[Review]]:
    """The case's serious further offences, newest first, for those who may see them (a logged read)."""
    case = load_case_for(user, case_id, "sfo:view", event="sfo_viewed")
    rows = list(db.session.scalars(select(SeriousFurtherOffence).where(SeriousFurtherOffence.case_id == case.id)
                                   .order_by(SeriousFurtherOffence.notified_at.desc(),
                                             SeriousFurtherOffence.id.desc())))
    steps: dict[int, list[HumanTask]] = {}
    ids = [r.process_instance_id for r in rows if r.process_instance_id]
    for step in db.session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(ids))
                                   .order_by(HumanTask.created_at, HumanTask.id)):
        steps.setdefault(step.instance_id, []).append(step)
    return case, [Review(r, steps.get(r.process_instance_id or 0, [])) for r in rows]


def reviews_steps(row: SeriousFurtherOffence) -> list[HumanTask]:
    """One SFO's review steps so far, in the order they were set."""
    return list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == row.process_instance_id)
                                   .order_by(HumanTask.created_at, HumanTask.id)))
