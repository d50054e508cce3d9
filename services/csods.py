"""Child Sex Offender Disclosure Scheme applications ("Sarah's Law", MAPPA.md §18).

A member of the public applies, through a police officer, about a named person who has contact with a child. The
application runs bpmn/csods_application.bpmn: initial contact and triage (a child at immediate risk: a child
protection referral at once, and the application ends there), a face-to-face meeting, risk assessment and checks,
the local decision-making panel's decision (the MAPP meeting when the subject is a MAPPA nominal), then a disclosure
to the person best placed to protect the child or a non-disclosure letter. The whole application is due within the
area's ``csods_overall_working_days`` of the day it was made; each stage has its own target (area settings,
UNCONFIRMED), counted from that day. A stage not done by its target is escalated by the model's timer to the
area's MAPPA coordinators and the police's managers. A process error (a failing script, condition or timer) never
loses the application: its process is put in error, an incident for the process owner and the area's coordinator
(services.incidents, /admin/incidents), left alone by the sweep until they retry it (``retry``).

An application is not a MAPPA case: it belongs to its area and the police run it (services.permissions,
``csods:*``). Its engine instance is kept on the application row and its stages are ``CsodsStage`` rows (the case
inbox's tasks belong to cases). The panel's decision uses the disclosure decision's form, vocabulary and fields
(services.disclosures); when the subject is a MAPPA case of the area, the disclosure goes in that case's s.62 log.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from services import clock, dates, disclosures, forms, outbox
from services.access import log_access
from services.catalogue import latest_model, parsed
from services.db import db
from services.errors import Conflict, FieldError, NotFound, ValidationFailed
from services.incidents import describe
from services.instances import ENGINE, describe_error
from services.models import CsodsApplication, CsodsStage, MappaCase, User
from services.outbox import Reminder
from services.permissions import has_permission, in_every_area, require
from services.settings import area_settings
from workflows import StepResult
from workflows.calendar import ENGLAND_AND_WALES
from workflows.engine import EngineError

log = logging.getLogger(__name__)

PROCESS_ID = "csods_application"
APPLICATION_FORM = "csods_application"
STATUSES: dict[str, str] = {"open": "In progress", "referred": "Referred to child protection",
                            "disclosed": "Disclosed", "not disclosed": "Not disclosed"}
# The targets of an application, each counted in working days from the day it was made (services.settings):
# workflow data key -> (what is due, the area setting giving its working days).
TARGETS: dict[str, tuple[str, str]] = {
    "initial_contact_due": ("Initial contact and triage", "csods_initial_contact_working_days"),
    "face_to_face_due": ("Face-to-face meeting", "csods_face_to_face_working_days"),
    "risk_assessment_due": ("Risk assessment and checks", "csods_risk_assessment_working_days"),
    "decision_due": ("Panel decision", "csods_decision_working_days"),
    "outcome_due": ("Disclosure made or non-disclosure letter sent", "csods_overall_working_days"),
}
DECISION_HOOK, DISCLOSURE_HOOK = "csods_decision", "csods_disclosure"
# the police deliver a scheme disclosure themselves: the decision form's choice of agency and person is not asked
NOT_ASKED = ("deliverer_role", "deliverer")
ESCALATED_TO_AGENCY = "police"


def plan(area_id: int, received_on: date) -> dict[str, date]:
    """The application's due dates (TARGETS), from the day it was made and the area's settings."""
    settings = area_settings(area_id)
    return {key: ENGLAND_AND_WALES.add_working_days(received_on, settings[setting])
            for key, (_what, setting) in TARGETS.items()}


# --- the application -------------------------------------------------------------------------------------------

def application_schema() -> dict[str, Any]:
    return forms.load_form(APPLICATION_FORM)


def application_errors(user: User, data: dict[str, Any]) -> list[FieldError]:
    """Every problem with a new application, by field."""
    schema = application_schema()
    data = forms.drop_hidden(schema, data)
    errors = forms.validate(schema, data) or forms.date_errors(schema, data)
    if not errors and data.get("mappa_case_reference") and _mappa_case(user, data) is None:
        errors = [FieldError("mappa_case_reference", "There is no MAPPA case with this reference in your area: check "
                                                     "it, or leave it blank")]
    return errors


def _mappa_case(user: User, data: dict[str, Any]) -> MappaCase | None:
    reference = str(data.get("mappa_case_reference") or "").strip()
    if not reference:
        return None
    return db.session.scalars(select(MappaCase).where(MappaCase.reference == reference,
                                                      MappaCase.area_id == user.area_id)).first()


def create(user: User, data: dict[str, Any]) -> CsodsApplication:
    """Record an application and start its process (checked whole first: nothing is written unless all is right)."""
    require(user, "csods:apply")
    errors = application_errors(user, data)
    if errors:
        raise ValidationFailed(errors)
    data = forms.drop_hidden(application_schema(), data)
    received = date.fromisoformat(data["received_on"])
    due = plan(user.area_id, received)
    case = _mappa_case(user, data)
    now = clock.now()
    row = latest_model(PROCESS_ID)
    wf, result = ENGINE.start(parsed(row), {
        "applicant_name": data["applicant_name"], "subject_name": data["subject_name"],
        "child_name": data["child_name"], "received_on": received.isoformat(),
        "mappa_case_reference": case.reference if case else "",
        **{key: day.isoformat() for key, day in due.items()}}, now)
    application = CsodsApplication(
        reference=f"pending-{now.timestamp()}-{user.id}", area_id=user.area_id, status="open", received_on=received,
        due_on=due["outcome_due"], received_by_id=user.id, applicant_name=data["applicant_name"],
        subject_name=data["subject_name"], child_name=data["child_name"], answers=data,
        mappa_case_id=case.id if case else None, model_id=row.id, state="{}", version=0, process_status="running",
        created_at=now, updated_at=now)
    db.session.add(application)
    db.session.flush()
    application.reference = f"CSODS-{user.area.code.upper()}-{application.id:05d}"
    _save(application, wf, result, user)
    log_access(user, "csods_application_recorded", None, f"{application.reference} made {dates.long_date(received)}")
    return application


# --- reading ---------------------------------------------------------------------------------------------------

def load(user: User, application_id: int, permission: str = "csods:view") -> CsodsApplication:
    """The application if it is of the user's area (else NotFound) and the user's role holds ``permission``."""
    require(user, permission)
    application = db.session.get(CsodsApplication, application_id)
    if application is None or application.area_id != user.area_id:
        log_access(user, "csods_application_access_refused", None, f"csods application {application_id}")
        raise NotFound("application not found")
    return application


def view(user: User, application_id: int) -> CsodsApplication:
    application = load(user, application_id)
    log_access(user, "csods_application_viewed", None, application.reference)
    return application


def applications(user: User) -> list[CsodsApplication]:
    """The area's applications, newest first."""
    require(user, "csods:view")
    rows = list(db.session.scalars(select(CsodsApplication).where(CsodsApplication.area_id == user.area_id)
                                   .order_by(CsodsApplication.received_on.desc(), CsodsApplication.id.desc())))
    log_access(user, "csods_applications_listed", None, f"{len(rows)} applications")
    return rows


def stages_to_work(user: User) -> list[tuple[CsodsStage, CsodsApplication]]:
    """The open stages of the area's applications for the user's roles, soonest due first: beside their tasks in
    My tasks (an application is not a case, so its stages are not ``human_task`` rows)."""
    if not has_permission(user, "csods:work"):
        return []
    rows = [(stage, application) for stage, application in db.session.execute(
        select(CsodsStage, CsodsApplication).join(CsodsApplication, CsodsStage.application_id == CsodsApplication.id)
        .where(CsodsApplication.area_id == user.area_id, CsodsStage.state == "ready",
               CsodsStage.role.in_(sorted(user.roles)))
        .order_by(CsodsStage.due_date, CsodsStage.id))]
    if rows:
        log_access(user, "csods_stages_listed", None, f"{len(rows)} open stages")
    return rows


def stages(application: CsodsApplication) -> list[CsodsStage]:
    """The application's stages so far, in the order they opened."""
    return list(db.session.scalars(select(CsodsStage).where(CsodsStage.application_id == application.id)
                                   .order_by(CsodsStage.created_at, CsodsStage.id)))


def open_stage(application: CsodsApplication) -> CsodsStage | None:
    return db.session.scalars(select(CsodsStage).where(CsodsStage.application_id == application.id,
                                                       CsodsStage.state == "ready")).first()


@dataclass(frozen=True)
class Target:
    what: str
    due: date


def targets(application: CsodsApplication) -> list[Target]:
    """The application's due dates, as planned when it was made (its workflow data keeps them)."""
    data = ENGINE.load(parsed(application.model), application.state).task_tree.data
    return [Target(what, date.fromisoformat(str(data[key]))) for key, (what, _setting) in TARGETS.items()]


# --- working a stage -------------------------------------------------------------------------------------------

def decision_schema(application: CsodsApplication) -> dict[str, Any]:
    """The panel's decision: a case's disclosure decision form (services.disclosures) without the choice of who
    delivers it (the police do), and with who made it."""
    schema = copy.deepcopy(disclosures.decision_schema([]))
    for name in NOT_ASKED:
        schema["properties"].pop(name)
    for rule in schema["allOf"]:
        rule["then"]["required"] = [f for f in rule["then"]["required"] if f not in NOT_ASKED]
    case = application.mappa_case
    hint = (f"The subject is a MAPPA nominal ({case.reference}): the MAPP meeting is the panel" if case else
            "The agencies and people of the local decision-making panel: police, probation, children's services")
    schema["properties"] = {"panel": {"type": "string", "title": "Who made the decision?", "description": hint,
                                      "minLength": 1, "maxLength": 200,
                                      "x-required-message": "Enter who made the decision"},
                            **schema["properties"]}
    schema["x-order"] = ["panel", *[f for f in schema["x-order"] if f not in NOT_ASKED]]
    schema["required"] = ["panel", *schema["required"]]
    return schema


def stage_schema(application: CsodsApplication, stage: CsodsStage) -> dict[str, Any]:
    if stage.hook == DECISION_HOOK:
        return decision_schema(application)
    if stage.form_key is None:
        raise Conflict(f"'{stage.name}' has no form")
    return forms.load_form(stage.form_key)


def stage_errors(application: CsodsApplication, stage: CsodsStage, data: dict[str, Any]) -> list[FieldError]:
    schema = stage_schema(application, stage)
    data = forms.drop_hidden(schema, data)
    errors = forms.validate(schema, data) or forms.date_errors(schema, data)
    if not errors and stage.hook == DISCLOSURE_HOOK:
        errors = disclosures.made_before_decision(data, application.decided_at)
    return errors


def complete_stage(user: User, application_id: int, data: dict[str, Any]) -> CsodsStage:
    """Complete the application's open stage with its form's answers (checked whole first)."""
    application = load(user, application_id, "csods:work")
    db.session.execute(select(CsodsApplication.id).where(CsodsApplication.id == application.id).with_for_update())
    db.session.refresh(application)
    stage = open_stage(application)
    if stage is None:
        raise Conflict(f"{application.reference} has no stage open: it is {STATUSES[application.status].lower()}")
    errors = stage_errors(application, stage, data)
    if errors:
        raise ValidationFailed(errors)
    data = forms.drop_hidden(stage_schema(application, stage), data)
    now = clock.now()
    extra = _apply(user, application, stage, data, now)
    wf = ENGINE.load(parsed(application.model), application.state)
    result = ENGINE.complete(wf, stage.task_uuid, {**data, **extra}, now)
    stage.answers = data
    _save(application, wf, result, user, completed=stage.task_uuid)
    log_access(user, "csods_stage_completed", None, f"{application.reference}: {stage.name}")
    return stage


def _apply(user: User, application: CsodsApplication, stage: CsodsStage, data: dict[str, Any],
           now: datetime) -> dict[str, Any]:
    """What a stage records on the application; the workflow data it adds for the stages after it."""
    if stage.hook == DECISION_HOOK:
        disclose = data["decision"] == "disclose"
        told = data.get("offender_told_first")
        application.decision, application.panel, application.decided_at = data["decision"], data["panel"], now
        application.rationale = (data.get("rationale") if disclose else data.get("reason_not_disclosed")) or ""
        application.recipient, application.recipient_organisation = data.get("recipient"), data.get(
            "recipient_organisation")
        application.information, application.power = data.get("information"), data.get("power")
        application.deliver_by = date.fromisoformat(data["deliver_by"]) if disclose else None
        application.offender_told_first = (told == "yes") if told else None
        application.offender_not_told_reason = data.get("offender_not_told_reason")
        application.undertaking = data.get("undertaking")
        if not disclose:
            return {}
        return {"disclosure_recipient": f"{application.recipient} ({application.recipient_organisation})",
                "disclosure_information": application.information,
                "disclosure_power": disclosures.POWERS[application.power or ""],
                "offender_told_first": disclosures.OFFENDER_TOLD[data["offender_told_first"]]
                + (f": {application.offender_not_told_reason}" if application.offender_not_told_reason else ""),
                "disclosure_undertaking": application.undertaking}
    if stage.hook == DISCLOSURE_HOOK:
        application.delivered_on = date.fromisoformat(str(data["delivered_on"]))
        application.delivery_method = str(data["delivery_method"])
        application.undertaking_given = data.get("undertaking_given") == "yes"
        if application.mappa_case_id is not None:  # the subject is a MAPPA case: its s.62 log has the disclosure
            log_access(user, "disclosure", application.mappa_case_id,
                       f"CSODS {application.reference}: {disclosures.s62_detail(application)}")
        return {}
    if data.get("immediate_risk") == "yes":
        days = area_settings(application.area_id)["csods_child_protection_working_days"]
        return {"child_protection_due": ENGLAND_AND_WALES.add_working_days(clock.today(), days).isoformat()}
    return {}


# --- the process -----------------------------------------------------------------------------------------------

def _save(application: CsodsApplication, wf: Any, result: StepResult, actor: User | None,
          completed: str | None = None) -> None:
    """Keep the instance's state on the application and project its stages; a fired timer escalates. A step that
    failed puts the process in error (``raise_incident``), its state kept with the failed step to retry; work on the
    stages goes on meanwhile, and the process stays in error until the incident is retried."""
    now = clock.now()
    model = parsed(application.model)
    try:
        application.state = ENGINE.dump(wf)
    except EngineError as err:  # not storable (too deep): the state before the step is kept, the step is the error
        result.error = result.error or err
    application.version += 1
    application.next_timer_at = ENGINE.next_timer_at(wf)
    application.updated_at = now
    ready = {info.task_id: info for info in ENGINE.ready_user_tasks(wf, model)}
    existing = {s.task_uuid: s for s in db.session.scalars(select(CsodsStage).where(
        CsodsStage.application_id == application.id, CsodsStage.state == "ready"))}
    for uuid, stage in existing.items():
        if uuid not in ready:
            stage.state = "completed" if uuid == completed else "cancelled"
            stage.completed_at = now
            stage.completed_by_id = actor.id if actor and uuid == completed else None
    for uuid, info in ready.items():
        if uuid not in existing:
            db.session.add(CsodsStage(
                application_id=application.id, task_uuid=uuid, bpmn_id=info.step.bpmn_id, hook=info.step.hook,
                form_key=info.step.form_key, name=info.step.name, role=ENGINE.role(info), state="ready",
                due_date=ENGINE.due_date(info, now), created_at=now))
    db.session.flush()
    if any(step.kind.endswith("Boundary Event") for step in result.completed):
        _escalate(application, now)  # the stage is late, even if a step after the timer failed
    if result.error is not None:
        raise_incident(application, describe_error(result.error))
    if wf.is_completed():
        if application.process_status != "error":
            application.process_status = "completed"
        data = wf.data
        application.status = ("referred" if data.get("immediate_risk") == "yes" else
                              "disclosed" if data.get("decision") == "disclose" else "not disclosed")


def _escalate(application: CsodsApplication, now: datetime) -> None:
    """The open stage is past its due date: the area's MAPPA coordinators and police managers are told (once)."""
    today = dates.to_london(now).date()
    people = list(db.session.scalars(select(User).where(User.area_id == application.area_id,
                                                        User.active.is_(True)).order_by(User.id)))
    to = [u for u in people if "coordinator" in u.roles
          or ("manager" in u.roles and u.agency.casefold() == ESCALATED_TO_AGENCY)]
    for stage in db.session.scalars(select(CsodsStage).where(CsodsStage.application_id == application.id,
                                                             CsodsStage.state == "ready")):
        if stage.escalated_at is not None or stage.due_date is None or stage.due_date >= today:
            continue
        stage.escalated_at = now
        reminder = Reminder(
            rule="escalation", key=f"csods:{stage.id}",
            subject=f"Escalated: '{stage.name}' of CSODS application {application.reference} is late",
            body=f"'{stage.name}' of Child Sex Offender Disclosure Scheme application {application.reference} was "
                 f"due on {dates.long_date(stage.due_date)} and is not done. The whole application is due by "
                 f"{dates.long_date(application.due_on)}.")
        for person in to:
            outbox.record(reminder, person, now)


def raise_incident(application: CsodsApplication, error: str) -> None:
    """Put the application's process in error with ``error``: an incident, recorded once in the access log (the
    application's record), listed for the process owner and the area's coordinator (services.incidents); the sweep
    leaves the application alone until it is retried. The caller commits."""
    application.process_status, application.error = "error", error
    log_access(None, "csods_incident_raised", None, f"{application.reference}: {error}")


def retry(user: User, application_id: int) -> CsodsApplication:
    """The process owner's (or the area's coordinator's) retry of an application's incident: the failed step runs
    again; if it fails again, the process stays in error with what failed this time."""
    require(user, "incidents:view")
    application = db.session.get(CsodsApplication, application_id)
    if application is None or (application.area_id != user.area_id and not in_every_area(user, "incidents:view")):
        log_access(user, "csods_incident_access_refused", None, f"csods application {application_id}")
        raise NotFound("incident not found")
    application = _lock(application_id)
    if application.process_status != "error":
        raise Conflict("This process has no open incident to retry")
    log_access(user, "csods_incident_retried", None, application.reference)
    try:
        wf = ENGINE.load(parsed(application.model), application.state)
    except Exception as err:  # noqa: BLE001 - still unloadable: the incident stays open with the new reason
        application.version += 1
        raise_incident(application, describe(err))
        return application
    application.process_status, application.error = "running", None
    _save(application, wf, ENGINE.retry(wf, clock.now()), user)
    return application


def _lock(application_id: int) -> CsodsApplication:
    return db.session.scalars(select(CsodsApplication).where(CsodsApplication.id == application_id)
                              .with_for_update(of=CsodsApplication).execution_options(populate_existing=True)).one()


@dataclass
class Fired:
    """What the sweep's step did: timers fired, incidents raised, and what went wrong (for the sweep's report)."""

    timers: int = 0
    incidents: int = 0
    errors: list[str] = field(default_factory=list)


def fire_due(now: datetime) -> Fired:
    """The sweep's step: fire the due timers of running applications, each in its own transaction. One whose
    process fails is put in error (an incident) and is not due again until it is retried."""
    due = list(db.session.scalars(select(CsodsApplication.id).where(
        CsodsApplication.process_status == "running", CsodsApplication.next_timer_at < now)
        .order_by(CsodsApplication.next_timer_at).limit(200)))
    db.session.rollback()
    fired = Fired()
    for application_id in due:
        try:
            _fire_one(application_id, now, fired)
        except OperationalError as err:  # the database was busy: the next sweep tries again
            db.session.rollback()
            log.warning("sweep: CSODS application %s not fired, the database was busy", application_id, exc_info=err)
            fired.errors.append(f"csods application {application_id}: {err}")
        except Exception as err:  # noqa: BLE001 - one broken application must not stop the sweep: it is an incident
            db.session.rollback()
            _incident_of_failure(application_id, err, fired)
    return fired


def _fire_one(application_id: int, now: datetime, fired: Fired) -> None:
    application = _lock(application_id)
    if application.process_status != "running" or (application.next_timer_at or now) >= now:
        db.session.rollback()  # another sweep got there first
        return
    wf = ENGINE.load(parsed(application.model), application.state)
    result = ENGINE.fire_due_timers(wf, now)
    _save(application, wf, result, None)
    db.session.commit()
    fired.timers += 1
    if result.error is not None:
        fired.incidents += 1
        fired.errors.append(f"csods application {application_id}: {application.error}")


def _incident_of_failure(application_id: int, err: Exception, fired: Fired) -> None:
    """The application could not even be run (its state does not load, saving it crashed): it is put in error in a
    transaction of its own, so the process owner sees it and the sweep leaves it alone."""
    text = describe(err)
    log.warning("sweep: CSODS application %s failed and is now in error: %s", application_id, text, exc_info=err)
    fired.errors.append(f"csods application {application_id}: {text}")
    try:
        application = _lock(application_id)
        application.version += 1
        raise_incident(application, text)
        db.session.commit()
        fired.incidents += 1
    except Exception as again:
        db.session.rollback()
        log.exception("sweep: could not record the incident of CSODS application %s", application_id)
        fired.errors.append(f"csods application {application_id}: incident not recorded: "
                            f"{type(again).__name__}: {again}")


def is_late(stage: CsodsStage, today: date) -> bool:
    return stage.state == "ready" and stage.due_date is not None and stage.due_date < today
