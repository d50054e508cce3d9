"""Trial runs in the studio's pages: a process owner starts one from the draft editor, completes its first step
through the step's own form (an error first, shown as on task pages), and sees the path on the diagram."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.db import db
from services.models import HumanTask, MappaCase
from tests.api.conftest import Api
from tests.factories import csrf_token, sign_in
from tests.pages import get_page
from tests.studio.test_trials import START


def test_a_process_owner_tries_a_draft_step_by_step_in_the_pages(api: Api, client: FlaskClient) -> None:
    draft = api.post("owner", "/api/v1/models/mappa_referral/drafts").get_json()["draft"]
    sign_in(client, "owner")
    editor = get_page(client, f"/studio/mappa_referral/drafts/{draft['id']}")
    assert editor.xpath('//button[@id="studio-trial"]')
    bad = client.post(f"/studio/mappa_referral/drafts/{draft['id']}/trial",
                      data={"csrf_token": csrf_token(client, "/studio"), "start_data": "[1, 2"})
    assert bad.status_code == 302 and "/drafts/" in bad.headers["Location"]
    started = client.post(f"/studio/mappa_referral/drafts/{draft['id']}/trial",
                          data={"csrf_token": csrf_token(client, "/studio"), "start_data": json.dumps(START)})
    assert started.status_code == 302
    trial_path = started.headers["Location"]
    page = get_page(client, trial_path)
    headings = [h.text_content() for h in page.xpath("//h2")]
    assert any(h.startswith("Check referral is complete") for h in headings), headings
    [action] = page.xpath("//form[button[contains(., 'sample data')]]/@action")

    refused = client.post(action, data={"csrf_token": csrf_token(client, trial_path)})
    assert refused.status_code == 422
    assert "govuk-error-summary" in refused.get_data(as_text=True)

    done = client.post(action, data={"csrf_token": csrf_token(client, trial_path), "referral_complete": "yes"})
    assert done.status_code == 302
    page = get_page(client, trial_path)
    diagram = json.loads(page.xpath('//script[@id="diagram-data"]')[0].text)
    assert "check_referral" in diagram["completed"] and "check_referral" not in diagram["active"]
    assert diagram["active"] and diagram["xml"].startswith("<?xml")
    assert "check_referral" in page.xpath('//ol[@id="trial-path"]')[0].text_content()
    assert db.session.scalar(select(func.count()).select_from(MappaCase)) == 0
    assert db.session.scalar(select(func.count()).select_from(HumanTask)) == 0


def test_someone_elses_trial_is_not_found(api: Api, client: FlaskClient) -> None:
    draft = api.post("owner", "/api/v1/models/mappa_referral/drafts").get_json()["draft"]
    trial = api.post("owner", f"/api/v1/models/mappa_referral/drafts/{draft['id']}/trials").get_json()
    sign_in(client, "coordinator")
    assert client.get(f"/studio/trials/{trial['trial']}").status_code == 403  # coordinators only look at models
