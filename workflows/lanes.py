"""The agency roles: one vocabulary for lanes, task owners, permissions and labels.

A BPMN lane names a role by its display name; the role resolves to people inside the case's MAPPA area. The
Responsible Authority (police, probation, prison) and the MAPPA unit see every case in their area; the
duty-to-co-operate agencies (CJA 2003 s.325(6)) see only the cases they work on (services.access).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    key: str  # held by users, stored on tasks
    name: str  # shown on pages and drawn as the lane's label
    agency: str  # the agency the role belongs to, as meetings invite it and minutes record an action's owner
    area_wide: bool = False  # sees every case in the area (Responsible Authority and MAPPA unit)
    owns_actions: bool = True  # may own an action agreed for a case
    duty_to_cooperate: bool = False
    personal: bool = False  # its tasks go to one named person (the referrer), not to everyone holding the role


def _dtc(key: str, name: str, agency: str) -> Role:
    return Role(key, name, agency, duty_to_cooperate=True)


ROLES: tuple[Role, ...] = (
    Role("offender_manager", "Offender Manager", "Probation", area_wide=True),
    Role("police", "Police Public Protection", "Police", area_wide=True),
    Role("prison", "Prison", "Prison", area_wide=True),
    _dtc("childrens_social_care", "Children's Social Care", "Children's social care"),
    _dtc("adult_social_care", "Adult Social Care", "Adult social care"),
    _dtc("youth_offending_team", "Youth Offending Team", "Youth Offending Team"),
    _dtc("victim_liaison", "Victim Liaison", "Victim liaison"),
    _dtc("health", "Health", "Health"),
    _dtc("housing", "Housing", "Housing"),
    _dtc("jobcentre", "Jobcentre Plus", "Jobcentre Plus"),
    _dtc("education", "Education", "Education"),
    _dtc("immigration", "UK Visas and Immigration", "UK Visas and Immigration"),
    _dtc("electronic_monitoring", "Electronic Monitoring", "Electronic monitoring"),
    _dtc("defence", "Ministry of Defence", "Ministry of Defence"),
    _dtc("nhs_england", "NHS England", "NHS England"),
    _dtc("integrated_care_board", "Integrated Care Board", "Integrated Care Board"),
    _dtc("nhs_trust", "NHS Trust", "NHS Trust"),
    _dtc("social_housing_provider", "Social Housing Provider", "Social housing provider"),
    _dtc("border_force", "Border Force", "Border Force"),
    _dtc("immigration_enforcement", "Immigration Enforcement", "Immigration Enforcement"),
    Role("coordinator", "MAPPA Coordinator", "MAPPA Unit", area_wide=True),
    Role("administrator", "MAPPA Administrator", "MAPPA Unit", area_wide=True),
    Role("chair", "MAPP Meeting Chair", "MAPPA Unit", area_wide=True),
    Role("manager", "Manager", "MAPPA Unit", area_wide=True, owns_actions=False),
    Role("referrer", "Referrer", "Referring agency", owns_actions=False, personal=True),
    Role("lay_adviser", "Lay Adviser", "Strategic Management Board", owns_actions=False),
    Role("smb_chair", "SMB Chair", "Strategic Management Board", owns_actions=False),
)
ROLE_BY_KEY: dict[str, Role] = {r.key: r for r in ROLES}
ROLE_NAMES: dict[str, str] = {r.key: r.name for r in ROLES}
# Lane label (as drawn in the diagram) -> role key held by users.
LANE_ROLES: dict[str, str] = {r.name: r.key for r in ROLES}
ACTION_OWNER_ROLES: tuple[str, ...] = tuple(r.key for r in ROLES if r.owns_actions)
AREA_WIDE_ROLES = frozenset(r.key for r in ROLES if r.area_wide)
DUTY_TO_COOPERATE_ROLES = frozenset(r.key for r in ROLES if r.duty_to_cooperate)
PERSONAL_ROLES = frozenset(r.key for r in ROLES if r.personal)
# The Strategic Management Board's members govern MAPPA from aggregated figures (statistics, audit summaries, the
# business plan): lay advisers have no role in individual case decisions (CJA 2003 s.326, MAPPA.md section 1), so
# lay advisers hold no case work (services.permissions.CASE_WORK leaves them out) and the SMB chair only the serious
# case review steps of a case whose review reaches them.
SMB_ROLES = frozenset(r.key for r in ROLES if r.agency == "Strategic Management Board")
# The agencies that can lead a case, each with the role its lead officer must hold (named by the role's agency).
LEAD_ROLES: dict[str, str] = {ROLE_BY_KEY[key].agency: key
                              for key in ("offender_manager", "police", "prison", "youth_offending_team", "health")}
LEAD_AGENCIES: tuple[str, ...] = tuple(LEAD_ROLES)
# Who keeps a case's ViSOR record up to date, by lead agency. ViSOR is shared by the police, probation and prisons
# (MAPPA.md, section 19): probation-led cases are recorded by the offender manager, prison-led ones by the prison;
# every other lead agency (police, youth offending team, health) has the police public protection unit, the
# ViSOR manager (MAPPA.md, section 21), do it.
VISOR_ROLES: dict[str, str] = {ROLE_BY_KEY[key].agency: key for key in ("offender_manager", "prison")}
VISOR_DEFAULT_ROLE = "police"




@dataclass(frozen=True)
class DutyToCooperateAgency:
    """A body CJA 2003 s.325(6) puts under the duty to co-operate, as an area sets it up (services.agencies)."""

    key: str  # stored on the area's set-up row (AreaAgency.agency)
    name: str  # as its roles carry it (Role.agency): meetings invite it and users work for it by this name
    statute: str  # the s.325(6) entry it answers to (MAPPA guidance 2022 ch.3, 3.4)


# The s.325(6) list (MAPPA.md section 1), one agency per body that signs in with its own role. The social services
# functions of local authorities are two agencies (children's and adults'); the Health Authority's and the local
# authorities' health functions are "Health". Victim liaison is probation's unit, not a s.325(6) body: its role
# sees only the cases it works on but is not set up per area.
DTC_AGENCIES: tuple[DutyToCooperateAgency, ...] = (
    DutyToCooperateAgency("youth_offending_team", "Youth Offending Team", "Youth offending teams"),
    DutyToCooperateAgency("jobcentre", "Jobcentre Plus", "The Department for Work and Pensions (Jobcentre Plus)"),
    DutyToCooperateAgency("defence", "Ministry of Defence", "The Ministry of Defence"),
    DutyToCooperateAgency("education", "Education", "The education functions of local authorities"),
    DutyToCooperateAgency("childrens_social_care", "Children's social care",
                          "The social services functions of local authorities (children)"),
    DutyToCooperateAgency("adult_social_care", "Adult social care",
                          "The social services functions of local authorities (adults)"),
    DutyToCooperateAgency("health", "Health", "The health functions of local authorities; the Health Authority"),
    DutyToCooperateAgency("nhs_england", "NHS England", "NHS England"),
    DutyToCooperateAgency("integrated_care_board", "Integrated Care Board",
                          "Integrated Care Boards (formerly CCGs) or Local Health Boards"),
    DutyToCooperateAgency("nhs_trust", "NHS Trust", "NHS Trusts"),
    DutyToCooperateAgency("housing", "Housing", "The local housing authority"),
    DutyToCooperateAgency("social_housing_provider", "Social housing provider",
                          "Private registered providers of social housing and registered social landlords that "
                          "accommodate MAPPA offenders"),
    DutyToCooperateAgency("electronic_monitoring", "Electronic monitoring", "Electronic monitoring providers"),
    DutyToCooperateAgency("immigration", "UK Visas and Immigration", "UK Visas and Immigration"),
    DutyToCooperateAgency("border_force", "Border Force", "Border Force"),
    DutyToCooperateAgency("immigration_enforcement", "Immigration Enforcement", "Immigration Enforcement"),
)
DTC_AGENCY_BY_KEY: dict[str, DutyToCooperateAgency] = {a.key: a for a in DTC_AGENCIES}
DTC_AGENCY_BY_NAME: dict[str, DutyToCooperateAgency] = {a.name.casefold(): a for a in DTC_AGENCIES}


def dtc_agency_of_role(key: str) -> DutyToCooperateAgency | None:
    """The s.325(6) agency a role belongs to (None for the Responsible Authority, the MAPPA unit, victim liaison)."""
    role = ROLE_BY_KEY.get(key)
    return DTC_AGENCY_BY_NAME.get(role.agency.casefold()) if role and role.duty_to_cooperate else None


def agency_roles(agency_key: str) -> tuple[str, ...]:
    """The role keys of one s.325(6) agency."""
    return tuple(r.key for r in ROLES if (a := dtc_agency_of_role(r.key)) is not None and a.key == agency_key)


def visor_role(lead_agency: str) -> str:
    """The role whose people record a case's changes on ViSOR."""
    return VISOR_ROLES.get(lead_agency, VISOR_DEFAULT_ROLE)


def role_name(key: str) -> str:
    """The role's display name; an unknown key (e.g. from an old model) is shown as it is stored."""
    role = ROLE_BY_KEY.get(key)
    return role.name if role else key


def agency_of(key: str) -> str:
    """The agency a role belongs to ('' for an unknown key)."""
    role = ROLE_BY_KEY.get(key)
    return role.agency if role else ""


def agencies_of(keys: frozenset[str] | set[str]) -> frozenset[str]:
    """The agency names the given roles belong to (as meetings invite agencies)."""
    return frozenset(ROLE_BY_KEY[k].agency for k in keys if k in ROLE_BY_KEY)


class UnknownLane(ValueError):
    pass


def role_for_lane(lane: str | None) -> str:
    if lane is None:
        raise UnknownLane("a user task must sit in a lane that names an agency role")
    try:
        return LANE_ROLES[lane]
    except KeyError:
        known = ", ".join(sorted(LANE_ROLES))
        raise UnknownLane(f"lane '{lane}' names no known role (known lanes: {known})") from None
