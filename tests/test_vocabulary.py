"""One vocabulary for stored codes: field names and values in words, read by pages through the ``human`` filter."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask, render_template_string

from services.vocabulary import case_status, field_label, instance_status, label_for


def test_codes_become_words() -> None:
    assert label_for("rosh", "medium") == "Medium"
    assert label_for("rosh", "very_high") == "Very high"
    assert field_label("crn") == "NDelius CRN" and field_label("rosh") == "Risk of serious harm"
    assert label_for("custody", True) == "Yes" and label_for("victims_flag", False) == "No"
    assert label_for("release_date", "2026-12-02") == "2 December 2026"
    assert label_for("next_review_due", date(2027, 1, 5)) == "5 January 2027"
    assert label_for("at", datetime(2026, 7, 1, 13, 30, tzinfo=UTC)) == "1 July 2026 at 2:30pm"
    assert label_for("owner_role", "childrens_social_care") == "Children's Social Care"
    assert label_for("level_requested", 3) == "Level 3"
    assert label_for("category", 4) == "Category 4 - terrorist or terrorism-risk offender"
    assert label_for("screening_outcome", "accepted_level_2") == "Accepted - Level 2"
    assert label_for("exit_reason", "meeting_decision") == "MAPP meeting decided management no longer needed"
    assert label_for("exit_reason", "Category 3 referral rejected") == "Category 3 referral rejected"
    assert label_for("level3_reason", None) == "Not recorded"
    assert label_for("distributed_to", ["Police", "Housing"]) == "Police, Housing"
    assert case_status("not eligible") == "Not eligible" and case_status("level 2") == "Level 2"
    assert instance_status("running") == "In progress" and instance_status("completed") == "Finished"


def test_the_human_filter(app: Flask) -> None:
    with app.test_request_context():
        html = render_template_string('{{ "medium" | human("rosh") }}; {{ true | human }}; {{ "crn" | field_label }}; '
                                      '{{ "running" | instance_status }}')
    assert html == "Medium; Yes; NDelius CRN; In progress"
