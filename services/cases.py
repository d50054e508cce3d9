"""MAPPA cases: referrals that open them, what the case page shows, and its history across phases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services import clock, forms
from services.access import load_case, log_access
from services.db import db
from services.errors import FieldError, ValidationFailed
from services.instances import load, phase_data, record, start_phase
from services.models import Area, CaseEvent, HumanTask, MappaCase, ProcessInstance, ReferenceCounter, User
from services.rules import months_later
from services.settings import area_settings
from workflows.engine import active_bpmn_ids, completed_bpmn_ids

STATUSES = ("identified", "referred", "screening", "level 1", "level 2", "level 3", "exited", "not eligible")
CATEGORY_CODES = {1: "M1", 2: "M2", 3: "M3", 4: "M4"}


def _validate(form_key: str, data: dict[str, Any]) -> dict[str, Any]:
    errors = forms.validate(forms.load_form(form_key), data)
    if data.get("notification_indefinite") and (int(data.get("category") or 0) != 1 or data.get("notification_end")):
        errors.append(FieldError("notification_indefinite", "Only a Category 1 offender with no notification end "
                                                            "date has an indefinite notification period"))
    if data.get("release_date") and data.get("custody") is False:
        errors.append(FieldError("release_date", "Only give a release date when the offender is in custody"))
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
        insert = (pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert)(ReferenceCounter)
        db.session.execute(insert.values(prefix=prefix, last=_highest_number(prefix))
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


def view_case(user: User, case_id: int) -> CaseView:
    case = load_case(user, case_id, event="case_viewed")
    return CaseView(case, open_tasks(case.id), history(case.id), instances(case.id))


def open_tasks(case_id: int) -> list[HumanTask]:
    return list(db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "ready")
                                   .order_by(HumanTask.due_date.is_(None), HumanTask.due_date, HumanTask.id)))


def history(case_id: int) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                   .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())))


def instances(case_id: int) -> list[ProcessInstance]:
    return list(db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id)
                                   .order_by(ProcessInstance.sequence)))


def case_history(user: User, case_id: int) -> list[CaseEvent]:
    load_case(user, case_id, event="case_history_viewed")
    return history(case_id)


@dataclass
class DiagramView:
    instance: ProcessInstance
    xml: str
    active: list[str]
    completed: list[str]


def diagram(user: User, case_id: int, instance_id: int | None = None) -> DiagramView:
    """The BPMN of one phase (default: the latest) with the current and finished steps."""
    case = load_case(user, case_id, event="case_diagram_viewed")
    query = select(ProcessInstance).where(ProcessInstance.case_id == case.id)
    if instance_id is not None:
        query = query.where(ProcessInstance.id == instance_id)
    instance = db.session.scalars(query.order_by(ProcessInstance.sequence.desc())).first()
    if instance is None:
        from services.errors import NotFound

        raise NotFound("no process for this case")
    wf = load(instance)
    xml = next(text for name, text in instance.model.files.items() if name.endswith(".bpmn"))
    return DiagramView(instance, xml, active_bpmn_ids(wf), completed_bpmn_ids(wf))


def list_cases(scope_query: Any, limit: int = 200) -> list[MappaCase]:
    return list(db.session.scalars(scope_query.order_by(MappaCase.next_review_due.is_(None), MappaCase.next_review_due,
                                                        MappaCase.id).limit(limit)))

