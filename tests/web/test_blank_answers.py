"""Answers made only of spaces, line breaks or invisible characters are no answers on the pages: the GOV.UK error
summary asks for them (the field's "Enter ..." message), the other answers are kept, and nothing is written."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.db import db
from services.models import MappaCase
from tests.factories import create_case, ready_task, seeded, sign_in
from tests.pages import check_page
from tests.web.test_case_actions_ui import post, summary_links

REFERRAL = {"offender_name": "John Smith", "category": "1", "lead_agency": "Probation", "custody": "false",
            "level_requested": "2", "rosh": "high", "referral_reason": "Escalating."}


def _case_count() -> int:
    return db.session.scalar(select(func.count(MappaCase.id))) or 0


def test_referral_page_refuses_a_blank_reason_and_name_and_keeps_the_other_answers(app: Flask,
                                                                                   client: FlaskClient) -> None:
    seeded()
    sign_in(client, "probation")
    response = post(client, "/referrals/new", REFERRAL | {"offender_name": "\u200b \u202e",
                                                          "referral_reason": "   \r\n  "})
    page = check_page(response)
    assert summary_links(page) == {
        "#field-offender_name": "Enter the offender's full name",
        "#field-referral_reason": "Enter the relevant information and the reason for referral"}
    assert page.xpath("//input[@name='category'][@value='1']")[0].get("checked") is not None
    assert _case_count() == 0


def test_task_page_refuses_blank_required_text(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"])
    task_id = ready_task(case.id, "check_referral").id
    sign_in(client, "coordinator")
    response = post(client, f"/tasks/{task_id}", {"referral_complete": "no", "missing_information": " \t\r\n "})
    assert summary_links(check_page(response)) == {"#field-missing_information": "Enter what is missing"}
    assert ready_task(case.id, "check_referral").id == task_id
