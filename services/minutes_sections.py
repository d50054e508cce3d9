"""The named sections of MAPPA minutes for one offender (the MAPPA C structure), in the order they are written."""

from __future__ import annotations

from services.forms import load_form
from workflows.lanes import ACTION_OWNER_ROLES, role_name

# key -> heading. Text sections hold plain text (paragraphs separated by blank lines).
TEXT_SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "attendees": "Attendees and apologies",
    "information_shared": "Information shared by each agency",
    "risk_assessment": "Risk assessment: risk of serious harm and to whom",
    "victim_issues": "Victim and potential victim issues",
    "children_vulnerable_adults": "Children and adults at risk",
    "diversity": "Diversity",
    "rmp_supervision": "Risk management plan: supervision",
    "rmp_monitoring_control": "Risk management plan: monitoring and control",
    "rmp_interventions": "Risk management plan: interventions and treatment",
    "rmp_victim_safety": "Risk management plan: victim safety planning",
    "contingency": "Contingency plan",
    "licence_conditions": "Licence conditions",
    "disclosure_decisions": "Disclosure decisions (to whom, what, who discloses, offender told or not, why)",
    "dissent": "Dissent recorded",
}
# Structured sections:
#   actions: [{"description": str, "owner_role": str, "owner_agency": str, "due": "YYYY-MM-DD"}]
#   level_decision: {"decision": "level_1" | "level_2" | "level_3" | "exit", "rationale": str}
#   next_review_date: "YYYY-MM-DD"
STRUCTURED_SECTIONS: dict[str, str] = {
    "actions": "Actions",
    "level_decision": "Level decision and rationale",
    "next_review_date": "Next review date",
}
ALL_SECTIONS: dict[str, str] = TEXT_SECTIONS | STRUCTURED_SECTIONS
LEVEL_DECISIONS = {"level_1": "Level 1 (step down)", "level_2": "Level 2", "level_3": "Level 3",
                   "exit": "Exit from MAPPA"}
# What minutes may hold, checked whenever they are saved (services.meetings; the API's MinutesSections declares
# these), so that nothing saved is refused later: the rationale becomes the meeting review's at approval
# (forms/meeting_review.json), each action an agreed action (the case page's form and the API take the same).
TEXT_SECTION_MAX = 40_000
RATIONALE_MAX: int = load_form("meeting_review")["properties"]["review_rationale"]["maxLength"]
ACTION_DESCRIPTION_MAX = 8000
OWNER_AGENCY_MAX = 200
ACTIONS_MAX = 100
LEVEL_DECISION_KEYS = ("decision", "rationale")
ACTION_KEYS = ("description", "owner_role", "owner_agency", "due")
# Who can own an action agreed at a meeting (role -> label); each is an agency role an action task can go to.
ACTION_OWNERS: dict[str, str] = {key: role_name(key) for key in ACTION_OWNER_ROLES}
