"""Per-area settings with the defaults MAPPA.md lists (every UNCONFIRMED figure is a setting)."""

from __future__ import annotations

from sqlalchemy import select

from services.db import db
from services.models import AreaSetting

DEFAULTS: dict[str, int] = {
    "level3_review_weeks": 8,
    "level2_review_weeks": 16,
    "level1_review_months": 3,
    "review_notice_days": 14,
    "early_review_working_days": 5,
    "identify_after_sentence_days": 3,
    "visor_after_sentence_days": 3,
    "level_setting_before_release_months": 6,
    "mappa_j_before_release_weeks": 6,
    "first_meeting_working_days": 20,
    "minutes_distribution_working_days": 10,
    "minutes_drafting_working_days": 5,
    "minutes_approval_working_days": 5,
    "minutes_revision_working_days": 3,
    "research_working_days_before_meeting": 2,
    "recording_retention_days": 90,
}


def area_settings(area_id: int) -> dict[str, int]:
    values = dict(DEFAULTS)
    for row in db.session.scalars(select(AreaSetting).where(AreaSetting.area_id == area_id)):
        if row.key in values:
            values[row.key] = int(row.value)
    return values
