"""Disclosure decisions (MAPPA guidance ch.10, MAPPA.md §9): whether to tell a third party about the offender.

A decision is made at a Level 2/3 review (recorded from the approved minutes) or between meetings (the case page).
A decision to disclose names the recipient and their role or organisation, what is disclosed, the power used, who
delivers it and by when, whether the offender is told first (and why not), and the recipient's undertaking; its
delivery is a task (bpmn/disclosure.bpmn) for the person named, due that day. Completing it records how and when
it was made and that the undertaking was given, and writes a ``disclosure`` row with its recipient in the case's
s.62 log (the access log: who disclosed, who received, when, under which power). A decision not to disclose keeps
its reason and starts nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import select

from services import clock, dates, forms
from services.access import load_case_for, log_access
from services.db import db
from services.errors import Conflict, FieldError, NotFound, ValidationFailed
from services.instances import CLOSED_STATUSES, phase_data, record, start_phase
from services.models import DisclosureDecision, HumanTask, MappaCase, Minutes, User
from services.permissions import may_on_case
from workflows.lanes import ACTION_OWNER_ROLES, role_name

DECISIONS: dict[str, str] = {"disclose": "Disclose", "not_disclose": "Do not disclose"}
# The power a disclosure is made under. MAPPA.md §9 names none: these are the bases MAPPA guidance ch.10 and the
# Child Sex Offender Disclosure Scheme rest on (UNCONFIRMED against the live guidance: check before relying on them).
POWERS: dict[str, str] = {
    "common_law_police": "Common law police power to disclose to protect the public",
    "cja_2003_s327a": "Criminal Justice Act 2003 s.327A (consider disclosure: child sex offences)",
    "cja_2003_s325": "Criminal Justice Act 2003 s.325 (MAPPA co-operation and information sharing)",
    "dpa_2018_part3": "Data Protection Act 2018 Part 3 (law enforcement purposes)",
    "offender_consent": "The offender's consent (the offender discloses, with police or probation help)",
}
OFFENDER_TOLD: dict[str, str] = {"yes": "Yes, the offender is told first", "no": "No"}
DELIVERER_ROLES: tuple[str, ...] = ACTION_OWNER_ROLES  # any agency role can be asked to deliver a disclosure
STATUSES = {"to deliver": "To deliver", "delivered": "Delivered", "not disclosed": "Not disclosed"}
DELIVERY_FORM = "disclosure_delivery"


def _text(title: str, message: str, *, long: bool = True, hint: str | None = None) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "string", "title": title, "minLength": 1, "maxLength": 8000 if long else 200,
                            "x-required-message": message}
    if long:
        prop["x-widget"] = "textarea"
    if hint:
        prop["description"] = hint
    return prop


def _choice(title: str, labels: dict[str, str], message: str, widget: str = "radios") -> dict[str, Any]:
    return {"type": "string", "title": title, "enum": list(labels), "x-labels": labels, "x-widget": widget,
            "x-required-message": message}


def _when(field: str, value: str, *required: str) -> dict[str, Any]:
    return {"if": {"properties": {field: {"const": value}}, "required": [field]}, "then": {"required": list(required)}}


DISCLOSE_FIELDS = ("recipient", "recipient_organisation", "information", "power", "rationale", "deliverer_role",
                   "deliver_by", "offender_told_first", "undertaking")


def decision_schema(officers: list[User]) -> dict[str, Any]:
    """The decision as a form (JSON Schema): the page renders it, this module validates with it."""
    properties = {
        "decision": _choice("What was decided?", DECISIONS, "Select whether to disclose"),
        "reason_not_disclosed": _text("Why not disclose?", "Enter why the information is not disclosed"),
        "recipient": _text("Who is told?", "Enter who is told", long=False, hint="Their name"),
        "recipient_organisation": _text("Their role or organisation", "Enter the recipient's role or organisation",
                                        long=False, hint="For example, head teacher, St Mary's Primary School"),
        "information": _text("What is disclosed?", "Enter what is disclosed"),
        "power": _choice("Power used", POWERS, "Select the power the disclosure is made under"),
        "rationale": _text("Why is it necessary and proportionate?", "Enter why the disclosure is necessary "
                           "and proportionate"),
        "deliverer_role": _choice("Which agency delivers it?", {r: role_name(r) for r in DELIVERER_ROLES},
                                  "Select the agency that delivers the disclosure", "select"),
        "deliverer": {**_choice("Who delivers it?", {u.username: f"{u.display_name} ({u.agency})" for u in officers},
                                "Select who delivers the disclosure", "select"),
                      "description": "Leave blank for anyone in that agency's role to pick it up"},
        "deliver_by": {"type": "string", "format": "date", "title": "Deliver by", "x-date": "future",
                       "description": "For example, 27 3 2027", "x-required-message": "Enter the date to deliver by"},
        "offender_told_first": _choice("Is the offender told first?", OFFENDER_TOLD,
                                       "Select whether the offender is told first"),
        "offender_not_told_reason": _text("Why is the offender not told?", "Enter why the offender is not told",
                                          hint="For example, telling them would increase the risk or obstruct an "
                                               "investigation"),
        "undertaking": _text("The recipient's undertaking", "Enter the undertaking the recipient gives",
                             hint="What they agree to: keep it confidential, use it only to protect the people "
                                  "at risk, share it with nobody else"),
    }
    return {"type": "object", "additionalProperties": False, "x-order": list(properties), "required": ["decision"],
            "properties": properties,
            "allOf": [_when("decision", "not_disclose", "reason_not_disclosed"),
                      _when("decision", "disclose", *DISCLOSE_FIELDS),
                      _when("offender_told_first", "no", "offender_not_told_reason")]}


def officers(area_id: int) -> list[User]:
    """Who can be named to deliver a disclosure: the area's active agency staff."""
    users = db.session.scalars(select(User).where(User.area_id == area_id, User.active.is_(True))
                               .order_by(User.display_name))
    return [u for u in users if u.roles & set(DELIVERER_ROLES)]


def decision_errors(case: MappaCase, data: dict[str, Any], prefix: str = "") -> list[FieldError]:
    """Every problem with one decision, named by its field (``prefix`` places it inside a larger body)."""
    people = officers(case.area_id)
    schema = decision_schema(people)
    data = forms.drop_hidden(schema, data)
    errors = forms.validate(schema, data) or forms.date_errors(schema, data)
    if not errors and data.get("decision") == "disclose" and data.get("deliverer"):
        person = next(u for u in people if u.username == data["deliverer"])
        if data["deliverer_role"] not in person.roles:
            errors = [FieldError("deliverer", f"{person.display_name} does not work as "
                                              f"{role_name(data['deliverer_role'])}: choose someone who does, or "
                                              "leave it blank")]
    return [FieldError(prefix + e.field, e.message) for e in errors]


def record_decision(user: User, case_id: int, data: dict[str, Any], minutes_id: int | None = None
                    ) -> DisclosureDecision:
    """Record a decision (checked whole first: nothing is written unless all of it is right). ``minutes_id``: the
    minutes of the MAPP meeting review that made it. A decision to disclose starts its delivery."""
    case = load_case_for(user, case_id, "disclosures:record", event="disclosure_decision_viewed")
    minutes = review_minutes(case, minutes_id)
    if case.status in CLOSED_STATUSES and "coordinator" not in user.roles:
        raise Conflict(f"This case is closed ({case.status}); only a MAPPA coordinator can record a disclosure")
    errors = decision_errors(case, data)
    if errors:
        raise ValidationFailed(errors)
    data = forms.drop_hidden(decision_schema(officers(case.area_id)), data)
    row = _decision_row(user, case, data, minutes)
    db.session.add(row)
    db.session.flush()
    if row.decision == "disclose":
        _start_delivery(user, case, row, data)
    summary = (f"Disclosure to {row.recipient} ({row.recipient_organisation}) decided, delivered by "
               f"{role_name(row.deliverer_role or '')} by {dates.long_date(row.deliver_by)}"
               if row.decision == "disclose" else f"Decided not to disclose: {row.rationale}")
    if minutes is not None:
        summary = f"At the MAPP meeting of {dates.long_date(minutes.meeting.starts_at)}: {summary}"
    record(case, "disclosure_decided", summary[:400], user, None,
           {"disclosure_decision": row.id, "decision": row.decision, "minutes": row.minutes_id})
    log_access(user, "disclosure_decision_recorded", case.id, summary)
    return row


def review_minutes(case: MappaCase, minutes_id: int | None) -> Minutes | None:
    """The minutes of this case's review the decision belongs to (another case's minutes are not found)."""
    if minutes_id is None:
        return None
    minutes = db.session.get(Minutes, minutes_id)
    if minutes is None or minutes.case_id != case.id:
        raise NotFound("minutes not found")
    return minutes


def decisions_at(minutes: Minutes) -> list[DisclosureDecision]:
    """The disclosure decisions a MAPP meeting review made for its case."""
    return list(db.session.scalars(select(DisclosureDecision).where(DisclosureDecision.minutes_id == minutes.id)
                                   .order_by(DisclosureDecision.id)))


def approval_errors(minutes: Minutes) -> list[FieldError]:
    """A Level 2 or 3 MAPP meeting review considers disclosure every time (MAPPA guidance ch.10): its minutes are not
    approved until a decision, to disclose or not, is recorded for the review."""
    if minutes.meeting.level not in (2, 3) or decisions_at(minutes):
        return []
    return [FieldError("approval", "Record a disclosure decision for this review before approving the minutes: a "
                                   "Level 2 or 3 MAPP meeting decides at every review whether to disclose, and why")]


def _decision_row(user: User, case: MappaCase, data: dict[str, Any], minutes: Minutes | None) -> DisclosureDecision:
    disclose = data["decision"] == "disclose"
    deliverer = db.session.scalars(select(User).where(User.username == data.get("deliverer"),
                                                      User.area_id == case.area_id)).first()
    told = data.get("offender_told_first")
    return DisclosureDecision(
        case_id=case.id, minutes_id=minutes.id if minutes else None, decision=data["decision"],
        rationale=(data.get("rationale") if disclose else data.get("reason_not_disclosed")) or "",
        recipient=data.get("recipient"), recipient_organisation=data.get("recipient_organisation"),
        information=data.get("information"), power=data.get("power"), deliverer_role=data.get("deliverer_role"),
        deliverer_id=deliverer.id if deliverer else None,
        deliver_by=date.fromisoformat(data["deliver_by"]) if disclose else None,
        offender_told_first=(told == "yes") if told else None,
        offender_not_told_reason=data.get("offender_not_told_reason"), undertaking=data.get("undertaking"),
        status="to deliver" if disclose else "not disclosed", decided_by_id=user.id, decided_at=clock.now())


def _start_delivery(user: User, case: MappaCase, row: DisclosureDecision, data: dict[str, Any]) -> None:
    instance = start_phase(case, "disclosure", phase_data(case, {}) | {
        "disclosure_decision_id": row.id, "deliverer_role": row.deliverer_role, "deliverer": data.get("deliverer"),
        "deliver_by": data["deliver_by"], "disclosure_recipient": f"{row.recipient} ({row.recipient_organisation})",
        "disclosure_information": row.information, "disclosure_power": POWERS[row.power or ""],
        "offender_told_first": OFFENDER_TOLD[data["offender_told_first"]]
        + (f": {row.offender_not_told_reason}" if row.offender_not_told_reason else ""),
        "disclosure_undertaking": row.undertaking}, user)
    row.process_instance_id = instance.id


def delivery_errors(user: User, task: HumanTask, data: dict[str, Any]) -> list[FieldError]:
    """A case's disclosure is made on or after the day it was decided (``made_before_decision``)."""
    row = db.session.scalars(select(DisclosureDecision).where(
        DisclosureDecision.process_instance_id == task.instance_id)).first()
    return made_before_decision(data, row.decided_at if row else None)


def made_before_decision(data: dict[str, Any], decided_at: datetime | None) -> list[FieldError]:
    """A disclosure, a case's or a Child Sex Offender Disclosure Scheme application's, is made on or after the day it
    was decided (and so never before the application was made): the s.62 log keeps the date it was made."""
    return forms.on_or_after(DELIVERY_FORM, "delivered_on", data, decided_at, "when it was decided")


def on_delivered(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    """The delivery task completed: the decision is delivered, and the case's s.62 log has the disclosure."""
    row = db.session.get(DisclosureDecision, int(data.get("disclosure_decision_id") or 0))
    if row is None or row.case_id != task.case_id:
        raise NotFound("disclosure decision not found")
    row.status, row.delivered_by_id = "delivered", user.id
    row.delivered_on = date.fromisoformat(str(data["delivered_on"]))
    row.delivery_method, row.undertaking_given = str(data["delivery_method"]), data.get("undertaking_given") == "yes"
    log_access(user, "disclosure", row.case_id, s62_detail(row))


class Delivered(Protocol):
    """A delivered disclosure: a case's decision, or a Child Sex Offender Disclosure Scheme application's."""

    recipient: str | None
    recipient_organisation: str | None
    information: str | None
    power: str | None
    delivered_on: date | None
    delivery_method: str | None


def s62_detail(row: Delivered) -> str:
    """What the s.62 log keeps of a disclosure: who received it, when and how, under which power, and what."""
    method = forms.load_form(DELIVERY_FORM)["properties"]["delivery_method"]["x-labels"].get(row.delivery_method, "")
    return (f"to {row.recipient} ({row.recipient_organisation}) on {dates.long_date(row.delivered_on)}, "
            f"{method.lower()}; power: {POWERS.get(row.power or '', row.power)}; undertaking given; "
            f"disclosed: {row.information}")[:400]


def decisions_of(user: User, case: MappaCase) -> list[DisclosureDecision]:
    """The case's disclosure decisions, newest first, for those who may see them (else none)."""
    if not may_on_case(user, "disclosures:view", case):
        return []
    return _decisions(case.id)


def _decisions(case_id: int) -> list[DisclosureDecision]:
    return list(db.session.scalars(select(DisclosureDecision).where(DisclosureDecision.case_id == case_id)
                                   .order_by(DisclosureDecision.decided_at.desc(), DisclosureDecision.id.desc())))


def decisions_for(user: User, case_id: int) -> list[DisclosureDecision]:
    """The case's disclosure decisions, newest first, read on their own (the API): access-logged, 404 for a case
    out of reach and 403 for a role that may not read them."""
    case = load_case_for(user, case_id, "disclosures:view", event="disclosure_decisions_viewed")
    return _decisions(case.id)


def request_schema() -> dict[str, Any]:
    """The decision as a JSON request (the API): the form's fields and conditions, the person who delivers it named
    by username, and the minutes of the MAPP meeting review that made it, if one did."""
    schema = decision_schema([])
    properties = schema["properties"] | {
        "deliverer": {"type": "string", "description": "Username of who delivers it; leave out for anyone in the "
                                                       "agency's role to pick it up"},
        "minutes_id": {"type": "integer", "description": "The minutes of the MAPP meeting review that made it"}}
    return {**schema, "properties": properties, "x-order": list(properties)}
