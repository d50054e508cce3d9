"""A process error in a Child Sex Offender Disclosure Scheme application is an incident, as for a case's process:
the application is kept (never refused because its process failed), its process is put in error with the state
saved and the failing element named, the incident is recorded once and listed under /admin/incidents for the
process owner and the area's coordinator, later sweeps leave it alone, and the process owner's retry re-runs the
failed step. On the real engine with a published csods_application version whose "Initial contact and triage late"
branch runs a failing script, over HTTP, with the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from services.catalogue import parsed
from services.db import db
from services.instances import ENGINE
from services.models import AccessLog, CsodsApplication, ProcessModel, ReminderOutbox
from tests.api.conftest import Api
from tests.csods.factories import APPLICATION
from tests.csods.test_csods_applications import INITIAL_CONTACT, open_stage, the, work
from tests.factories import csrf_token, seeded, sign_in
from tests.pages import check_page
from tests.studio.versions import publish_version, shipped_files
from workflows.engine import active_bpmn_ids

PROCESS = "csods_application"
ESCALATE = """    <bpmn:scriptTask id="initial_contact_escalate" name="Work out the escalation">
      <bpmn:incoming>f_initial_contact_missed</bpmn:incoming>
      <bpmn:outgoing>f_initial_contact_escalate</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
"""


def broken_version(script: str = "rv = 1 // 0") -> ProcessModel:
    """A new csods_application version, published as the process owner would: the "Initial contact and triage
    late" branch runs ``script`` before it ends."""
    files = shipped_files(PROCESS)
    xml = files["csods_application.bpmn"].decode()
    edits = [
        ("<bpmn:flowNodeRef>initial_contact_escalated</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>initial_contact_escalate</bpmn:flowNodeRef>\n        "
         "<bpmn:flowNodeRef>initial_contact_escalated</bpmn:flowNodeRef>"),
        ('    <bpmn:endEvent id="initial_contact_escalated" name="Escalated">\n'
         "      <bpmn:incoming>f_initial_contact_missed</bpmn:incoming>",
         ESCALATE.format(script=script.replace("<", "&lt;"))
         + '    <bpmn:endEvent id="initial_contact_escalated" name="Escalated">\n'
         "      <bpmn:incoming>f_initial_contact_escalate</bpmn:incoming>"),
        ('<bpmn:sequenceFlow id="f_initial_contact_missed" sourceRef="initial_contact_missed" '
         'targetRef="initial_contact_escalated" />',
         '<bpmn:sequenceFlow id="f_initial_contact_missed" sourceRef="initial_contact_missed" '
         'targetRef="initial_contact_escalate" />\n    '
         '<bpmn:sequenceFlow id="f_initial_contact_escalate" sourceRef="initial_contact_escalate" '
         'targetRef="initial_contact_escalated" />'),
    ]
    for old, new in edits:
        assert xml.count(old) == 1, old
        xml = xml.replace(old, new)
    files["csods_application.bpmn"] = xml.encode()
    return publish_version(files, PROCESS)


def tick(app: Flask, instant: str) -> tuple[str, str]:
    """``flask mappa tick --now``: its report line and its error lines."""
    result = app.test_cli_runner().invoke(args=["mappa", "tick", "--now", instant])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout, result.stderr


def logged(event: str) -> list[str]:
    return [d or "" for d in db.session.scalars(select(AccessLog.detail).where(AccessLog.event == event)
                                                .order_by(AccessLog.id))]


def escalations(stage_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(ReminderOutbox).where(
        ReminderOutbox.rule == "escalation", ReminderOutbox.key == f"csods:{stage_id}")) or 0


def incidents_page(client: FlaskClient, username: str) -> str:
    sign_in(client, username)
    response = client.get("/admin/incidents")
    check_page(response)
    return response.get_data(as_text=True)


def retry(client: FlaskClient, application_id: int) -> str:
    """The process owner's Retry button; the message it flashes."""
    sign_in(client, "owner")
    response = client.post(f"/admin/incidents/csods/{application_id}/retry",
                           data={"csrf_token": csrf_token(client, "/admin/incidents")})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get("/admin/incidents").get_data(as_text=True)


def test_an_application_whose_process_fails_at_once_is_recorded_with_its_process_in_error(
        app: Flask, client: FlaskClient) -> None:
    """Made five days after the applicant came forward, the initial contact is already late when the process starts:
    the escalation branch runs at once and its script fails. The application is recorded all the same (201)."""
    users = seeded()
    version = broken_version()
    api = Api(client, users)
    response = api.post("police", "/api/v1/csods/applications", json={**APPLICATION, "received_on": "2026-11-20"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert [(s["name"], s["state"]) for s in body["stages"]] == [("Initial contact and triage", "ready")]

    row = the(body["id"])
    assert (row.model_id, row.process_status, row.status) == (version.id, "error", "open")
    assert row.error is not None and "ZeroDivisionError" in row.error and "'Work out the escalation'" in row.error
    wf = ENGINE.load(parsed(row.model), row.state)  # the state is saved: the failed step waits to be retried
    assert active_bpmn_ids(wf) == ["initial_contact", "initial_contact_escalate"]
    assert row.version == 1
    stage = open_stage(row.id)
    assert escalations(stage.id) == 1  # the stage is late: the coordinator is told even though the script failed
    assert logged("csods_incident_raised") == [f"{row.reference}: {row.error}"]
    assert logged("csods_application_recorded") != []

    for username in ("owner", "coordinator"):
        page = incidents_page(client, username)
        assert row.reference in page and "ZeroDivisionError" in page and "Work out the escalation" in page, username
    assert row.reference not in incidents_page(client, "south_coordinator")

    # in error: the sweep leaves it alone
    out, err = tick(app, "2026-12-10T10:00:00Z")
    assert "incidents raised: 0" in out and err == "", (out, err)
    assert (the(row.id).version, the(row.id).process_status) == (1, "error")
    assert len(logged("csods_incident_raised")) == 1

    # the police go on with the application meanwhile; the incident stays open until it is retried
    assert work(client, row.id, INITIAL_CONTACT) == "Success Initial contact and triage recorded"
    assert (the(row.id).process_status, open_stage(row.id).name) == ("error", "Face-to-face meeting")
    assert row.reference in incidents_page(client, "owner")


def test_a_failing_escalation_in_the_sweep_is_an_incident_once_and_not_swept_again(
        app: Flask, client: FlaskClient) -> None:
    users = seeded()
    api = Api(client, users)
    working = api.post("police", "/api/v1/csods/applications", json=APPLICATION).get_json()  # the shipped version
    broken_version()
    broken = api.post("police", "/api/v1/csods/applications", json=APPLICATION).get_json()
    assert the(broken["id"]).process_status == "running"
    working_stage, broken_stage = open_stage(working["id"]), open_stage(broken["id"])

    out, err = tick(app, "2026-12-10T10:00:00Z")
    assert "Timers fired: 2" in out and "incidents raised: 1" in out, (out, err)
    row = the(broken["id"])
    assert row.process_status == "error" and row.error is not None
    assert "ZeroDivisionError" in row.error and "'Work out the escalation'" in row.error
    assert row.error in err  # told to whoever runs the sweep too
    assert (escalations(working_stage.id), escalations(broken_stage.id)) == (1, 1)  # both stages escalated
    seen = row.version

    out, err = tick(app, "2026-12-10T10:00:00Z")
    assert "Timers fired: 0" in out and "incidents raised: 0" in out and err == "", (out, err)
    assert the(broken["id"]).version == seen
    assert logged("csods_incident_raised") == [f"{row.reference}: {row.error}"]
    page = incidents_page(client, "owner")
    assert row.reference in page and working["reference"] not in page

    # the retry re-runs the failed step: the model is still broken, so it fails again and stays an incident
    assert "The step failed again" in retry(client, row.id)
    assert the(broken["id"]).process_status == "error"
    assert logged("csods_incident_retried") == [row.reference]
    assert len(logged("csods_incident_raised")) == 2
    assert escalations(broken_stage.id) == 1  # escalated once only


def test_the_retry_re_runs_the_failed_step_and_the_application_goes_on(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    """A step that fails only until a day (as a step that needs something not there yet): retried after it, it runs,
    the incident closes and the application's timers are the sweep's again."""
    users = seeded()
    broken_version('rv = 1 // int(today() >= "2026-12-15")')
    api = Api(client, users)
    made = api.post("police", "/api/v1/csods/applications", json=APPLICATION).get_json()
    tick(app, "2026-12-10T10:00:00Z")
    assert the(made["id"]).process_status == "error"

    clock.set(datetime(2026, 12, 15, 9, tzinfo=UTC))
    page = retry(client, made["id"])
    assert "Retried" in page and made["reference"] not in page
    row = the(made["id"])
    assert (row.process_status, row.error) == ("running", None)
    assert active_bpmn_ids(ENGINE.load(parsed(row.model), row.state)) == ["initial_contact"]  # the branch ran
    assert logged("csods_incident_retried") == [row.reference]
    assert work(client, row.id, INITIAL_CONTACT) == "Success Initial contact and triage recorded"
    face_to_face = open_stage(made["id"])  # due on 9 December: late already, so its timer fired at once
    assert (the(made["id"]).process_status, face_to_face.name, escalations(face_to_face.id)) == (
        "running", "Face-to-face meeting", 1)


def test_only_the_areas_process_owner_and_coordinator_retry(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    broken_version()
    made = Api(client, users).post("police", "/api/v1/csods/applications",
                                   json={**APPLICATION, "received_on": "2026-11-20"}).get_json()
    for username, status in (("police", 403), ("south_coordinator", 404)):
        sign_in(client, username)
        token = csrf_token(client, "/account/tokens")
        response = client.post(f"/admin/incidents/csods/{made['id']}/retry", data={"csrf_token": token})
        assert response.status_code == status, username
    assert logged("csods_incident_retried") == []
    assert logged("csods_application_access_refused") == [f"csods_application {made['id']}"]  # refused, logged
    assert db.session.get(CsodsApplication, made["id"]).process_status == "error"  # type: ignore[union-attr]


def test_an_application_whose_state_does_not_load_is_an_incident_and_the_others_still_fire(
        app: Flask, client: FlaskClient) -> None:
    """Stored state that no longer loads (a truncated write, a hand edit): the engine cannot even start, so the sweep
    puts the application in error in a transaction of its own, and fires the others."""
    users = seeded()
    api = Api(client, users)
    broken, working = (api.post("police", "/api/v1/csods/applications", json=APPLICATION).get_json()
                       for _ in range(2))
    db.session.execute(update(CsodsApplication).where(CsodsApplication.id == broken["id"])
                       .values(state='{"serializer_version": "1.5", "tasks": {'))
    db.session.commit()

    out, err = tick(app, "2026-12-10T10:00:00Z")
    assert "Timers fired: 1" in out and "incidents raised: 1" in out, (out, err)
    row = the(broken["id"])
    assert row.process_status == "error" and row.error is not None and row.error.startswith("JSONDecodeError")
    assert escalations(open_stage(working["id"]).id) == 1
    assert "incidents raised: 0" in tick(app, "2026-12-11T10:00:00Z")[0]
    assert logged("csods_incident_raised") == [f"{row.reference}: {row.error}"]
    assert row.reference in incidents_page(client, "owner")
    assert "The step failed again" in retry(client, row.id)  # still unloadable: the incident stays open
    assert the(broken["id"]).process_status == "error"
