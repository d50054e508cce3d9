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


def months_later(day: date, months: int) -> date:
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


def _reviewed_level(data: Mapping[str, Any], case: MappaCase) -> int | None:
    """The level the next review date is set for: the meeting's decision, or the case's own level when management
    continues at its exit date."""
    if "review_outcome" in data:
        return {"level_2": 2, "level_3": 3}.get(str(data["review_outcome"]))
    return case.level if data.get("exit_decision") == "continue" else None


def next_review_within_level_maximum(data: Mapping[str, Any], case: MappaCase, settings: dict[str, int],
                                     today: date) -> list[FieldError]:
    due = _date(data, "next_review_date")
    level = _reviewed_level(data, case)
    weeks = {2: settings["level2_review_weeks"], 3: settings["level3_review_weeks"]}.get(level or 0)
    if due is None or weeks is None:
        return []
    meeting = _date(data, "meeting_date")  # minutes approved later: the interval still counts from the meeting
    latest = min(today, meeting or today) + timedelta(weeks=weeks)
    if due > latest:
        return [FieldError("next_review_date", f"A Level {level} review must be within {weeks} weeks: "
                                               f"by {latest.strftime('%-d %B %Y')} at the latest")]
    return []


def _first_review_latest(level: int | None, case: MappaCase, settings: dict[str, int],
                         today: date) -> tuple[date, str]:
    """The latest first meeting (Level 2/3) or first review (Level 1) date, and why."""
    if level in (2, 3):
        latest = ENGLAND_AND_WALES.add_working_days(today, settings["first_meeting_working_days"])
        why = f"within {settings['first_meeting_working_days']} working days"
        if case.custody and case.release_date and case.release_date > today and case.release_date <= latest:
            latest, why = case.release_date - timedelta(days=1), "before the release date"
        return latest, why
    return months_later(today, settings["level1_review_months"]), f"within {settings['level1_review_months']} months"


def _first_review_level(data: Mapping[str, Any]) -> int | None:
    level = {"accepted_level_2": 2, "accepted_level_3": 3, "rejected_level_1": 1}.get(
        str(data.get("screening_outcome")), data.get("rescreen_level"))
    return int(level) if level is not None else None


def first_review_within_setting(data: Mapping[str, Any], case: MappaCase, settings: dict[str, int],
                                today: date) -> list[FieldError]:
    due = _date(data, "first_review_due")
    if due is None:
        return []
    if due < today:
        return [FieldError("first_review_due", "The first meeting or review cannot be in the past")]
    latest, why = _first_review_latest(_first_review_level(data), case, settings, today)
    if due > latest:
        return [FieldError("first_review_due", f"The first meeting or review must be {why}: "
                                               f"by {_day(latest)} at the latest")]
    return []


def _day(value: date) -> str:
    return value.strftime("%-d %B %Y")


def _describe_first_review(schema: dict[str, Any], case: MappaCase, settings: dict[str, int], today: date) -> None:
    prop = schema.get("properties", {}).get("first_review_due")
    if prop is None:
        return
    meeting, why = _first_review_latest(2, case, settings, today)
    review, review_why = _first_review_latest(1, case, settings, today)
    prop["x-earliest"] = today.isoformat()
    prop["x-latest"] = {"level_1": review.isoformat(), "level_2_or_3": meeting.isoformat()}
    example = f"{meeting.day} {meeting.month} {meeting.year}"
    prop["description"] = (f"A Level 2 or 3 first meeting {why}, by {_day(meeting)}; a Level 1 first review "
                           f"{review_why}, by {_day(review)}. For example, {example}")


def exit_before_end_needs_reason(data: Mapping[str, Any], case: MappaCase, settings: dict[str, int],
                                 today: date) -> list[FieldError]:
    """Category 1 and 2 cases leave MAPPA when notification or licence ends; earlier needs a recorded reason."""
    if data.get("exit_decision") == "continue":
        return _continuing_errors(data, case, today)
    end = _management_end(case)
    exit_date = _date(data, "exit_date")
    if end is None or exit_date is None or exit_date >= end:
        return []
    errors = []
    if data.get("exit_reason") in ("notification_ended", "licence_ended"):
        errors.append(FieldError("exit_reason", f"The {'notification period' if case.category == 1 else 'licence'} "
                                                f"does not end until {_day(end)}: choose the reason the case leaves"))
    if not str(data.get("early_exit_reason") or "").strip():
        errors.append(FieldError("early_exit_reason", f"Enter why the case leaves MAPPA before {_day(end)}, when its "
                                                      f"{'notification period' if case.category == 1 else 'licence'} "
                                                      "ends"))
    return errors


# Exit reasons that only one category can have: Category 1 leaves when its notification ends (or an indefinite
# notification is discharged on review), Category 2 when its licence or hospital order ends (MAPPA.md section 2).
EXIT_REASON_CATEGORY = {"notification_ended": 1, "notification_discharged": 1, "licence_ended": 2}


def _exit_reason_message(category: int | None) -> str:
    return (f"A Category {category} case cannot leave MAPPA for that reason: choose the reason it leaves"
            if category else "Choose the reason the case leaves MAPPA")


def exit_reason_fits_category(data: Mapping[str, Any], case: MappaCase, settings: dict[str, int],
                              today: date) -> list[FieldError]:
    fits = EXIT_REASON_CATEGORY.get(str(data.get("exit_reason")), case.category)
    if data.get("exit_decision") == "exit" and fits != case.category:
        return [FieldError("exit_reason", _exit_reason_message(case.category))]
    return []


def _describe_exit_reasons(schema: dict[str, Any], case: MappaCase, settings: dict[str, int], today: date) -> None:
    """The exit reasons offered are those of the case's category."""
    prop = schema.get("properties", {}).get("exit_reason")
    if prop is None:
        return
    prop["enum"] = [r for r in prop["enum"] if EXIT_REASON_CATEGORY.get(r, case.category) == case.category]
    prop["x-enum-message"] = _exit_reason_message(case.category)


def _management_end(case: MappaCase) -> date | None:
    """When a Category 1 case's notification period or a Category 2 case's licence or hospital order ends."""
    return {1: case.notification_end, 2: case.licence_end}.get(case.category)


def _continuing_errors(data: Mapping[str, Any], case: MappaCase, today: date) -> list[FieldError]:
    """Management continuing past the date that ends it names the next such date, after today: otherwise the next
    review period (services.instances.exit_due) would propose the exit again at once."""
    if case.notification_indefinite:
        review = _date(data, "next_notification_review")
        if review is None:
            return [FieldError("next_notification_review", "Enter when the indefinite notification is next reviewed")]
        if review <= today:
            return [FieldError("next_notification_review", "The next review of the indefinite notification must be "
                                                           "after today")]
        return []
    end = _management_end(case)
    if end is None or end > today:
        return []
    what = "notification period" if case.category == 1 else "licence or hospital order"
    new_end = _date(data, "new_end_date")
    if new_end is None:
        return [FieldError("new_end_date", f"The {what} ended on {_day(end)}: enter the date it now ends, or "
                                           "confirm the exit")]
    if new_end <= today:
        return [FieldError("new_end_date", f"The date the {what} now ends must be after today")]
    return []


RULES: dict[str, Rule] = {
    "next_review_in_future": next_review_in_future,
    "next_review_within_level_maximum": next_review_within_level_maximum,
    "first_review_within_setting": first_review_within_setting,
    "exit_before_end_needs_reason": exit_before_end_needs_reason,
    "exit_reason_fits_category": exit_reason_fits_category,
}


# rule -> how it shows in the form served for a task (the bounds it will enforce, as hint text and x- keywords)
DESCRIBERS: dict[str, Callable[[dict[str, Any], MappaCase, dict[str, int], date], None]] = {
    "first_review_within_setting": _describe_first_review,
    "exit_reason_fits_category": _describe_exit_reasons,
}


def describe(schema: dict[str, Any], case: MappaCase, today: date) -> dict[str, Any]:
    """Let the served form say what its rules will require of this case (the schema is already a copy)."""
    names = [n for n in schema.get("x-rules", []) if n in DESCRIBERS]
    if names:
        settings = area_settings(case.area_id)
        for name in names:
            DESCRIBERS[name](schema, case, settings, today)
    return schema


def check(schema: Mapping[str, Any], data: Mapping[str, Any], case: MappaCase, today: date) -> list[FieldError]:
    names = schema.get("x-rules", [])
    if not names:
        return []
    settings = area_settings(case.area_id)
    errors: list[FieldError] = []
    for name in names:
        errors.extend(RULES[name](data, case, settings, today))
    return errors
