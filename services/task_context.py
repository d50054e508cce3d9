"""What a task is about, for its page: the referral a check is about, the minutes an approval is about, the agenda
item research is for, the minute an action came from; and what happens next once a task is done.

Plain data (no Flask): links name an endpoint and its arguments; the view turns them into URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from services import forms, visor
from services.access import log_access
from services.catalogue import parsed
from services.dates import long_datetime
from services.db import db
from services.instances import ENGINE, load
from services.meetings import APPROVED, title
from services.models import AgendaItem, HumanTask, MappaCase, MappMeeting, Minutes, ProcessInstance, User
from services.tasks import may_see
from workflows.lanes import role_name

MINUTES_HOOKS = ("minutes_draft", "minutes_approval", "minutes_revision", "minutes_distribution")
CASE_FACTS = ("offender_name", "date_of_birth", "pnc_id", "crn", "visor_reference", "category", "lead_agency",
              "custody", "release_date", "sentence_date", "licence_end", "notification_end",
              "notification_indefinite", "victims_flag", "children_flag", "vulnerable_adults_flag")


@dataclass(frozen=True)
class Link:
    text: str
    endpoint: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class About:
    """A heading, rows of (label, text) and links, shown above the task's form."""

    heading: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    covers_step_data: bool = False  # the rows already say all the step's own data (task.context) would


def about(user: User, task: HumanTask) -> About | None:
    """What ``task`` is about, for someone who may see it (a case read, logged as one); None when there is nothing
    more to show than the task itself."""
    if not may_see(user, task):
        return None
    found = _about(task)
    if found is not None:
        log_access(user, "case_viewed", task.case_id, f"task {task.id}: {found.heading}")
    return found


def _about(task: HumanTask) -> About | None:
    if task.form_key == "referral_check":
        return _referral(task)
    if task.hook in MINUTES_HOOKS:
        return _minutes(task)
    if task.hook == "agenda_research":
        return _research(task)
    if task.hook == "agreed_action":
        return _action(task)
    if task.hook == "visor_update":
        return _visor(task)
    return None


def step_data(task: HumanTask) -> dict[str, Any]:
    """The workflow data the open step sees (what the process carried to it), or what its page was given."""
    instance = db.session.get(ProcessInstance, task.instance_id)
    if task.state == "ready" and instance is not None:
        wf = load(instance)
        for info in ENGINE.ready_user_tasks(wf, parsed(instance.model)):
            if info.task_id == task.task_uuid:
                return dict(info.data)
    return dict(task.context or {})


# -- check referral: the whole referral, in the words of the referral form --------------------------------------
def _referral(task: HumanTask) -> About:
    case = task.case
    answers = {**step_data(task), **_case_facts(case)}
    schema = forms.load_form("referral")
    unasked = forms.hidden(schema, answers)
    rows = [(forms.label(name, prop), forms.answer_text(prop, answers.get(name)))
            for name, prop in forms.fields(schema) if name not in unasked]
    return About("The referral", rows, covers_step_data=True)  # the page already links to the case


def _case_facts(case: MappaCase) -> dict[str, Any]:
    facts = {name: getattr(case, name) for name in CASE_FACTS}
    return {name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in facts.items() if value is not None}


# -- minutes: which meeting, and where to read them ---------------------------------------------------------------
def _minutes(task: HumanTask) -> About | None:
    minutes = db.session.scalars(select(Minutes).where(Minutes.process_instance_id == task.instance_id)).first()
    if minutes is None:  # a minutes process started before minutes knew their process carries their id
        minutes_id = step_data(task).get("minutes_id")
        minutes = db.session.get(Minutes, int(minutes_id)) if minutes_id else None
    if minutes is None:
        return None
    return About("The minutes", [("Meeting", title(minutes.meeting)), ("Minutes", minutes.status.capitalize())],
                 _minutes_links(minutes))


def _minutes_links(minutes: Minutes) -> list[Link]:
    args = {"meeting_id": minutes.meeting_id, "case_id": minutes.case_id}
    return [Link("Read the minutes", "meetings.minutes_page", args),
            Link("Download the minutes (PDF)", "meetings.minutes_pdf", args)]


# -- research: the agenda item and its meeting ----------------------------------------------------------------------
def _research(task: HumanTask) -> About | None:
    item_id = step_data(task).get("agenda_item_id")
    item = db.session.get(AgendaItem, int(item_id)) if item_id else None
    if item is None:
        return None
    meeting: MappMeeting = item.meeting
    rows = [("Meeting", title(meeting)), ("Agenda item", f"{item.position}: {item.kind} ({item.minutes_allotted} "
                                                          "minutes)")]
    if meeting.venue:
        rows.append(("Venue", meeting.venue))
    return About("The agenda item", rows, [Link("View the meeting", "meetings.meeting_page",
                                                {"meeting_id": meeting.id})])


# -- an agreed action: the minute it came from ----------------------------------------------------------------------
def _action(task: HumanTask) -> About | None:
    data = step_data(task)
    minutes = _minutes_agreeing(task.case_id, str(data.get("action_description") or ""),
                                str(data.get("action_due") or ""))
    if minutes is None:
        return About("Where the action was agreed", [("Agreed", "On the case page, not at a meeting")])
    return About("Where the action was agreed", [("Agreed at", title(minutes.meeting))], _minutes_links(minutes))


def _minutes_agreeing(case_id: int, description: str, due: str) -> Minutes | None:
    """The approved minutes of the case that list this action (its text and due date), latest first."""
    candidates = db.session.scalars(select(Minutes).where(
        Minutes.case_id == case_id, Minutes.status.in_(APPROVED))
        .order_by(Minutes.approved_at.desc()))
    return next((m for m in candidates if any(
        str(a.get("description") or "").strip() == description.strip() and str(a.get("due") or "") == due
        for a in (m.sections or {}).get("actions") or [] if isinstance(a, dict))), None)


# -- ViSOR update: the meetings and changes to record ---------------------------------------------------------------
def _visor(task: HumanTask) -> About:
    rows = [(long_datetime(change.happened_at), change.summary) for change in visor.waiting_on(task)]
    return About("To record on ViSOR", rows or [("Nothing left", "Every change on this task is recorded")],
                 covers_step_data=True)


# -- after completing: what happens next --------------------------------------------------------------------------
def what_next(case_id: int) -> str:
    """One sentence from the case's open steps after a completion: who has it now and for what."""
    waiting = list(db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                              HumanTask.state == "ready").order_by(HumanTask.id)))
    if not waiting:
        return "No further steps are waiting on this case."
    steps = [f"the {role_name(t.role)} for '{t.name}'" for t in waiting]
    joined = steps[0] if len(steps) == 1 else ", ".join(steps[:-1]) + " and " + steps[-1]
    return f"The case is now with {joined}."
