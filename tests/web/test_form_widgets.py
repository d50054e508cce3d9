"""Every widget the task forms use, from JSON Schema to GOV.UK markup and back to typed data."""

from __future__ import annotations

from flask import Flask, render_template_string

from app.formfields import check_submission, form_fields

SCHEMA = {
    "type": "object", "x-order": ["agencies", "agency", "count", "urgent", "when", "note", "name"],
    "required": ["agencies", "agency", "urgent", "when"],
    "properties": {
        "agencies": {"type": "array", "title": "Agencies told", "minItems": 1,
                     "items": {"type": "string", "enum": ["police", "housing"]},
                     "x-labels": {"police": "Police", "housing": "Housing"}},
        "agency": {"type": "string", "title": "Lead agency", "enum": ["Probation", "Police"], "x-widget": "select"},
        "count": {"type": "integer", "title": "Number of visits"},
        "urgent": {"type": "boolean", "title": "Urgent?"},
        "when": {"type": "string", "format": "date", "title": "Visit date"},
        "note": {"type": "string", "title": "Note", "x-widget": "textarea", "maxLength": 10},
        "name": {"type": "string", "title": "Officer"},
    },
}


def test_widgets_render_with_govuk_components(app: Flask) -> None:
    fields = form_fields(SCHEMA, {"agencies": ["police"], "urgent": True}, [])
    assert [f["widget"] for f in fields] == ["checkboxes", "select", "text", "radios", "date", "textarea", "text"]
    with app.test_request_context():
        html = render_template_string(
            '{% from "components/schema_form.html" import schema_fields %}{{ schema_fields(fields) }}', fields=fields)
    checked = ('class="govuk-checkboxes__input" id="field-agencies" name="agencies" type="checkbox" '
               'value="police" checked')
    assert checked in " ".join(html.split())
    assert 'class="govuk-select' in html and 'name="when-day"' in html and "govuk-textarea" in html
    assert "Number of visits (optional)" in html and "Lead agency (optional)" not in html


def test_submission_is_typed_and_every_problem_reported() -> None:
    form = {"agencies": ["police", "housing"], "agency": ["Police"], "count": ["3"], "urgent": ["false"],
            "when-day": ["1"], "when-month": ["2"], "when-year": ["2027"], "note": ["short"], "name": [""]}
    data, errors = check_submission(SCHEMA, form)
    assert errors == []
    assert data == {"agencies": ["police", "housing"], "agency": "Police", "count": 3, "urgent": False,
                    "when": "2027-02-01", "note": "short"}
    bad = {"count": ["three"], "when-day": ["31"], "when-month": ["2"], "when-year": ["2027"], "note": ["x" * 11]}
    _data, errors = check_submission(SCHEMA, bad)
    assert [(e.field, e.message) for e in errors] == [
        ("agencies", "Select at least 1 option for agencies told"), ("agency", "Select lead agency"),
        ("count", "Number of visits must be a whole number"), ("urgent", "Select urgent?"),
        ("when", "Visit date must be a real date"), ("note", "Note must be 10 characters or fewer")]
