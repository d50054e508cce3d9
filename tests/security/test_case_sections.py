"""A case's restricted sections stay restricted in its history, open steps and phases: a serious further offence,
a sex offender notification record, a critical public protection case flag and meeting research are read only by
those who may open the section (services.permissions.SECTIONS), on the case page and through the API alike.

Found in review: a duty-to-co-operate agency on the case (here Health, leading it) read the charge's details, the
breach report and the research notes in the case's history, and the steps of those processes on its page."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.models import MappaCase, ProcessInstance
from tests.api.conftest import Api
from tests.factories import create_case, seeded, sign_in
from tests.pages import get_page
from tests.web.test_case_actions_ui import flashed, post

CHARGE = {"offence": "rape", "charged_on": "2026-11-25", "details": "SFODETAIL arrested at his approved premises"}
REQUIREMENT = {"kind": "requirement", "trigger": "conviction", "occurred_on": "2026-11-24",
               "disposal": "custody_over_6_under_30_months", "under_18": "no", "rosh": "low"}
BREACH = {"kind": "breach", "occurred_on": "2026-11-25", "details": "RSOBREACH did not notify a new address"}
REASON = "CRITICALREASON media interest and a named victim"
SECRETS = ("SFODETAIL", "RSOBREACH", "CRITICALREASON", "Investigate breach", "serious further offence")


def test_an_agency_on_the_case_reads_none_of_its_restricted_sections(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    api = Api(client, users)
    case = create_case(users["probation"], lead_agency="Health", offender_name="Sam Secret")
    case_id = case.id
    for body in ({"case_id": case_id, **REQUIREMENT}, {"case_id": case_id, **BREACH}):
        answer = api.post("police", "/api/v1/notifications/rso", json=body)
        assert answer.status_code == 201, answer.get_data(as_text=True)
    answer = api.post("police", f"/api/v1/cases/{case_id}/sfo", json=CHARGE)
    assert answer.status_code == 201, answer.get_data(as_text=True)

    # the Responsible Authority reads all of it
    police = api.get("police", f"/api/v1/cases/{case_id}/history").get_data(as_text=True)
    assert "SFODETAIL" in police and "RSOBREACH" in police

    # Health, which leads the case, reads the case and its own work, and nothing of those sections
    assert api.get("health", f"/api/v1/cases/{case_id}").status_code == 200
    history = api.get("health", f"/api/v1/cases/{case_id}/history")
    assert history.status_code == 200
    kinds = {event["kind"] for event in history.get_json()["events"]}
    assert "referral_submitted" in kinds
    assert not kinds & {"rso_event_recorded", "sfo_notified", "serious_further_offence"}, kinds
    shown = history.get_data(as_text=True) + api.get("health", f"/api/v1/cases/{case_id}").get_data(as_text=True)
    assert not [secret for secret in SECRETS if secret.lower() in shown.lower()]
    sign_in(client, "health")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Sam Secret" in page
    assert not [secret for secret in SECRETS if secret.lower() in page.lower()]
    # the diagram of a restricted phase is not drawn for Health, even when asked for by its number
    rso_phase = db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.case_id == case_id,
                                                                     ProcessInstance.phase == "rso")).first()
    assert rso_phase is not None
    assert client.get(f"/cases/{case_id}?instance={rso_phase}").status_code == 404
    sign_in(client, "police")
    assert "Investigate breach" in client.get(f"/cases/{case_id}?instance={rso_phase}").get_data(as_text=True)


def test_the_critical_flag_reason_is_the_responsible_authoritys(app: Flask, client: FlaskClient) -> None:
    from tests.critical.test_critical_cases import level3_case

    users = seeded()
    case_id = level3_case(users)
    db.session.get(MappaCase, case_id).lead_agency = "Health"  # type: ignore[union-attr]
    db.session.commit()
    sign_in(client, "coordinator")
    get_page(client, f"/cases/{case_id}")
    assert flashed(client, post(client, f"/cases/{case_id}/critical", {"critical_flag_reason": REASON}))
    sign_in(client, "police")
    assert "CRITICALREASON" in client.get(f"/cases/{case_id}").get_data(as_text=True)
    sign_in(client, "health")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "CRITICALREASON" not in page.get_data(as_text=True)
    history = Api(client, users).get("health", f"/api/v1/cases/{case_id}/history").get_data(as_text=True)
    assert "CRITICALREASON" not in history
