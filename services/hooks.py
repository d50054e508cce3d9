"""Domain hooks a process model declares on its user tasks (``<spiffworkflow:property name="hook" value="..."/>``).

The services find and react to steps by these names, never by BPMN element ids, so a model republished with its
ids renamed keeps working. Publishing refuses a model that declares a hook the services do not know.
"""

from __future__ import annotations

# hook name -> what the services do with a step that declares it
HOOKS: dict[str, str] = {
    "minutes_draft": "writing the minutes: submitting them for approval completes it",
    "minutes_approval": "the chair's approval: approved minutes record the level decision, next review and actions",
    "minutes_revision": "returned minutes revised: they go back to the chair",
    "minutes_distribution": "approved minutes sent out: the minutes are marked distributed",
    "agenda_research": "an agency's research before a meeting: its notes reach the chair on the agenda",
    "meeting_review": "the MAPP meeting's review of a case: agendas offer it, approved minutes complete it",
    "level1_review": "the lead agency's Level 1 review: counted in the reviews on time",
    "level1_endorsement": "a manager's endorsement of a Level 1 review: never by the officer who wrote the review",
    "agreed_action": "an action agreed at a meeting: shown in the meeting papers",
    "visor_update": "the case's meetings and changes recorded on ViSOR: they leave what ViSOR has not been told",
    "disclosure_delivery": "a decided disclosure delivered: recorded on the decision and in the case's s.62 log",
    "rso_notification": "a registered sex offender's notification or home visit taken: recorded on the case's "
                        "notification record, and the next one due started",
    "rso_missed": "a missed sex offender notification found a breach: recorded on the notification record",
    "sfo_mappa_n": "the MAPPA N sent: the serious further offence awaits the SMB's decision on a serious case review",
    "sfo_scr_decision": "the SMB's decision whether to hold a serious case review, with its reasons, on the SFO record",
    "sfo_action_plan": "a serious case review's action plan agreed: each action becomes a task for its owner",
    "sfo_publication": "the SMB's publication decision: the serious case review is closed",
    "critical_referral": "a CPPC referral prepared: the critical case flag awaits the senior manager's decision",
    "critical_decision": "the senior manager's decision on a CPPC referral: the case is critical, or not",
    "critical_notification": "a critical case notified to HMPPS Public Protection Group: who, when and reference",
    "critical_review": "a critical case flag reviewed: it stays, or the case is de-registered",
    "csods_decision": "a CSODS panel's decision whether to disclose: recorded on the application",
    "csods_disclosure": "a CSODS disclosure delivered: kept on the application; a MAPPA case's s.62 log has it",
    "smb_audit": "a sampled case or meeting scored against the national audit tool: its scores join the SMB summary",
}
# hooks whose step's form the services supply (a step declaring one needs no formKey of its own)
FORM_HOOKS: frozenset[str] = frozenset({"csods_decision"})  # the disclosure decision's form (services.csods)

# Model versions published before steps declared hooks: (process id, BPMN id) -> hook. Used only for a version
# that declares no hook at all, so instances pinned to those versions keep working.
LEGACY_STEP_HOOKS: dict[tuple[str, str], str] = {
    ("mappa_minutes", "approve_minutes"): "minutes_approval",
    ("mappa_minutes", "revise_minutes"): "minutes_revision",
    ("mappa_minutes", "distribute_minutes"): "minutes_distribution",
    ("mappa_research", "police_research"): "agenda_research",
    ("mappa_research", "om_research"): "agenda_research",
    ("mappa_research", "prison_research"): "agenda_research",
    ("mappa_review", "meeting_review"): "meeting_review",
    ("mappa_review", "level1_review"): "level1_review",
    ("mappa_action", "complete_action"): "agreed_action",
}


def unknown_hooks(declared: list[tuple[str, str | None]]) -> list[str]:
    """``declared``: (step name, hook) pairs. The messages for hooks the services do not know."""
    known = ", ".join(sorted(HOOKS))
    return [
        f"user task '{step}' declares hook '{hook}', which the services do not know (known hooks: {known})"
        for step, hook in declared
        if hook is not None and hook not in HOOKS
    ]
