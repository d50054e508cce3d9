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
    "rescreen_working_days": Setting("Transferred case re-screened within", "working days", 10, 1, 60),
    "confirm_exit_working_days": Setting("Exit confirmed within", "working days", 10, 1, 60),
    "indefinite_notification_review_years": Setting("Indefinite notification first reviewed after", "years", 15,
                                                    1, 30),
    "indefinite_notification_review_years_juvenile": Setting(
        "Indefinite notification first reviewed after (under 18 at conviction)", "years", 8, 1, 30),
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


def area_settings(area_id: int) -> dict[str, int]:
    values = dict(DEFAULTS)
    for row in db.session.scalars(select(AreaSetting).where(AreaSetting.area_id == area_id)):
        if row.key in values:
            values[row.key] = int(row.value)
    return values
