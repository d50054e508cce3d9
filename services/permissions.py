"""Who may do what: the one permission table that pages, the API, navigation and the access matrix read.

Every route names one permission (app.security's ``requires``/``api_requires``); services that act call
``require`` with the same name. A permission answers the three questions every request asks:

- **role**: which agency roles hold it (``roles``);
- **relationship**: what the user must be to the object (``scope``): any case in the area for the Responsible
  Authority and the MAPPA unit, only the cases they work on for duty-to-co-operate agencies (services.access);
  the holder of a task; invited to a meeting; the owner of a token;
- **area**: the user's own MAPPA area. Objects in another area are answered 404, never 403, so that nobody
  learns another area's case exists. The one exception is named in the table too: a national role listed in a
  permission's ``every_area`` holds it in every area (the process owner, who publishes and migrates the models
  every area runs, sees and retries every area's process incidents).

A role without the permission gets 403; an object outside the relationship or the area gets 404. Both are logged
as ``*_refused`` security events (app.extensions writes one for every refused request).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.errors import Forbidden
from services.models import MappaCase, User
from workflows.lanes import AREA_WIDE_ROLES, LEAD_ROLES, ROLE_BY_KEY, SMB_ROLES, role_name

__all__ = ["AREA_WIDE_ROLES", "CASE_WORK", "MINUTE_TAKERS", "ORGANISERS", "PERMISSIONS", "REFUSAL_EVENTS", "SECTIONS",
           "Permission", "Scope", "has_permission", "in_every_area", "may_on_case", "refusal", "require",
           "section_of"]


class Scope(StrEnum):
    """The relationship to the object a permission is used on (beyond holding a role, in the same area)."""

    NONE = "none"  # not about one object; lists are narrowed by services.access
    CASE = "case"  # a case the user may see: any in the area if area-wide, else one their agency works on
    LEAD_AGENCY = "lead_agency"  # a case the user may see; a manager must be of its lead agency (User.agency)
    TASK = "task"  # seeing: area-wide roles, the assignee, or the task's role; working: assignee or role only
    MEETING = "meeting"  # a meeting of the area; duty-to-co-operate agencies only when invited to one of its cases
    MINUTES = "minutes"  # one case's minutes at one meeting: the meeting's and the case's relationship together
    HAND_ON = "hand_on"  # a task the user may see, and holds (assignee) or supervises (coordinator, manager)
    CHAIR = "chair"  # a meeting the user may see and chairs
    CASE_LEAD = "case_lead"  # a case the user may see; agency staff (not the MAPPA unit) only one they lead
    OWN = "own"  # the user's own object (their API tokens; coordinators and managers: any in their area)
    AREA = "area"  # an object of the user's area that is not case data (settings, incidents, users)


@dataclass(frozen=True)
class Permission:
    roles: frozenset[str]
    scope: Scope
    purpose: str
    every_area: frozenset[str] = frozenset()  # national roles that hold it in every area, not only their own


# every agency role, duty-to-co-operate agencies included (workflows.lanes); not lay advisers, who have no role in
# individual case decisions (CJA 2003 s.326). The SMB chair works only the serious case review steps of the cases
# whose review reaches them (services.access: a task of theirs on the case).
CASE_WORK = frozenset(ROLE_BY_KEY) - {"lay_adviser"}
EVERYONE = CASE_WORK | {"process_owner"} | SMB_ROLES
ORGANISERS = frozenset({"coordinator", "administrator"})  # the MAPPA unit arranges meetings
MINUTE_TAKERS = ORGANISERS | {"chair"}
RESPONSIBLE_AUTHORITY_AND_UNIT = AREA_WIDE_ROLES
RESPONSIBLE_AUTHORITY = frozenset({"offender_manager", "police", "prison"})
SUPERVISORS = frozenset({"coordinator", "manager"})  # hand on anyone's task in their area
DISCLOSURE_RECORDERS = MINUTE_TAKERS | frozenset(LEAD_ROLES.values())
REFERRERS = CASE_WORK - {"manager", "administrator", "chair", "smb_chair"}
GROUPS: dict[frozenset[str], str] = {  # how a refusal names a large set of roles
    EVERYONE: "signed-in staff", CASE_WORK: "agency staff", REFERRERS: "agency staff who refer offenders",
    RESPONSIBLE_AUTHORITY_AND_UNIT: "Responsible Authority (police, probation, prison) and the MAPPA unit",
}

PERMISSIONS: dict[str, Permission] = {
    "signed_in": Permission(EVERYONE, Scope.NONE, "Sign out, see one's own settings page"),
    "notifications:view": Permission(EVERYONE, Scope.NONE, "See one's own notifications"),
    "tasks:work": Permission(CASE_WORK, Scope.TASK, "See one's inbox and the tasks one may see; claim, "
                             "complete, release, reassign one's own or one's role's tasks"),
    "tasks:reassign": Permission(CASE_WORK, Scope.HAND_ON, "Hand a task one holds to a colleague (coordinators "
                                 "and managers: any task in the area)"),
    "cases:view": Permission(CASE_WORK, Scope.CASE, "Read a case: its page, history and diagram"),
    "cases:contribute": Permission(CASE_WORK, Scope.CASE, "Ask for an early review of a case"),
    # MAPPA guidance ch.10: disclosure is decided and recorded at the MAPP meeting (the MAPPA unit minutes it: chair,
    # coordinator, administrator) or, between meetings, by the coordinator or the case's lead officer, whose agency
    # manages the risk day to day. Other agency staff ask for it through the case's lead or an early review.
    "disclosures:record": Permission(DISCLOSURE_RECORDERS, Scope.CASE_LEAD, "Record a decision whether to "
                                     "disclose information about an offender to a third party"),
    # like minutes, disclosure decisions are the Responsible Authority's and the MAPPA unit's to read
    "disclosures:view": Permission(RESPONSIBLE_AUTHORITY_AND_UNIT, Scope.CASE, "See a case's disclosure decisions"),
    # Sexual Offences Act 2003 Part 2: registered sex offenders notify the police in person; the police public
    # protection unit records it. The Responsible Authority and the MAPPA unit read the record.
    "rso:record": Permission(frozenset({"police"}), Scope.CASE, "Record a registered sex offender's notification "
                             "event (requirement, notification, change, travel, home visit, breach)"),
    "rso:view": Permission(RESPONSIBLE_AUTHORITY_AND_UNIT, Scope.CASE, "See a case's sex offender notification record"),
    # Serious further offences (MAPPA.md §13): the police who charge, the probation or prison officer managing the
    # offender, or the MAPPA coordinator notify the charge; the SMB chair, whose board decides on a serious case
    # review, sees only the cases whose review has reached them (a task of theirs: services.access.case_scope)
    "sfo:notify": Permission(RESPONSIBLE_AUTHORITY | {"coordinator"}, Scope.CASE,
                             "Notify a serious further offence charge on a MAPPA case"),
    "sfo:view": Permission(RESPONSIBLE_AUTHORITY_AND_UNIT | {"smb_chair"}, Scope.CASE,
                           "See a case's serious further offences and their serious case reviews"),
    # MAPPA guidance ch.19 (UNCONFIRMED): the MAPPA coordinator flags a Level 3 case and prepares the CPPC referral;
    # the Responsible Authority's senior manager (the manager role) decides it in their inbox (tasks:work)
    "critical:flag": Permission(frozenset({"coordinator"}), Scope.CASE, "Flag a Level 3 case as a possible critical "
                                "public protection case"),
    "critical:view": Permission(RESPONSIBLE_AUTHORITY_AND_UNIT, Scope.CASE, "See a case's critical public protection "
                                "case flags, their reasons and their history"),
    # Child Sex Offender Disclosure Scheme applications (MAPPA.md §18) are the police's: a member of the public
    # applies through a police officer, who runs every stage; the MAPPA unit follows them (the panel may be a MAPP
    # meeting). An application is not a case: the area is the relationship.
    "csods:view": Permission(frozenset({"police", "coordinator", "manager"}), Scope.AREA,
                             "See the area's Child Sex Offender Disclosure Scheme applications"),
    "csods:apply": Permission(frozenset({"police"}), Scope.NONE,
                              "Record a Child Sex Offender Disclosure Scheme application"),
    "csods:work": Permission(frozenset({"police"}), Scope.AREA,
                             "Complete the stages of a Child Sex Offender Disclosure Scheme application"),
    "actions:agree": Permission(MINUTE_TAKERS, Scope.CASE, "Record an action agreed for a case between meetings"),
    "cases:refer": Permission(REFERRERS, Scope.NONE,
                              "Identify an offender and make a referral"),
    # who sees a case changes with its area and its lead: the coordinator's decision, or the lead agency's manager's
    "cases:transfer": Permission(SUPERVISORS, Scope.LEAD_AGENCY, "Transfer a case to another MAPPA area"),
    "cases:change_lead": Permission(SUPERVISORS, Scope.LEAD_AGENCY, "Change a case's lead agency or officer"),
    # the custody date is the Responsible Authority's fact (prison, probation, police) or the coordinator's
    "cases:change_release_date": Permission(RESPONSIBLE_AUTHORITY | {"coordinator"}, Scope.CASE,
                                            "Record a new release date"),
    "cases:change_address": Permission(RESPONSIBLE_AUTHORITY | {"coordinator"}, Scope.CASE,
                                       "Record a change of address"),
    "cases:record_outcome": Permission(RESPONSIBLE_AUTHORITY | {"coordinator"}, Scope.CASE,
                                       "Record a return to custody, a breach, a serious further offence or a "
                                       "serious case review"),
    "audit:view": Permission(frozenset({"coordinator", "manager"}), Scope.CASE, "See who read or changed a case"),
    "meetings:view": Permission(CASE_WORK, Scope.MEETING, "See MAPP meetings and their agenda items"),
    "meetings:organise": Permission(ORGANISERS, Scope.MEETING, "Schedule meetings, build and arrange agendas"),
    "meetings:papers": Permission(RESPONSIBLE_AUTHORITY_AND_UNIT, Scope.MEETING,
                                  "Read research notes, meeting papers, agenda PDFs and recordings"),
    # minutes reach duty-to-co-operate agencies by distribution (the distribute step), not by reading drafts here
    "minutes:view": Permission(RESPONSIBLE_AUTHORITY_AND_UNIT, Scope.MINUTES, "Read one case's minutes at a meeting"),
    "minutes:write": Permission(MINUTE_TAKERS, Scope.MINUTES, "Open and close meetings, record attendance, write "
                                "and submit minutes, attach recordings, record disclosures"),
    "minutes:share": Permission(frozenset({"chair"}), Scope.CHAIR, "Permit onward sharing of a meeting's minutes "
                                "(the meeting's own chair)"),
    # the process owner is national (studio:edit publishes and migrates every area's models): every area's
    # incidents, each labelled with its area; a coordinator sees their own area's
    "incidents:view": Permission(frozenset({"process_owner", "coordinator"}), Scope.AREA,
                                 "See process incidents and retry them", every_area=frozenset({"process_owner"})),
    "statistics:view": Permission(frozenset({"coordinator", "manager", "chair", "administrator"}), Scope.NONE,
                                  "See the area's statistics"),
    "area_tasks:view": Permission(frozenset({"manager", "coordinator"}), Scope.NONE,
                                  "See every open task in the area, who holds it and how late it is"),
    "statistics:export": Permission(frozenset({"coordinator", "manager"}), Scope.NONE,
                                    "Export the annual MAPPA statistics and the SMB pack"),
    "settings:change": Permission(frozenset({"coordinator"}), Scope.AREA, "Change the area's settings"),
    # unlock locked accounts and revoke API tokens of users in their own area
    "accounts:manage": Permission(SUPERVISORS, Scope.AREA, "Unlock accounts and revoke API tokens in the area"),
    "account:tokens": Permission(EVERYONE, Scope.OWN, "Create, see and revoke one's own API tokens"),
    # CJA 2003 s.325(5)-(6): which duty-to-co-operate agencies work with the area, their memoranda, and who holds
    # their roles (services.agencies)
    "agencies:view": Permission(EVERYONE, Scope.NONE, "See the duty-to-co-operate agencies set up in the area"),
    "agencies:manage": Permission(SUPERVISORS, Scope.AREA, "Set up the area's duty-to-co-operate agencies and "
                                  "their memoranda, and give people of the area their agency roles"),
    # process models are national: not one area's, so no relationship beyond the role
    "studio:view": Permission(frozenset({"process_owner", "coordinator", "manager"}), Scope.NONE,
                              "See process models, their versions, drafts, checks and comparisons"),
    "studio:edit": Permission(frozenset({"process_owner"}), Scope.NONE,
                              "Import, edit, check, publish and migrate process models and forms"),
    # SMB governance (MAPPA.md section 14): aggregated figures only; the audit sample names cases, so only the MAPPA
    # unit's coordinator and managers, who draw it and audit it, see it
    "smb:view": Permission(frozenset({"coordinator", "manager", "chair"}) | SMB_ROLES, Scope.NONE,
                           "See the SMB pack: aggregated statistics, audit summaries and the business plan"),
    "smb:plan": Permission(frozenset({"coordinator", "manager", "smb_chair"}), Scope.AREA,
                           "Add to the SMB business plan and record its actions' progress"),
    "smb:audit": Permission(SUPERVISORS, Scope.AREA, "Draw the annual audit sample of cases and meetings and see it"),
}


def in_every_area(user: User, permission: str) -> bool:
    """The user holds ``permission`` in every MAPPA area through a national role (``Permission.every_area``)."""
    return bool(user.roles & PERMISSIONS[permission].every_area)


def has_permission(user: User, permission: str) -> bool:
    entry = PERMISSIONS.get(permission)
    if entry is None:
        raise KeyError(f"unknown permission {permission!r}")
    return bool(user.roles & entry.roles)


# permission on one case -> the access-log event written when it is refused
REFUSAL_EVENTS: dict[str, str] = {
    "cases:transfer": "case_transfer_refused",
    "cases:change_lead": "case_lead_change_refused",
    "cases:change_release_date": "case_release_date_change_refused",
    "cases:change_address": "case_address_change_refused",
    "cases:record_outcome": "case_outcome_refused",
    "disclosures:record": "disclosure_decision_refused",
    "rso:record": "rso_event_refused",
    "sfo:notify": "sfo_notification_refused",
    "critical:flag": "critical_flag_refused",
}


def manages_lead_agency(user: User, case: MappaCase) -> bool:
    """The user works for the case's lead agency (a manager is their own agency's manager, User.agency)."""
    return bool(case.lead_agency) and user.agency.casefold() == case.lead_agency.casefold()


# A case's sections that not everyone who reads the case may open, each with the permission to open it. What they
# hold is kept out of the case's history (lines of their kinds, or written by their phase), its open steps and its
# phases for anyone without it (services.cases.case_view), except what that person did or holds themselves.
SECTIONS: dict[str, str] = {"disclosure": "disclosures:view", "rso": "rso:view", "sfo": "sfo:view",
                            "critical": "critical:view", "research": "minutes:view"}
SECTION_EVENTS: dict[str, str] = {
    "disclosure_decided": "disclosure",
    "rso_event_recorded": "rso", "notification_breach": "rso",
    "serious_further_offence": "sfo", "serious_case_review": "sfo", "sfo_notified": "sfo", "sfo_mappa_n_sent": "sfo",
    "sfo_scr_decided": "sfo", "sfo_review_closed": "sfo",
    **dict.fromkeys(("critical_flagged", "critical_referral_prepared", "critical_referral_decided",
                     "critical_case_notified", "critical_flag_reviewed", "critical_flag_ended"), "critical"),
}


def section_of(kind: str | None, phase: str | None) -> str | None:
    """The restricted section a history line (by its kind or its phase) or a step (by its phase) belongs to."""
    return SECTION_EVENTS.get(kind or "") or (phase if phase in SECTIONS else None)


def may_on_case(user: User, permission: str, case: MappaCase) -> bool:
    """The user holds ``permission`` on this case: its area, a role holding it, and the relationship it needs."""
    if case.area_id != user.area_id or not has_permission(user, permission):
        return False
    if PERMISSIONS[permission].scope is Scope.LEAD_AGENCY:
        return "coordinator" in user.roles or manages_lead_agency(user, case)
    if PERMISSIONS[permission].scope is Scope.CASE_LEAD:
        return bool(user.roles & MINUTE_TAKERS) or case.lead_officer_id == user.id
    return True


def refusal(permission: str) -> str:
    """What a refused user is told: who may, and what (never anything about the object asked for)."""
    entry = PERMISSIONS[permission]
    names = sorted(role_name(role) if role in ROLE_BY_KEY else role.replace("_", " ") for role in entry.roles)
    who = GROUPS.get(entry.roles) or (", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0])
    return f"Only the {who} can {entry.purpose[:1].lower()}{entry.purpose[1:]}"


def require(user: User, permission: str) -> None:
    """Refuse (403) a user whose roles do not hold ``permission``."""
    if not has_permission(user, permission):
        raise Forbidden(refusal(permission))
