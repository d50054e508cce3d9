"""The process owner, a national role, sees and retries the process incidents of every area, each labelled with its
area; an area's coordinator sees only their own area's (services.permissions: ``every_area``)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from services.catalogue import BPMN_DIR, publish
from services.db import db
from services.models import AccessLog, ProcessInstance
from tests.api.conftest import Api, referral
from tests.factories import csrf_token, sign_in
from tests.pages import check_page

TIMER = "start_of_day(add_days(action_due, 1))"


def _publish_action(timer: str) -> int:
    xml = (BPMN_DIR / "action.bpmn").read_text()
    assert TIMER in xml
    row = publish("mappa_action", "Agreed action", {"action.bpmn": xml.replace(TIMER, timer).encode()}, actor="owner")
    assert row is not None
    db.session.commit()
    return row.version


def _incident_in(api: Api, coordinator: str, area: str, offender: str) -> tuple[int, str]:
    """A case of ``area`` whose agreed action stops on the broken timer: (its instance, its case reference)."""
    case = api.post(coordinator, "/api/v1/cases", json=referral(area=area, offender={
        "name": offender, "date_of_birth": "1980-04-01"}))
    assert case.status_code == 201, case.get_data(as_text=True)
    case_id = case.get_json()["id"]
    agreed = api.post(coordinator, f"/api/v1/cases/{case_id}/actions",
                      json={"description": "Home visit", "owner_role": "police", "due": "2027-01-20"})
    assert agreed.status_code == 201, agreed.get_data(as_text=True)
    db.session.expire_all()
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id,
                                                                ProcessInstance.phase == "action")).one()
    assert instance.status == "error"
    return instance.id, api.get(coordinator, f"/api/v1/cases/{case_id}").get_json()["reference"]


def _page(app: Flask, username: str) -> str:
    web = app.test_client()
    sign_in(web, username)
    page = web.get("/admin/incidents")
    check_page(page)
    return page.get_data(as_text=True)


def test_the_process_owner_sees_and_retries_every_areas_incidents(app: Flask, api: Api) -> None:
    broken = _publish_action("action_due + 'garbage'")
    north, north_ref = _incident_in(api, "coordinator", "northshire", "John Smith")
    south, south_ref = _incident_in(api, "south_coordinator", "southmoor", "Sam South")

    owner = _page(app, "owner")  # the owner's account is in Northshire
    assert north_ref in owner and south_ref in owner
    assert "<td class=\"govuk-table__cell\">Southmoor</td>" in owner  # labelled with its area
    coordinator, south_coordinator = _page(app, "coordinator"), _page(app, "south_coordinator")
    assert north_ref in coordinator and south_ref not in coordinator
    assert south_ref in south_coordinator and north_ref not in south_coordinator

    fixed = _publish_action("start_of_day(add_days(action_due, 2))")
    moved = api.post("owner", "/api/v1/instances/migrate",
                     json={"model": "mappa_action", "from": broken, "to": fixed, "dry_run": False, "instance": south})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    web = app.test_client()
    sign_in(web, "owner")
    retried = web.post(f"/admin/incidents/{south}/retry", data={"csrf_token": csrf_token(web, "/admin/incidents")})

    assert retried.status_code == 302
    db.session.expire_all()
    assert db.session.get_one(ProcessInstance, south).status == "running"
    assert db.session.get_one(ProcessInstance, north).status == "error"
    assert db.session.scalars(select(AccessLog.detail).where(AccessLog.event == "incident_retried")).all() == [
        f"instance {south}"]
    # a coordinator still cannot retry another area's incident: it is not there for them
    other = app.test_client()
    sign_in(other, "south_coordinator")
    refused = other.post(f"/admin/incidents/{north}/retry",
                         data={"csrf_token": csrf_token(other, "/admin/incidents")})
    assert refused.status_code == 404
    assert db.session.get_one(ProcessInstance, north).status == "error"
