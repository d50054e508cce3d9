"""Per-area settings with the defaults MAPPA.md lists (every UNCONFIRMED figure is a setting)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from services.db import db
from services.models import AreaSetting


@dataclass(frozen=True)
class Setting:
    label: str
    unit: str
    default: int
    minimum: int
    maximum: int


SETTINGS: dict[str, Setting] = {
    "level3_review_weeks": Setting("Level 3 review interval (maximum)", "weeks", 8, 1, 52),
    "level2_review_weeks": Setting("Level 2 review interval (maximum)", "weeks", 16, 1, 52),
    "level1_review_months": Setting("Level 1 review interval", "months", 3, 1, 24),
    "review_notice_days": Setting("Notice before a review is due", "days", 14, 1, 90),
    "early_review_working_days": Setting("Early review held within", "working days", 5, 1, 60),
    "endorsement_working_days": Setting("Manager endorses a Level 1 review within", "working days", 5, 1, 60),
    "identify_after_sentence_days": Setting("Identify MAPPA eligibility after sentence", "days", 3, 1, 90),
    "visor_after_sentence_days": Setting("Create or link ViSOR record after sentence", "days", 3, 1, 90),
    "visor_record_days": Setting("Create or link ViSOR record after a referral is accepted", "days", 3, 1, 90),
    # MAPPA.md gives 3 days (UNCONFIRMED) for creating the record; no figure for updates, so the same 3 days
    "visor_update_days": Setting("Record a meeting or change of a case on ViSOR within", "days", 3, 1, 30),
    "check_referral_working_days": Setting("Coordinator checks a referral within", "working days", 5, 1, 60),
    "amend_referral_working_days": Setting("Referrer amends a returned referral within", "working days", 5, 1, 60),
    "screening_working_days": Setting("Screening decision within", "working days", 10, 1, 60),
    "first_meeting_working_days": Setting("Referral accepted to first Level 2 or 3 meeting", "working days", 20, 1,
                                          120),
    "level_setting_before_release_months": Setting("Set MAPPA level before earliest release", "months", 6, 1, 24),
    "mappa_j_before_release_weeks": Setting("MAPPA J to Jobcentre Plus before release", "weeks", 6, 1, 52),
    "rmp_before_release_days": Setting("Release risk management plan opens before release", "days", 14, 1, 90),
    "custody_notice_days": Setting("Custody steps open before they are due", "days", 28, 0, 180),
    "minutes_distribution_working_days": Setting("Minutes distributed after the meeting", "working days", 10, 1, 60),
    "minutes_drafting_working_days": Setting("Minutes drafted after the meeting", "working days", 5, 1, 30),
    "minutes_approval_working_days": Setting("Minutes approved by the chair after submission", "working days", 5, 1,
                                             30),
    "minutes_revision_working_days": Setting("Returned minutes revised within", "working days", 3, 1, 30),
    "research_working_days_before_meeting": Setting("Agenda research done before the meeting", "working days", 2, 1,
                                                    20),
    "recording_retention_days": Setting("Meeting recordings kept for", "days", 90, 1, 365),
    "action_chase_working_days": Setting("Coordinator chases an overdue action within", "working days", 2, 1, 30),
    "action_chair_working_days": Setting("Chair considers an overdue action within", "working days", 5, 1, 30),
    "disclosure_chase_working_days": Setting("Coordinator chases an overdue disclosure within", "working days", 2,
                                             1, 30),
    # Serious further offences and MAPPA serious case reviews (MAPPA.md §13): the MAPPA N reaches the SMB chair and
    # the coordinator within 5 days (the guidance's figure; the form's letter N is UNCONFIRMED). MAPPA.md gives no time
    # limit for the later SCR steps: each of those defaults is UNCONFIRMED against the live guidance.
    "sfo_mappa_n_days": Setting("MAPPA N (SCR notification) sent to the SMB chair within", "days", 5, 1, 60),
    "sfo_scr_decision_days": Setting("SMB decides whether to hold a serious case review within", "days", 28, 1, 180),
    "sfo_scr_terms_days": Setting("SMB sets the serious case review's terms of reference within", "days", 14, 1, 90),
    "sfo_scr_panel_days": Setting("Serious case review panel appointed within", "days", 14, 1, 90),
    "sfo_scr_report_days": Setting("MAPPA O serious case review report written within", "days", 180, 1, 730),
    "sfo_action_plan_days": Setting("Serious case review action plan agreed within", "days", 28, 1, 180),
    "sfo_publication_days": Setting("SMB decides whether to publish the serious case review within", "days", 28, 1,
                                    180),
    "sfo_chase_working_days": Setting("Overdue serious further offence step chased within", "working days", 2, 1,
                                      30),
    # Critical Public Protection Cases (MAPPA guidance ch.19): MAPPA.md gives no time limits (UNCONFIRMED), so these
    # are the area's own
    "cppc_referral_working_days": Setting("Coordinator prepares a CPPC referral within", "working days", 5, 1, 30),
    "cppc_approval_working_days": Setting("Senior manager decides a CPPC referral within", "working days", 5, 1, 30),
    "cppc_notification_working_days": Setting("Approved CPPC notified to HMPPS Public Protection Group within",
                                              "working days", 2, 1, 30),
    "cppc_review_weeks": Setting("Critical case flag reviewed every", "weeks", 8, 1, 52),
    "cppc_chase_working_days": Setting("An overdue CPPC step is dealt with within", "working days", 2, 1, 30),
    # Child Sex Offender Disclosure Scheme (MAPPA.md §18): 45 days end to end (one force's guidance, taken as working
    # days); the sub-stage targets are UNCONFIRMED, each counted from the day the application was made
    "csods_overall_working_days": Setting("CSODS application decided and disclosed (or letter sent) within",
                                          "working days", 45, 1, 120),
    "csods_initial_contact_working_days": Setting("CSODS initial contact and triage within", "working days", 1, 0,
                                                  20),
    "csods_child_protection_working_days": Setting("CSODS immediate risk referred to child protection within",
                                                   "working days", 0, 0, 5),
    "csods_face_to_face_working_days": Setting("CSODS face-to-face meeting within", "working days", 10, 1, 60),
    "csods_risk_assessment_working_days": Setting("CSODS risk assessment and checks within", "working days", 25, 1,
                                                  90),
    "csods_decision_working_days": Setting("CSODS panel decision within", "working days", 35, 1, 120),
    "rescreen_working_days": Setting("Transferred case re-screened within", "working days", 10, 1, 60),
    "confirm_exit_working_days": Setting("Exit confirmed within", "working days", 10, 1, 60),
    "indefinite_notification_review_years": Setting("Indefinite notification first reviewed after", "years", 15,
                                                    1, 30),
    "indefinite_notification_review_years_juvenile": Setting(
        "Indefinite notification first reviewed after (under 18 at conviction)", "years", 8, 1, 30),
    # Registered sex offender notification (SOA 2003 Part 2, MAPPA.md §17; services.rso). The 3 days, 12 months,
    # weekly and 7 days are confirmed; the 12-hour short travel notice is Northern Ireland's (UNCONFIRMED for E&W;
    # 0 turns it off) and the home visit intervals by risk of serious harm are UNCONFIRMED local practice.
    "rso_initial_days": Setting("Registered sex offender: initial notification within", "days", 3, 1, 30),
    "rso_change_days": Setting("Registered sex offender: change of details notified within", "days", 3, 1, 30),
    "rso_periodic_months": Setting("Registered sex offender: periodic re-notification every", "months", 12, 1, 24),
    "rso_no_fixed_abode_days": Setting("Registered sex offender with no fixed abode: notification every", "days", 7,
                                       1, 31),
    "rso_travel_notice_days": Setting("Registered sex offender: foreign travel notified before departure", "days", 7,
                                      1, 60),
    "rso_travel_short_notice_hours": Setting(
        "Registered sex offender: shortest travel notice when details were not known (0: not allowed)", "hours", 12,
        0, 168),
    "rso_visit_months_very_high": Setting("Home visit to a very high risk registered sex offender every", "months", 3,
                                          1, 24),
    "rso_visit_months_high": Setting("Home visit to a high risk registered sex offender every", "months", 6, 1, 24),
    "rso_visit_months_medium": Setting("Home visit to a medium risk registered sex offender every", "months", 12, 1,
                                       36),
    "rso_visit_months_low": Setting("Home visit to a low risk registered sex offender every", "months", 24, 1, 60),
    "rso_missed_working_days": Setting("Coordinator considers a missed sex offender notification within",
                                       "working days", 2, 1, 30),
    "rso_breach_investigation_days": Setting("Police investigate a breach of notification requirements within",
                                             "days", 28, 1, 180),
    "escalation_working_days": Setting("Overdue step escalated to the line manager and coordinator after",
                                       "working days", 3, 1, 30),
    "sign_in_lockout_minutes": Setting("A locked account opens again after", "minutes", 30, 1, 1440),
    "api_token_days": Setting("New API tokens expire after", "days", 90, 1, 365),
    # SMB annual audit (MAPPA.md section 14: no national figure): the sample drawn, and the time to score it
    "smb_audit_cases_per_level": Setting("Cases sampled for the annual audit, per level (2 and 3)", "cases", 3, 0, 50),
    "smb_audit_meetings": Setting("Meetings sampled for the annual audit", "meetings", 2, 0, 50),
    "smb_audit_days": Setting("Sampled cases and meetings audited within", "days", 28, 1, 120),
    # 0: not set (the annual statistics then give no rate of registered sexual offenders per 100,000)
    "area_population": Setting("Area population, for registered sexual offenders per 100,000", "people", 0, 0,
                               20_000_000),
}
DEFAULTS: dict[str, int] = {key: setting.default for key, setting in SETTINGS.items()}




@dataclass(frozen=True)
class Throttle:
    """At most ``failures`` failed attempts from one client address within ``window``."""

    failures: int
    window: timedelta


# Sign-in limits that no area owns (a client address or an unknown username has no area). NCSC: lock an account
# after 10 consecutive failed sign-ins; it opens again after the area's sign_in_lockout_minutes or when a MAPPA
# coordinator or manager unlocks it.
ACCOUNT_LOCKOUT_FAILURES = 10
SIGN_IN_ADDRESS_THROTTLE = Throttle(failures=50, window=timedelta(minutes=15))
API_TOKEN_ADDRESS_THROTTLE = Throttle(failures=100, window=timedelta(minutes=15))


def changed_in_areas(key: str) -> dict[int, int]:
    """The areas that set ``key`` to something other than its default, and the value each set: one query, however
    many areas (area_settings reads one area's whole set)."""
    default = DEFAULTS[key]
    values = {area_id: int(value) for area_id, value in db.session.execute(
        select(AreaSetting.area_id, AreaSetting.value).where(AreaSetting.key == key))}
    return {area_id: value for area_id, value in values.items() if value != default}


def area_settings(area_id: int) -> dict[str, int]:
    values = dict(DEFAULTS)
    for row in db.session.scalars(select(AreaSetting).where(AreaSetting.area_id == area_id)):
        if row.key in values:
            values[row.key] = int(row.value)
    return values
