"""MAPPA cases: referrals that open them, what the case page shows, and its history across phases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services import clock, forms, visor
from services.access import load_case, log_access
from services.catalogue import parsed
from services.db import db, dialect_insert
from services.errors import FieldError, NotFound, ValidationFailed
from services.instances import load, phase_data, record, start_phase
from services.models import Area, CaseEvent, HumanTask, MappaCase, ProcessInstance, ReferenceCounter, User
from services.permissions import SECTIONS, may_on_case, section_of
from services.rules import months_later
from services.settings import area_settings
from workflows.engine import active_bpmn_ids, completed_bpmn_ids
from workflows.lanes import role_name

STATUSES = ("identified", "referred", "screening", "level 1", "level 2", "level 3", "exited", "not eligible")
CATEGORY_CODES = {1: "M1", 2: "M2", 3: "M3", 4: "M4"}


def _validate(form_key: str, data: dict[str, Any]) -> dict[str, Any]:
    errors = forms.validate(forms.load_form(form_key), data)
    if data.get("notification_indefinite") and (int(data.get("category") or 0) != 1 or data.get("notification_end")):
        errors.append(FieldError("notification_indefinite", "Only a Category 1 offender with no notification end "
                                                            "date has an indefinite notification period"))
    if data.get("release_date") and data.get("custody") is False:
        errors.append(FieldError("release_date", "Only give a release date when the offender is in custody"))
    if (form_key == "identification" and str(data.get("category")) == "1" and not data.get("notification_end")
            and not data.get("notification_indefinite")):
        # identified by offence and sentence, so the notification period is known (MAPPA.md section 17, s.82)
        errors.append(FieldError("notification_end", "Enter when the notification period ends, or say it is "
                                                     "indefinite: a Category 1 offender leaves MAPPA when it ends"))
    if errors:
        raise ValidationFailed(errors)
    return data


def validate_referral(data: dict[str, Any]) -> dict[str, Any]:
    return _validate("referral", data)


def _reference(area: Area) -> str:
    """NO-2026-00042: the next number for the prefix (areas may share one), taken under the counter's row lock so
    concurrent referrals never draw the same number. A prefix's counter starts from the highest number already
    given (cases made before counters existed, or imported)."""
    prefix = f"{area.code[:2].upper()}-{clock.today().year}-"
    counter = _locked_counter(prefix)
    if counter is None:
        db.session.execute(dialect_insert(ReferenceCounter).values(prefix=prefix, last=_highest_number(prefix))
                           .on_conflict_do_nothing(index_elements=["prefix"]))
        counter = _locked_counter(prefix)
        assert counter is not None
    counter.last += 1
    db.session.flush()
    return f"{prefix}{counter.last:05d}"


def _locked_counter(prefix: str) -> ReferenceCounter | None:
    return db.session.scalars(select(ReferenceCounter).where(ReferenceCounter.prefix == prefix)
                              .with_for_update().execution_options(populate_existing=True)).first()


def _highest_number(prefix: str) -> int:
    references = db.session.scalars(select(MappaCase.reference).where(
        MappaCase.reference.startswith(prefix, autoescape=True)))
    return max((int(r[len(prefix):]) for r in references if r[len(prefix):].isdigit()), default=0)


def _day(data: dict[str, Any], key: str) -> date | None:
    return date.fromisoformat(data[key]) if data.get(key) else None


def _notification_review(data: dict[str, Any], area: Area) -> date | None:
    """Indefinite notification is first reviewed 15 years after it starts (release, else sentence), 8 years for
    someone under 18 at conviction (both area settings)."""
    if not data.get("notification_indefinite"):
        return None
    start = _day(data, "release_date") or _day(data, "sentence_date") or clock.today()
    born, sentenced = _day(data, "date_of_birth"), _day(data, "sentence_date") or start
    juvenile = born is not None and (sentenced.year - born.year
                                     - ((sentenced.month, sentenced.day) < (born.month, born.day))) < 18
    settings = area_settings(area.id)
    years = settings["indefinite_notification_review_years_juvenile" if juvenile
                     else "indefinite_notification_review_years"]
    return months_later(start, 12 * years)


def _open_case(user: User, data: dict[str, Any], status: str, area: Area | None) -> MappaCase:
    area = area or user.area
    now = clock.now()
    case = MappaCase(
        reference=_reference(area), area_id=area.id, offender_name=data["offender_name"].strip(),
        date_of_birth=_day(data, "date_of_birth"), pnc_id=data.get("pnc_id") or None, crn=data.get("crn") or None,
        visor_reference=data.get("visor_reference") or None, category=int(data["category"]), level=None,
        status=status, lead_agency=data["lead_agency"],
        lead_officer_id=user.id if user.agency == data["lead_agency"] else None, referrer_id=user.id,
        custody=bool(data["custody"]), release_date=_day(data, "release_date"),
        sentence_date=_day(data, "sentence_date"), licence_end=_day(data, "licence_end"),
        notification_end=_day(data, "notification_end"),
        notification_indefinite=bool(data.get("notification_indefinite")),
        notification_review_due=_notification_review(data, area), victims_flag=bool(data.get("victims_flag")),
        children_flag=bool(data.get("children_flag")), vulnerable_adults_flag=bool(data.get("vulnerable_adults_flag")),
        created_at=now, updated_at=now,
    )
    case.area = area
    db.session.add(case)
    db.session.flush()
    db.session.refresh(case)
    log_access(user, "case_created", case.id)
    return case


def _start_custody(case: MappaCase, user: User) -> None:
    if case.custody and case.release_date:
        start_phase(case, "custody", phase_data(case, {}), user)


def create_referral(referrer: User, data: dict[str, Any], area: Area | None = None) -> MappaCase:
    """Open a case from a MAPPA A referral (Level 2 or 3 sought) and start referral and screening."""
    validate_referral(data)
    case = _open_case(referrer, data, "referred", area)
    record(case, "referral_submitted", f"Referral for Level {data['level_requested']} submitted ({referrer.agency})",
           referrer, None,
           {"referral": {k: v for k, v in data.items() if v is not None}})
    start_phase(case, "referral", phase_data(case, {}) | {
        "level_requested": int(data["level_requested"]), "referral_reason": data["referral_reason"],
        "level3_reason": data.get("level3_reason") or "", "rosh": data.get("rosh") or "",
        "senior_resources_needed": bool(data.get("senior_resources_needed")), "offender_name": case.offender_name,
    }, referrer)
    _start_custody(case, referrer)
    return case


def identify_offender(user: User, data: dict[str, Any], area: Area | None = None) -> MappaCase:
    """Record an offender who is MAPPA eligible by offence and sentence; most are managed at Level 1."""
    _validate("identification", data)
    case = _open_case(user, data, "identified", area)
    record(case, "offender_identified", f"Identified as MAPPA eligible (category {case.category}, {user.agency})",
           user, None, {"facts": {k: v for k, v in data.items() if v}})
    start_phase(case, "identification", phase_data(case, {}), user)
    _start_custody(case, user)
    return case


@dataclass
class CaseView:
    case: MappaCase
    open_tasks: list[HumanTask]
    history: list[CaseEvent]
    instances: list[ProcessInstance]
    visor_pending: list[visor.Pending] = field(default_factory=list)  # what ViSOR has not been told yet


def view_case(user: User, case_id: int) -> CaseView:
    return case_view(user, load_case(user, case_id, event="case_viewed"))


def case_view(user: User, case: MappaCase) -> CaseView:
    """The case as this user may read it: the history lines, open steps and phases of a section they may not open
    (services.permissions.SECTIONS) left out, but for what they did or hold themselves."""
    phases = instances(case.id)
    closed = _closed_sections(user, case)
    phase_of = {instance.id: instance.phase for instance in phases}
    return CaseView(case, [t for t in open_tasks(case.id) if not _hidden_task(user, t, phase_of, closed)],
                    _shown_history(user, history(case.id), phase_of, closed),
                    [i for i in phases if section_of(None, i.phase) not in closed], visor.pending(case.id))


def _closed_sections(user: User, case: MappaCase) -> set[str]:
    return {section for section, permission in SECTIONS.items() if not may_on_case(user, permission, case)}


def _hidden_task(user: User, task: HumanTask, phase_of: dict[int, str], closed: set[str]) -> bool:
    mine = task.assignee_id == user.id or task.role in user.roles
    return not mine and section_of(None, phase_of.get(task.instance_id)) in closed


def _shown_history(user: User, events: list[CaseEvent], phase_of: dict[int, str],
                   closed: set[str]) -> list[CaseEvent]:
    if not closed:
        return events
    return [e for e in events if e.actor_id == user.id
            or section_of(e.kind, phase_of.get(e.instance_id) if e.instance_id else None) not in closed]


def open_tasks(case_id: int) -> list[HumanTask]:
    return list(db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "ready")
                                   .order_by(HumanTask.due_date.is_(None), HumanTask.due_date, HumanTask.id)))


def history(case_id: int) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                   .options(selectinload(CaseEvent.actor))  # each line names who did it
                                   .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())))


def instances(case_id: int) -> list[ProcessInstance]:
    return list(db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id)
                                   .order_by(ProcessInstance.sequence)))


def case_history(user: User, case_id: int) -> list[CaseEvent]:
    """The case's history as this user may read it (case_view says what is left out)."""
    case = load_case(user, case_id, event="case_history_viewed")
    closed = _closed_sections(user, case)
    phase_of = {instance.id: instance.phase for instance in instances(case_id)} if closed else {}
    return _shown_history(user, history(case_id), phase_of, closed)


@dataclass(frozen=True)
class StepLine:
    """One step of a phase as text beside its diagram: a current step and who holds it, or a finished one."""

    name: str
    holder: str  # who holds it ("Unclaimed (Police Public Protection)"), or who finished it
    at: datetime | None = None  # when it was finished
    due: date | None = None


@dataclass
class DiagramView:
    instance: ProcessInstance
    xml: str
    active: list[str]
    completed: list[str]
    current_steps: list[StepLine]
    completed_steps: list[StepLine]


def diagram(user: User, case_id: int, instance_id: int | None = None) -> DiagramView:
    """The BPMN of one phase (default: the phase with open work) with its current and finished steps, as marks for
    the diagram and as text."""
    case = load_case(user, case_id, event="case_diagram_viewed")
    closed = sorted(_closed_sections(user, case))  # a phase of a section the user may not open is not drawn
    query = select(ProcessInstance).where(ProcessInstance.case_id == case.id, ProcessInstance.phase.not_in(closed))
    if instance_id is not None:
        instance = db.session.scalars(query.where(ProcessInstance.id == instance_id)).first()
    else:
        instance = _phase_with_open_work(case.id, closed) or db.session.scalars(query.order_by(
            ProcessInstance.status.not_in(("running", "error")), ProcessInstance.sequence.desc())).first()
    if instance is None:
        raise NotFound("no process for this case")
    wf = load(instance)
    xml = next(text for name, text in instance.model.files.items() if name.endswith(".bpmn"))
    active = active_bpmn_ids(wf)
    return DiagramView(instance, xml, active, completed_bpmn_ids(wf), _current_steps(instance, active),
                       _completed_steps(instance))


def _phase_with_open_work(case_id: int, closed: list[str]) -> ProcessInstance | None:
    """The phase of the case's most pressing open task (the first of the case page's open tasks) outside the
    sections the user may not open."""
    for task in open_tasks(case_id):
        instance = db.session.get(ProcessInstance, task.instance_id)
        if instance is not None and instance.phase not in closed:
            return instance
    return None


def _current_steps(instance: ProcessInstance, active: list[str]) -> list[StepLine]:
    tasks = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.state == "ready").order_by(HumanTask.id))
    steps = [StepLine(t.name, t.assignee.display_name if t.assignee else f"Unclaimed ({role_name(t.role)})",
                      due=t.due_date) for t in tasks]
    people = {s.name for s in steps}
    waiting = _waiting_steps(instance, active)
    return steps + [StepLine(f"Waiting for: {name}", "") for name in waiting if name not in people]


def _waiting_steps(instance: ProcessInstance, active: list[str]) -> list[str]:
    """Named steps the engine waits on that are not people's tasks (a timer until the review date, a message); an
    unnamed gateway waiting for the first of several events is named by those events."""
    model = parsed(instance.model)
    specs = {getattr(spec, "bpmn_id", None): spec for process in [model.spec, *model.subprocess_specs.values()]
             for spec in process.task_specs.values()}
    names = []
    for bpmn_id in active:
        spec = specs.get(bpmn_id)
        if spec is None or bpmn_id in model.steps or "Boundary" in (spec.description or ""):
            continue
        name = spec.bpmn_name or " or ".join(o.bpmn_name for o in spec.outputs if getattr(o, "bpmn_name", None))
        if name:
            names.append(name)
    return names


def _completed_steps(instance: ProcessInstance) -> list[StepLine]:
    tasks = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.state == "completed")
                               .order_by(HumanTask.completed_at, HumanTask.id))
    return [StepLine(t.name, t.completed_by.display_name if t.completed_by else "The system", at=t.completed_at)
            for t in tasks]


def list_cases(scope_query: Any, limit: int = 200) -> list[MappaCase]:
    return list(db.session.scalars(scope_query.order_by(MappaCase.next_review_due.is_(None), MappaCase.next_review_due,
                                                        MappaCase.id).limit(limit)))

