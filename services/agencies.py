"""Duty-to-co-operate agencies set up per MAPPA area (CJA 2003 s.325(6); MAPPA.md section 1).

Every agency of the s.325(6) list (workflows.lanes.DTC_AGENCIES) is under the duty in every area; an area records
which of them work with it, each one's contact, and its memorandum of understanding with each (s.325(5)): when it
was signed, when it is to be reviewed, its document reference and notes. An agency without a row works in the area
with no memorandum recorded yet (so areas set up before this page keep every agency). An agency the area has set
as not working with it:

- cannot have its roles given to anyone in the area (``set_roles`` refuses, naming the agency);
- is not invited to the area's meetings (services.meetings.invitees), so it comes to see none of its cases.

The coordinator and the manager set agencies up and give people their roles (``agencies:manage``). When a
memorandum's review date comes, the sweep tells the area's MAPPA coordinators once (``remind_memorandum_reviews``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from services import clock, dates, outbox
from services.access import log_access
from services.db import db
from services.errors import FieldError, NotFound, ValidationFailed
from services.models import AreaAgency, ReminderOutbox, User
from services.outbox import Reminder
from services.permissions import CASE_WORK, require
from workflows.lanes import (
    DTC_AGENCIES,
    DTC_AGENCY_BY_KEY,
    ROLE_BY_KEY,
    ROLES,
    DutyToCooperateAgency,
    agency_roles,
    dtc_agency_of_role,
    role_name,
)

CONTACT_CHARS, EMAIL_CHARS, REFERENCE_CHARS, NOTES_CHARS = 120, 200, 200, 2000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# what a user's roles may be set to on the roles page: the agency roles (the process owner is national, not given
# here, and kept as it is)
GRANTABLE_ROLES = CASE_WORK
# the MAPPA unit's and the Strategic Management Board's roles carry more than agency work (a coordinator sets the
# area up and sees its incidents): only someone holding one gives it or takes it away
HOLDER_GIVES = frozenset(key for key in GRANTABLE_ROLES
                         if ROLE_BY_KEY[key].agency in ("MAPPA Unit", "Strategic Management Board"))
# a memorandum whose review date came within this many days is still told (a scheduler that was down catches up)
MOU_REMINDER_DAYS = 7
MOU_RULE = "overdue"  # the reminders' vocabulary (services.reminders.RULES): the review is due


@dataclass(frozen=True)
class AgencySetUp:
    """One s.325(6) agency in one area: as set up, or (no row) working with no memorandum recorded."""

    agency: DutyToCooperateAgency
    row: AreaAgency | None
    roles: tuple[str, ...]

    @property
    def enabled(self) -> bool:
        return self.row is None or self.row.enabled

    @property
    def memorandum(self) -> str:
        """The memorandum's state in words: not recorded, in force, or its review date passed."""
        if self.row is None or self.row.mou_signed_on is None:
            return "Not recorded"
        if self.row.mou_review_on is not None and self.row.mou_review_on < clock.today():
            return "Review overdue"
        return "In force"


def area_agencies(area_id: int) -> list[AgencySetUp]:
    """Every s.325(6) agency, in the statute's order, as the area has set it up."""
    rows = {r.agency: r for r in db.session.scalars(select(AreaAgency).where(AreaAgency.area_id == area_id))}
    return [AgencySetUp(a, rows.get(a.key), agency_roles(a.key)) for a in DTC_AGENCIES]


def agency_set_up(user: User, key: str) -> AgencySetUp:
    """One agency as the user's area has set it up (NotFound for a key outside the s.325(6) list)."""
    agency = DTC_AGENCY_BY_KEY.get(key)
    if agency is None:
        log_access(user, "agency_access_refused", None, f"agency {key[:60]}")
        raise NotFound("agency not found")
    row = db.session.scalars(select(AreaAgency).where(AreaAgency.area_id == user.area_id,
                                                      AreaAgency.agency == key)).first()
    return AgencySetUp(agency, row, agency_roles(key))


def not_working_in(area_id: int) -> frozenset[str]:
    """The names (casefolded, as meetings invite agencies) of the s.325(6) agencies the area has set as not
    working with it."""
    keys = db.session.scalars(select(AreaAgency.agency).where(AreaAgency.area_id == area_id,
                                                              AreaAgency.enabled.is_(False)))
    return frozenset(DTC_AGENCY_BY_KEY[k].name.casefold() for k in keys if k in DTC_AGENCY_BY_KEY)


def works_in(area_id: int, agency_name: str) -> bool:
    """Does the agency (by the name meetings invite it by) work in the area? Agencies outside the s.325(6) list
    (the Responsible Authority, victim liaison) always do."""
    return agency_name.casefold() not in not_working_in(area_id)


@dataclass(frozen=True)
class SetUpForm:
    """What the agency page (or a client) submits: raw text, dates as (day, month, year) parts."""

    enabled: str
    contact_name: str = ""
    contact_email: str = ""
    mou_signed_on: tuple[str, str, str] = ("", "", "")
    mou_review_on: tuple[str, str, str] = ("", "", "")
    mou_reference: str = ""
    mou_notes: str = ""


def _date(field: str, label: str, parts: tuple[str, str, str]) -> date | FieldError | None:
    day, month, year = (p.strip() for p in parts)
    if not (day or month or year):
        return None
    if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
        return FieldError(field, f"{label} must be a real date, like 31 3 2026")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return FieldError(field, f"{label} must be a real date, like 31 3 2026")


def _holders(area_id: int, agency_key: str) -> list[User]:
    roles = set(agency_roles(agency_key))
    users = db.session.scalars(select(User).where(User.area_id == area_id, User.active.is_(True))
                               .order_by(User.display_name))
    return [u for u in users if u.roles & roles]


def _validate(area_id: int, agency: DutyToCooperateAgency, form: SetUpForm) -> dict[str, object]:
    errors: list[FieldError] = []
    if form.enabled not in ("yes", "no"):
        errors.append(FieldError("enabled", f"Choose whether {agency.name} works with this area"))
    elif form.enabled == "no":
        holders = _holders(area_id, agency.key)
        if holders:
            names = ", ".join(u.display_name for u in holders)
            errors.append(FieldError("enabled", f"{names} still hold{'s' if len(holders) == 1 else ''} a role of "
                                     f"{agency.name}: take it from them on their roles page first"))
    contact, email = form.contact_name.strip(), form.contact_email.strip()
    reference, notes = form.mou_reference.strip(), form.mou_notes.strip()
    if len(contact) > CONTACT_CHARS:
        errors.append(FieldError("contact_name", f"Contact must be {CONTACT_CHARS} characters or fewer"))
    if email and (len(email) > EMAIL_CHARS or not EMAIL.match(email)):
        errors.append(FieldError("contact_email", "Enter an email address in the correct format, like "
                                 "name@example.gov.uk"))
    signed = _date("mou_signed_on", "Date the memorandum was signed", form.mou_signed_on)
    review = _date("mou_review_on", "Date the memorandum is to be reviewed", form.mou_review_on)
    for parsed in (signed, review):
        if isinstance(parsed, FieldError):
            errors.append(parsed)
    if isinstance(signed, date) and signed > clock.today():
        errors.append(FieldError("mou_signed_on", "Date the memorandum was signed must be today or in the past"))
    if isinstance(review, date) and not isinstance(signed, date) and not isinstance(signed, FieldError):
        errors.append(FieldError("mou_signed_on", "Enter the date the memorandum was signed to give its review "
                                 "date"))
    if isinstance(signed, date) and isinstance(review, date) and review <= signed:
        errors.append(FieldError("mou_review_on", "Date the memorandum is to be reviewed must be after the date it "
                                 "was signed"))
    if len(reference) > REFERENCE_CHARS:
        errors.append(FieldError("mou_reference", f"Document reference must be {REFERENCE_CHARS} characters or "
                                 "fewer"))
    if len(notes) > NOTES_CHARS:
        errors.append(FieldError("mou_notes", f"Notes must be {NOTES_CHARS} characters or fewer"))
    if errors:
        raise ValidationFailed(errors)
    return {"enabled": form.enabled == "yes", "contact_name": contact or None, "contact_email": email or None,
            "mou_signed_on": signed, "mou_review_on": review, "mou_reference": reference or None,
            "mou_notes": notes or None}


def set_up(user: User, key: str, form: SetUpForm) -> AgencySetUp:
    """Record whether the agency works with the user's area, its contact and the area's memorandum with it."""
    require(user, "agencies:manage")
    current = agency_set_up(user, key)
    values = _validate(user.area_id, current.agency, form)
    row = current.row
    if row is None:
        row = AreaAgency(area_id=user.area_id, agency=key)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at, row.updated_by_id = clock.now(), user.id
    db.session.flush()
    log_access(user, "area_agency_set_up", None,
               f"{current.agency.name}: {'works with the area' if row.enabled else 'not working with the area'}"
               f"; memorandum {row.mou_reference or 'no reference'}")
    return AgencySetUp(current.agency, row, current.roles)


def area_users(user: User) -> list[User]:
    """The people of the user's area, by name (for the roles pages)."""
    require(user, "agencies:manage")
    return list(db.session.scalars(select(User).where(User.area_id == user.area_id).order_by(User.display_name)))


def user_in_area(user: User, user_id: int) -> User:
    other = db.session.get(User, user_id)
    if other is None or other.area_id != user.area_id:
        log_access(user, "user_access_refused", None, f"user {user_id}")
        raise NotFound("user not found")
    return other


@dataclass(frozen=True)
class GrantableRole:
    key: str
    name: str
    agency: str
    available: bool  # not a role of an agency the area has set as not working with it
    fixed: bool = False  # only a holder of the role may give or take it, and the giver does not hold it


def grantable_roles(absent: frozenset[str], giver: User) -> list[GrantableRole]:
    """The agency roles a person may be given, in the vocabulary's order, each marked available or not, and fixed
    (neither given nor taken) when only a holder of the role may change it and the giver does not hold it."""
    return [GrantableRole(r.key, r.name, r.agency,
                          r.agency.casefold() not in absent or dtc_agency_of_role(r.key) is None,
                          r.key in _fixed_for(giver))
            for r in ROLES if r.key in GRANTABLE_ROLES]


def _fixed_for(giver: User) -> frozenset[str]:
    return HOLDER_GIVES - giver.roles


def absent_agency(area_id: int, role: str) -> DutyToCooperateAgency | None:
    """The s.325(6) agency of this role if the area has set it as not working with it (else None)."""
    agency = dtc_agency_of_role(role)
    return agency if agency is not None and agency.name.casefold() in not_working_in(area_id) else None


def role_refusals(area_id: int, roles: set[str] | frozenset[str]) -> list[FieldError]:
    """A role of a s.325(6) agency the area has set as not working with it cannot be given: one error each."""
    absent = not_working_in(area_id)
    errors = []
    for role in sorted(roles):
        agency = dtc_agency_of_role(role)
        if agency is not None and agency.name.casefold() in absent:
            errors.append(FieldError("roles", f"{agency.name} is not set up to work with this area, so no one here "
                                     f"can be given its role {role_name(role)}. Set the agency up first"))
    return errors


def set_roles(user: User, user_id: int, roles: list[str]) -> User:
    """Give a person of the area their agency roles (the coordinator or the manager; never their own)."""
    require(user, "agencies:manage")
    other = user_in_area(user, user_id)
    wanted = set(roles)
    errors = [FieldError("roles", f"{r[:40]} is not an agency role") for r in sorted(wanted - GRANTABLE_ROLES)]
    if other.id == user.id:
        errors.append(FieldError("roles", "You cannot change your own roles: ask another coordinator or manager"))
    before = other.roles
    fixed = _fixed_for(user)
    if not wanted and not before & fixed:  # a role kept for them (below) is a role
        errors.append(FieldError("roles", "Choose at least one role"))
    errors += role_refusals(user.area_id, wanted & GRANTABLE_ROLES)
    errors += [FieldError("roles", f"Only a {role_name(r)} can give someone the {role_name(r)} role")
               for r in sorted((wanted - before) & fixed)]
    if errors:
        raise ValidationFailed(errors)
    wanted = (wanted - fixed) | (before & fixed)  # a role the giver may not take is kept (its box cannot be cleared)
    other.roles = wanted | (before - GRANTABLE_ROLES)  # the process owner's role is not given here: kept
    log_access(user, "user_roles_changed", None,
               f"user {other.id}: {', '.join(sorted(before)) or 'none'} -> {', '.join(sorted(other.roles))}")
    return other


def remind_memorandum_reviews(now: datetime) -> int:
    """Each memorandum of understanding whose review date has come is told once to its area's MAPPA coordinators
    (in the app, and by email when they have an address); one reviewed and given a new date is told again when that
    date comes. Only the memorandums falling due in the last ``MOU_REMINDER_DAYS`` are read, and those already told
    are skipped by one query, so a sweep a minute costs next to nothing. Returns how many people were told."""
    today = dates.to_london(now).date()
    rows = list(db.session.scalars(select(AreaAgency).where(
        AreaAgency.enabled.is_(True), AreaAgency.mou_review_on <= today,
        AreaAgency.mou_review_on > today - timedelta(days=MOU_REMINDER_DAYS)).order_by(AreaAgency.id)))
    keys = {row.id: f"mou:{row.id}:{row.mou_review_on}" for row in rows}
    if not keys:
        return 0
    told_already = set(db.session.scalars(select(ReminderOutbox.key).where(
        ReminderOutbox.rule == MOU_RULE, ReminderOutbox.key.in_(sorted(keys.values())))))
    coordinators: dict[int, list[User]] = {}  # per area, read once
    told = 0
    for row in rows:
        if keys[row.id] in told_already:
            continue
        assert row.mou_review_on is not None  # the query's range
        if row.area_id not in coordinators:
            coordinators[row.area_id] = [u for u in db.session.scalars(select(User).where(
                User.area_id == row.area_id, User.active.is_(True)).order_by(User.id)) if "coordinator" in u.roles]
        name = DTC_AGENCY_BY_KEY[row.agency].name
        reminder = Reminder(
            rule=MOU_RULE, key=keys[row.id], subject=f"Memorandum of understanding with {name} is due for review",
            body=f"The area's memorandum of understanding with {name} ({row.mou_reference or 'no reference'}) is to "
                 f"be reviewed by {dates.long_date(row.mou_review_on)}. Record the review and its next date on the "
                 "Agencies page.")
        told += sum(outbox.record(reminder, person, now) for person in coordinators[row.area_id])
    return told
