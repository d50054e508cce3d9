"""Form rules that need the case and the area's settings (JSON Schema cannot see either).

A form names its rules in ``x-rules``; each rule returns the field errors it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from services.errors import FieldError
from services.models import MappaCase
from services.settings import area_settings
from workflows.calendar import ENGLAND_AND_WALES

Rule = Callable[[Mapping[str, Any], MappaCase, dict[str, int], date], list[FieldError]]


def _date(data: Mapping[str, Any], key: str) -> date | None:
    try:
        return date.fromisoformat(str(data[key])) if data.get(key) else None
    except ValueError:
        return None


def _months_later(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)


def next_review_in_future(data: Mapping[str, Any], case: MappaCase, settings: dict[str, int],
                          today: date) -> list[FieldError]:
    due = _date(data, "next_review_date")
    if due is not None and due <= today:
        return [FieldError("next_review_date", "Next review due must be a date in the future")]
    return []


def next_review_within_level_maximum(data: Mapping[str, Any], case: MappaCase, settings: dict[str, int],
                                     today: date) -> list[FieldError]:
    due = _date(data, "next_review_date")
    weeks = {"level_2": settings["level2_review_weeks"], "level_3": settings["level3_review_weeks"]}.get(
        str(data.get("review_outcome")))
    if due is None or weeks is None:
        return []
    meeting = _date(data, "meeting_date")  # minutes approved later: the interval still counts from the meeting
    latest = min(today, meeting or today) + timedelta(weeks=weeks)
    if due > latest:
        level = str(data["review_outcome"])[-1]
        return [FieldError("next_review_date", f"A Level {level} review must be within {weeks} weeks: "
                                               f"by {latest.strftime('%-d %B %Y')} at the latest")]
    return []


def first_review_within_setting(data: Mapping[str, Any], case: MappaCase, settings: dict[str, int],
                                today: date) -> list[FieldError]:
    due = _date(data, "first_review_due")
    if due is None:
        return []
    level = {"accepted_level_2": 2, "accepted_level_3": 3, "rejected_level_1": 1}.get(
        str(data.get("screening_outcome")), data.get("rescreen_level"))
    if due < today:
        return [FieldError("first_review_due", "The first meeting or review cannot be in the past")]
    if level in (2, 3):
        latest = ENGLAND_AND_WALES.add_working_days(today, settings["first_meeting_working_days"])
        limit = f"{settings['first_meeting_working_days']} working days"
    else:
        latest = _months_later(today, settings["level1_review_months"])
        limit = f"{settings['level1_review_months']} months"
    if due > latest:
        return [FieldError("first_review_due", f"The first meeting or review must be within {limit}: "
                                               f"by {latest.strftime('%-d %B %Y')} at the latest")]
    return []


RULES: dict[str, Rule] = {
    "next_review_in_future": next_review_in_future,
    "next_review_within_level_maximum": next_review_within_level_maximum,
    "first_review_within_setting": first_review_within_setting,
}


def check(schema: Mapping[str, Any], data: Mapping[str, Any], case: MappaCase, today: date) -> list[FieldError]:
    names = schema.get("x-rules", [])
    if not names:
        return []
    settings = area_settings(case.area_id)
    errors: list[FieldError] = []
    for name in names:
        errors.extend(RULES[name](data, case, settings, today))
    return errors
