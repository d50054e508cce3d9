"""Registered sex offender notification (Sexual Offences Act 2003 Part 2, MAPPA.md §17): the rules, once.

A category 1 case gets a notification record when the police record the requirement (the conviction, caution,
finding or release that starts it, and the disposal that sets the notification period by the s.82 table). From
then on each thing due is an instance of bpmn/rso_notification.bpmn: a task for the police public protection unit
(role ``police``) due on its date, escalated to the MAPPA coordinator when missed, who decides whether it is a
breach; a breach is investigated by the police. What is due:

- the initial notification, within ``rso_initial_days`` (3) of the conviction, caution, finding or release (s.83);
- the periodic re-notification, ``rso_periodic_months`` (12) after the last s.84 or s.85 notification (s.85; a
  change of details resets the annual date), or every ``rso_no_fixed_abode_days`` (7) with no fixed abode;
- a home visit, at the interval the area sets for the offender's risk of serious harm (UNCONFIRMED values).

Changes (name, address, a 7-day stay elsewhere, release) are notified within ``rso_change_days`` (3) of the change
(s.84) and a change of address is also something ViSOR must be told. Foreign travel is notified at least
``rso_travel_notice_days`` (7) before departure, or ``rso_travel_short_notice_hours`` (12, UNCONFIRMED for E&W; 0
turns it off) when the details were not known a week ahead. Each event is kept (RsoEvent), late when it was made
after its deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from services import clock, dates, forms
from services.access import load_case_for, log_access
from services.db import db
from services.errors import Conflict, FieldError, NotFound, ValidationFailed
from services.instances import CLOSED_STATUSES, cancel_phase, lock_case, phase_data, record, start_phase, tell_visor
from services.models import HumanTask, MappaCase, ProcessInstance, RsoEvent, RsoRecord, User
from services.rules import months_later
from services.settings import area_settings

PHASE = "rso"
INDEFINITE = -1  # months: no end


@dataclass(frozen=True)
class Disposal:
    label: str
    months: int  # the notification period (s.82(1)); INDEFINITE, or 0: the conditional discharge's own length


# Sexual Offences Act 2003 s.82(1): the notification period by the sentence or other disposal
DISPOSALS: dict[str, Disposal] = {
    "custody_30_months_or_more": Disposal("Imprisonment for 30 months or more, life or IPP", INDEFINITE),
    "hospital_with_restriction": Disposal("Hospital order with a restriction order", INDEFINITE),
    "custody_over_6_under_30_months": Disposal("Imprisonment for more than 6 months but less than 30 months", 120),
    "custody_6_months_or_less": Disposal("Imprisonment for 6 months or less", 84),
    "hospital_without_restriction": Disposal("Hospital order without a restriction order", 84),
    "caution": Disposal("Caution", 24),
    "conditional_discharge": Disposal("Conditional discharge", 0),
    "other": Disposal("Any other disposal (for example a community order or fine)", 60),
}
TRIGGERS: dict[str, str] = {"conviction": "Conviction", "caution": "Caution", "finding": "Finding (not guilty by "
                            "reason of insanity, or unfit to plead)", "release": "Release from custody or detention"}
CHANGES: dict[str, str] = {"name": "Using a new name", "address": "Change of home address",
                           "stay": "Staying at another address for 7 days", "release": "Release from custody"}
ROSH: dict[str, str] = {"very_high": "Very high", "high": "High", "medium": "Medium", "low": "Low"}
# what the police record (the page's "Record a notification event" and POST /api/v1/notifications/rso)
KINDS: dict[str, str] = {
    "requirement": "Notification requirement starts",
    "initial": "Initial notification",
    "periodic": "Periodic re-notification",
    "change": "Change of details",
    "travel": "Foreign travel notice",
    "home_visit": "Home visit",
    "breach": "Breach reported",
}
# what an instance of bpmn/rso_notification.bpmn has due -> the event its task records
OBLIGATIONS: dict[str, str] = {"initial": "initial", "periodic": "periodic", "visit": "home_visit"}
YES_NO = {"yes": "Yes", "no": "No"}


# --- the rules (pure: the unit tests read them directly) ---------------------------------------------------------

def period_months(disposal: str, under_18: bool, discharge_months: int | None = None) -> int:
    """The notification period in months (INDEFINITE for none). s.82(2): the finite periods of the table (10, 7, 5
    and 2 years) are halved for an offender under 18 on the relevant date; a conditional discharge's is its own."""
    months = DISPOSALS[disposal].months
    if months == INDEFINITE:
        return INDEFINITE
    if months == 0:
        return int(discharge_months or 0)
    return months // 2 if under_18 else months


def period_end(relevant_date: date, months: int) -> date | None:
    """The notification period runs from the relevant date; an indefinite one has no end."""
    return None if months == INDEFINITE else months_later(relevant_date, months)


def review_from(first_notified_on: date, under_18: bool, settings: dict[str, int]) -> date:
    """An indefinite notification may be reviewed on application 15 years (8 if under 18) after the first
    notification following release (the area's settings)."""
    years = settings["indefinite_notification_review_years_juvenile" if under_18
                     else "indefinite_notification_review_years"]
    return months_later(first_notified_on, 12 * years)


def initial_due(relevant_date: date, settings: dict[str, int]) -> date:
    return relevant_date + timedelta(days=settings["rso_initial_days"])


def change_due(changed_on: date, settings: dict[str, int]) -> date:
    return changed_on + timedelta(days=settings["rso_change_days"])


def periodic_due(last_notified_on: date, no_fixed_abode: bool, settings: dict[str, int]) -> date:
    """The next periodic notification: a year after the last s.84/s.85 one, a week with no fixed abode."""
    if no_fixed_abode:
        return last_notified_on + timedelta(days=settings["rso_no_fixed_abode_days"])
    return months_later(last_notified_on, settings["rso_periodic_months"])


def visit_due(last_visit_on: date, rosh: str, settings: dict[str, int]) -> date:
    return months_later(last_visit_on, settings[f"rso_visit_months_{rosh}"])


def travel_notice_by(departs_at: datetime, short_notice: bool, settings: dict[str, int]) -> datetime:
    """The latest a foreign travel notice may be given: 7 days before departure; when the details were not known
    then and the area allows it, the short notice (12 hours)."""
    hours = settings["rso_travel_short_notice_hours"]
    if short_notice and hours:
        return departs_at - timedelta(hours=hours)
    return departs_at - timedelta(days=settings["rso_travel_notice_days"])


# --- the event as a form (the page renders it; the API's model is built from it) ----------------------------------

def _text(title: str, message: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "minLength": 1, "maxLength": 4000, "x-widget": "textarea",
            "x-required-message": message}


def _choice(title: str, labels: dict[str, str], message: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "enum": list(labels), "x-labels": labels, "x-widget": "radios",
            "x-required-message": message}


def _day(title: str, message: str, when: str = "past") -> dict[str, Any]:
    return {"type": "string", "format": "date", "title": title, "description": "For example, 27 3 2027",
            "x-date": when, "x-required-message": message}


def _when(value: str, *required: str) -> dict[str, Any]:
    return {"if": {"properties": {"kind": {"const": value}}, "required": ["kind"]},
            "then": {"required": list(required)}}


EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "requirement": ("trigger", "occurred_on", "disposal", "under_18", "rosh"),
    "initial": ("notified_on", "fixed_abode", "details"),
    "periodic": ("notified_on", "fixed_abode", "details"),
    "home_visit": ("notified_on", "fixed_abode", "details"),
    "change": ("change", "occurred_on", "notified_on", "details"),
    "travel": ("departure_on", "departure_time", "short_notice", "details"),
    "breach": ("occurred_on", "details"),
}


def event_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "kind": _choice("What is being recorded?", KINDS, "Select what is being recorded"),
        "trigger": _choice("What starts the requirement?", TRIGGERS, "Select what starts the requirement"),
        "disposal": {**_choice("Sentence or other disposal", {k: d.label for k, d in DISPOSALS.items()},
                               "Select the sentence or other disposal"), "x-widget": "select"},
        "discharge_months": {"type": "integer", "minimum": 1, "maximum": 36, "title": "Length of the conditional "
                             "discharge, in months", "x-required-message": "Enter the length of the discharge"},
        "under_18": _choice("Was the offender under 18 on that date?", YES_NO,
                            "Select whether the offender was under 18"),
        "rosh": _choice("Risk of serious harm", ROSH, "Select the risk of serious harm"),
        "change": _choice("What changed?", CHANGES, "Select what changed"),
        "occurred_on": _day("Date it happened", "Enter the date it happened"),
        "convicted_on": {**_day("Date of the conviction, caution or finding", "Enter the date of the conviction, "
                                "caution or finding"), "description": "The notification period runs from this date "
                                "(Sexual Offences Act 2003 s.82), not from the release"},
        "notified_on": _day("Date notified", "Enter the date notified"),
        "fixed_abode": _choice("Does the offender have a fixed home address?", YES_NO,
                               "Select whether the offender has a fixed home address"),
        "departure_on": _day("Date of departure", "Enter the date of departure", "any"),
        "departure_time": {"type": "string", "title": "Time of departure", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                           "description": "24-hour clock, for example 14:30", "x-required-message":
                           "Enter the time of departure", "x-pattern-message": "Enter the time as hh:mm"},
        "short_notice": _choice("Were the travel details unknown 7 days before departure?", YES_NO,
                                "Select whether the details were known 7 days before"),
        "details": _text("Details", "Enter the details"),
    }
    return {"type": "object", "additionalProperties": False, "x-order": list(properties), "required": ["kind"],
            "properties": properties,
            "allOf": [*(_when(kind, *fields) for kind, fields in EVENT_FIELDS.items()),
                      {"if": {"properties": {"disposal": {"const": "conditional_discharge"}},
                              "required": ["disposal"]}, "then": {"required": ["discharge_months"]}},
                      {"if": {"properties": {"trigger": {"const": "release"}}, "required": ["trigger"]},
                       "then": {"required": ["convicted_on"]}}]}


# --- recording ---------------------------------------------------------------------------------------------------

def record_of(case_id: int) -> RsoRecord | None:
    return db.session.scalars(select(RsoRecord).where(RsoRecord.case_id == case_id)).first()


def record_event(user: User, case_id: int, data: dict[str, Any]) -> RsoEvent:
    """Record one notification event (checked whole first: nothing is written unless all of it is right)."""
    case = load_case_for(user, case_id, "rso:record", event="rso_event_viewed")
    schema = event_schema()
    data = forms.drop_hidden(schema, data)
    errors = forms.validate(schema, data) or forms.date_errors(schema, data) or _order_errors(data)
    if errors:
        raise ValidationFailed(errors)
    kind = data["kind"]
    # two officers at once queue on the case row: the second sees the record and the annual date the first left
    lock_case(case)
    rso = record_of(case.id)
    if kind == "requirement":
        return _requirement(user, case, rso, data)
    if rso is None:
        raise Conflict("This case has no notification record: record the notification requirement first")
    if case.status in CLOSED_STATUSES:  # its notification phases ended with it (services.instances)
        raise Conflict(f"This case is closed ({case.status}): its notification requirements are no longer managed")
    if kind in ("initial", "periodic", "home_visit"):
        return _take(user, case, rso, kind, data)
    row = {"change": _change, "travel": _travel, "breach": _breach}[kind](user, case, rso, data)
    _note(user, case, row)
    return row


def _order_errors(data: dict[str, Any]) -> list[FieldError]:
    """A release follows the conviction, caution or finding it is a release from (the same day, after remand)."""
    convicted, released = dates.parse_day(data.get("convicted_on")), dates.parse_day(data.get("occurred_on"))
    if convicted is None or released is None or convicted <= released:
        return []
    return [FieldError("convicted_on", "Date of the conviction, caution or finding must be on or before the date of "
                                       "the release")]


def _requirement(user: User, case: MappaCase, rso: RsoRecord | None, data: dict[str, Any]) -> RsoEvent:
    if case.category != 1:
        raise Conflict("Only a Category 1 case (a registered sex offender) has notification requirements")
    if rso is not None:
        raise Conflict("This case already has a notification record")
    if case.status in CLOSED_STATUSES:
        raise Conflict(f"This case is closed ({case.status})")
    settings = area_settings(case.area_id)
    happened = date.fromisoformat(data["occurred_on"])
    # s.82(6): the period runs from the conviction, caution or finding, also when the requirement starts at release
    relevant = date.fromisoformat(data["convicted_on"]) if data["trigger"] == "release" else happened
    under_18 = data["under_18"] == "yes"
    months = period_months(data["disposal"], under_18, data.get("discharge_months"))
    rso = RsoRecord(case_id=case.id, trigger=data["trigger"], relevant_date=relevant, disposal=data["disposal"],
                    under_18=under_18, discharge_months=data.get("discharge_months"), indefinite=months == INDEFINITE,
                    period_end=period_end(relevant, months), rosh=data["rosh"], no_fixed_abode=False,
                    opened_by_id=user.id, opened_at=clock.now())
    db.session.add(rso)
    due = initial_due(happened, settings)  # s.83: 3 days from the relevant date, time in custody disregarded
    convicted = f" (convicted on {dates.long_date(relevant)})" if relevant != happened else ""
    row = _event(user, case, "requirement", happened, clock.today(), None,
                 f"{TRIGGERS[rso.trigger]} on {dates.long_date(happened)}{convicted}: {DISPOSALS[rso.disposal].label}; "
                 f"notification period {period_text(rso)}")
    _note(user, case, row)
    rso.initial_instance_id = _start(user, case, rso, "initial", due)
    return row


def _take(user: User, case: MappaCase, rso: RsoRecord, kind: str, data: dict[str, Any]) -> RsoEvent:
    """An initial, periodic notification or home visit is the open task of its obligation, completed through the
    inbox's own path (services.tasks.complete; on_taken records it and starts the next)."""
    from services import tasks

    obligation = next(key for key, value in OBLIGATIONS.items() if value == kind)
    instance_id = getattr(rso, f"{obligation}_instance_id")
    task = db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == (instance_id or 0), HumanTask.bpmn_id == "take_notification",
        HumanTask.state == "ready")).first()
    if task is None:
        raise Conflict(f"No {KINDS[kind].lower()} is due for this case")
    tasks.complete(user, task.id, {key: data[key] for key in ("notified_on", "fixed_abode", "details")})
    return db.session.scalars(select(RsoEvent).where(RsoEvent.case_id == case.id)
                              .order_by(RsoEvent.id.desc())).first()  # type: ignore[return-value]


def on_taken(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    """The task of a notification or home visit completed: it is kept on the record and the next one starts."""
    rso = record_of(task.case_id)
    obligation = str(data.get("rso_obligation") or "")
    if rso is None or obligation not in OBLIGATIONS:
        raise NotFound("notification record not found")
    case = task.case
    settings = area_settings(case.area_id)
    on = date.fromisoformat(str(data["notified_on"]))
    due = date.fromisoformat(str(data["notify_by"]))
    kind = OBLIGATIONS[obligation]
    rso.no_fixed_abode = data.get("fixed_abode") == "no"
    row = _event(user, case, kind, None, on, due, str(data["details"]))
    _note(user, case, row)
    if obligation == "visit":
        rso.last_visit_on = on
        rso.visit_instance_id = _start(user, case, rso, "visit", visit_due(on, rso.rosh, settings))
        return
    if obligation == "initial":
        rso.first_notified_on, rso.initial_instance_id = on, None
        if rso.indefinite:
            rso.review_from = review_from(on, rso.under_18, settings)
        rso.last_visit_on = on
        rso.visit_instance_id = _start(user, case, rso, "visit", visit_due(on, rso.rosh, settings))
    rso.periodic_from = on
    rso.periodic_instance_id = _start(user, case, rso, "periodic", periodic_due(on, rso.no_fixed_abode, settings))


def on_missed(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    """The coordinator found a missed notification to be a breach: it is kept as one (the police investigate)."""
    if data.get("missed_outcome") != "breach":
        return
    case = task.case
    row = _event(user, case, "breach", clock.today(), clock.today(), None,
                 f"{data.get('rso_due_label')} due by {dates.long_date_text(str(data.get('notify_by')))} missed: "
                 f"{data.get('missed_note')}")
    _note(user, case, row)


def _change(user: User, case: MappaCase, rso: RsoRecord, data: dict[str, Any]) -> RsoEvent:
    """s.84: a change notified within 3 days; it resets the annual date; a new address is for ViSOR too."""
    settings = area_settings(case.area_id)
    changed = date.fromisoformat(data["occurred_on"])
    on = date.fromisoformat(data["notified_on"])
    row = _event(user, case, "change", changed, on, change_due(changed, settings), data["details"],
                 change=data["change"])
    if data["change"] == "address":
        tell_visor(case, [("address", f"Address changed on {dates.long_date(changed)} (notified by the offender)")],
                   user)
    if rso.first_notified_on is not None:  # the annual date is reset (not before the initial notification)
        running = db.session.get(ProcessInstance, rso.periodic_instance_id or 0)
        if running is not None and running.status in ("running", "error"):
            cancel_phase(case, running, "the annual date was reset by a change of details", user, clock.now())
        rso.periodic_from = on
        rso.periodic_instance_id = _start(user, case, rso, "periodic",
                                          periodic_due(on, rso.no_fixed_abode, settings))
    return row


def _travel(user: User, case: MappaCase, rso: RsoRecord, data: dict[str, Any]) -> RsoEvent:
    settings = area_settings(case.area_id)
    departure = date.fromisoformat(data["departure_on"])
    departs_at = datetime.combine(departure, time.fromisoformat(data["departure_time"]), dates.LONDON)
    latest = travel_notice_by(departs_at, data["short_notice"] == "yes", settings)
    now = clock.now()
    row = _event(user, case, "travel", departure, clock.today(), dates.to_london(latest).date(),
                 f"Departs {dates.long_date(departure)} at {data['departure_time']}: {data['details']}")
    row.late = now > latest
    return row


def _breach(user: User, case: MappaCase, rso: RsoRecord, data: dict[str, Any]) -> RsoEvent:
    on = date.fromisoformat(data["occurred_on"])
    row = _event(user, case, "breach", on, clock.today(), None, data["details"])
    start_phase(case, PHASE, phase_data(case, {}) | {
        "rso_obligation": "breach", "rso_due_label": "Breach of notification requirements reported",
        "rso_breach": f"{dates.long_date(on)}: {data['details']}"[:400], "notify_by": None}, user)
    return row


def _event(user: User, case: MappaCase, kind: str, occurred: date | None, notified: date, due: date | None,
           details: str, change: str | None = None) -> RsoEvent:
    row = RsoEvent(case_id=case.id, kind=kind, change=change, occurred_on=occurred, notified_on=notified, due=due,
                   late=bool(due and notified > due), details=details, recorded_by_id=user.id,
                   recorded_at=clock.now())
    db.session.add(row)
    return row


def _note(user: User, case: MappaCase, row: RsoEvent) -> None:
    """The history and the access log keep every event."""
    what = KINDS[row.kind] + (f" ({CHANGES[row.change].lower()})" if row.change else "")
    summary = f"{what}: {row.details}"[:380] + (" (late)" if row.late else "")
    db.session.flush()
    record(case, "rso_event_recorded", summary, user, None, {"rso_event": row.id, "kind": row.kind})
    log_access(user, "rso_event_recorded", case.id, summary)


def _start(user: User, case: MappaCase, rso: RsoRecord, obligation: str, due: date) -> int | None:
    """Start what is due next, unless the notification period ends first."""
    if rso.period_end is not None and due >= rso.period_end:
        return None
    labels = {"initial": "Initial notification", "periodic": "Weekly notification (no fixed abode)"
              if rso.no_fixed_abode else "Annual re-notification",
              "visit": f"Home visit ({ROSH[rso.rosh].lower()} risk of serious harm)"}
    instance = start_phase(case, PHASE, phase_data(case, {}) | {
        "rso_obligation": obligation, "rso_due_label": labels[obligation], "notify_by": due.isoformat(),
        "rso_breach": ""}, user)
    return instance.id


# --- reading -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    what: str
    due: date | None
    overdue: bool
    task_name: str


@dataclass(frozen=True)
class RsoView:
    record: RsoRecord | None
    due: list[Due]
    events: list[RsoEvent]


def period_text(rso: RsoRecord) -> str:
    if rso.indefinite:
        return "indefinite"
    return f"until {dates.long_date(rso.period_end)}"


def view(case: MappaCase) -> RsoView:
    """The case's notification record, what is due (open tasks, soonest first) and its events, newest first
    (read with the case page, already access-logged)."""
    rso = record_of(case.id)
    if rso is None:
        return RsoView(None, [], [])
    today = clock.today()
    rows = db.session.execute(select(HumanTask, ProcessInstance.id).join(
        ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(
        HumanTask.case_id == case.id, HumanTask.state == "ready", ProcessInstance.phase == PHASE)
        .order_by(HumanTask.due_date, HumanTask.id)).all()
    due = [Due(str((task.context or {}).get("rso_due_label") or task.name), task.due_date,
               bool(task.due_date and task.due_date < today), task.name) for task, _id in rows]
    events = list(db.session.scalars(select(RsoEvent).where(RsoEvent.case_id == case.id)
                                     .order_by(RsoEvent.recorded_at.desc(), RsoEvent.id.desc())))
    return RsoView(rso, due, events)

