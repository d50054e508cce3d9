"""``x-max-age`` (services.forms): a date of birth less than so many years before another date field's day, or
before today; the form's own message when it gives one, else one built from the fields' titles."""

from __future__ import annotations

from datetime import date
from typing import Any

from services import forms

TODAY = date(2026, 11, 25)


def _schema(**age: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {
        "made_on": {"type": "string", "format": "date", "title": "Date the application was made"},
        "born": {"type": "string", "format": "date", "title": "Date of birth", **age}}}


def _errors(schema: dict[str, Any], **data: str) -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in forms.date_errors(schema, data, TODAY)]


def test_under_the_age_on_another_fields_day() -> None:
    schema = _schema(**{"x-max-age": 18, "x-age-on": "made_on"})
    assert _errors(schema, made_on="2026-11-20", born="2008-11-20") == [
        ("born", "Date of birth must be less than 18 years before the date the application was made")]
    assert _errors(schema, made_on="2026-11-20", born="2008-11-21") == []
    assert _errors(schema, made_on="not a date", born="1990-01-01") == []  # the other date's own error says so
    assert _errors(schema, made_on="2026-11-20") == []  # no date of birth given: nothing to check


def test_under_the_age_today_and_in_the_forms_words() -> None:
    assert _errors(_schema(**{"x-max-age": 18}), born="2008-11-25") == [
        ("born", "Date of birth must be less than 18 years ago")]
    assert _errors(_schema(**{"x-max-age": 18}), born="2008-11-26") == []
    worded = _schema(**{"x-max-age": 18, "x-max-age-message": "The child must be under 18"})
    assert _errors(worded, born="2000-01-01") == [("born", "The child must be under 18")]
