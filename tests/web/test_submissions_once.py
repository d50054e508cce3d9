"""A page form is acted on once (app.submissions): the same form sent twice, by a double click, a resent POST or at
the same moment from two tabs, makes one referral and one agreed action, and every sending is answered with where
the one change is. Found in review: two POSTs of /referrals/new made two cases, of /cases/{id}/actions/new two
action processes."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.submissions import SENT_AGAIN
from services.db import db
from services.models import MappaCase, ProcessInstance
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.factories import seeded, sign_in
from tests.platform.racing import RACERS, race
from tests.web.test_blank_answers import REFERRAL


def drawn(client: FlaskClient, path: str) -> dict[str, str]:
    """The hidden fields of the page's form (CSRF token and submission id), as the browser would send them."""
    page = client.get(path).get_data(as_text=True)
    return {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("csrf_token", "submission_id")}


def cases_named(name: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(MappaCase.id)).where(MappaCase.offender_name == name)) or 0


def test_a_referral_sent_twice_makes_one_case(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "probation")
    form = drawn(client, "/referrals/new") | REFERRAL | {"offender_name": "Double Submit"}
    first, second = (client.post("/referrals/new", data=form) for _ in range(2))
    assert (first.status_code, second.status_code) == (302, 302)
    assert first.location == second.location and re.fullmatch(r"/cases/\d+", first.location)
    assert cases_named("Double Submit") == 1
    assert SENT_AGAIN in client.get(second.location).get_data(as_text=True)
    # the same form changed before it is sent again (back, edit, send) is a new referral
    changed = client.post("/referrals/new", data=form | {"offender_name": "Second Thought"})
    assert changed.status_code == 302 and changed.location != first.location
    assert cases_named("Second Thought") == 1
    # a refused form is not remembered: corrected and sent again, it is acted on
    blank = client.post("/referrals/new", data=form | {"offender_name": "Third", "referral_reason": ""})
    assert blank.status_code != 302 and "govuk-error-summary" in blank.get_data(as_text=True)
    assert client.post("/referrals/new", data=form | {"offender_name": "Third"}).status_code == 302
    assert cases_named("Third") == 1


def test_an_agreed_action_sent_twice_starts_one_action(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)
    sign_in(client, "coordinator")
    path = f"/cases/{case_id}/actions/new"
    form = drawn(client, path) | {"description": "Home visit with the new partner present", "owner_role": "police",
                                  "due-day": "10", "due-month": "12", "due-year": "2026"}
    answers = [client.post(path, data=form) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302], answers[0].get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ProcessInstance.id)).where(
        ProcessInstance.case_id == case_id, ProcessInstance.phase == "action")) == 1


def test_one_referral_sent_from_several_tabs_at_once_makes_one_case(app: Flask) -> None:
    """Real parallel requests (tests.platform.racing; the race shows on PostgreSQL): every sending is answered
    with the one case."""
    seeded()
    clients: list[FlaskClient] = []
    forms: list[dict[str, Any]] = []
    for _ in range(RACERS):
        tab = app.test_client()
        sign_in(tab, "probation")
        clients.append(tab)
        forms.append(drawn(tab, "/referrals/new"))
    same = forms[0]["submission_id"]  # one form: each tab's own session and CSRF token
    results = race([lambda tab=tab, form=form: tab.post("/referrals/new", data=form | {"submission_id": same}
                                                        | REFERRAL | {"offender_name": "Many Tabs"})
                    for tab, form in zip(clients, forms, strict=True)])
    assert [r.status_code for r in results] == [302] * RACERS, [r.status_code for r in results]
    assert len({r.location for r in results}) == 1
    assert cases_named("Many Tabs") == 1
