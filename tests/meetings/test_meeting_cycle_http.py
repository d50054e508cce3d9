"""The MAPP meeting cycle over HTTP only: the JSON API for the meeting, agenda, minutes and tasks, and the pages
where the secretariat records attendance and submits minutes."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.api.conftest import Api
from tests.factories import considered_disclosure, csrf_token, on_its_day, sign_in
from tests.meetings.test_meeting_cycle import level2_case

DECISIONS = {"Adam Ashby": ("level_3", "2027-01-20"), "Brian Brook": ("level_2", "2027-03-01"),
             "Carl Carter": ("level_1", "2027-02-15")}


def _task(api: Api, username: str, case_id: int, name: str) -> dict[str, Any]:
    tasks = api.get(username, f"/api/v1/tasks?case={case_id}").get_json()["tasks"]
    [task] = [t for t in tasks if t["name"] == name]
    return dict(task)


def _complete(api: Api, username: str, task: dict[str, Any], data: dict[str, Any]) -> None:
    response = api.post(username, f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_meeting_cycle_over_http(app: Flask, api: Api, client: FlaskClient) -> None:
    cases = {name: level2_case(api.users, name, due) for name, due in
             (("Adam Ashby", "2026-12-14"), ("Brian Brook", "2026-12-22"), ("Carl Carter", "2026-12-18"))}
    made = api.post("administrator", "/api/v1/meetings", json={
        "area": "northshire", "level": 2, "starts_at": "2026-12-10T10:00:00+00:00", "chair": "chair",
        "venue": "Northshire HQ"})
    assert made.status_code == 201, made.get_data(as_text=True)
    meeting_id = made.get_json()["id"]
    built = api.post("administrator", f"/api/v1/meetings/{meeting_id}/agenda/build").get_json()
    assert [i["offender_name"] for i in built["agenda"]] == ["Adam Ashby", "Carl Carter", "Brian Brook"]

    adam = cases["Adam Ashby"]
    _complete(api, "police", _task(api, "police", adam.id, "Research agenda item (police)"),
              {"issues_of_concern": "Seen near the victim's address.", "flag_to_chair": True})
    meeting = api.get("chair", f"/api/v1/meetings/{meeting_id}").get_json()
    assert meeting["agenda"][0]["research_flags"][0]["flag_to_chair"] is True

    on_its_day(meeting_id)
    assert api.post("chair", f"/api/v1/meetings/{meeting_id}/open").status_code == 200
    sign_in(client, "administrator")
    page = f"/meetings/{meeting_id}"
    rows = meeting["attendance"]
    client.post(f"{page}/attendance", data={"csrf_token": csrf_token(client, page),
                                            f"attendance-{rows[0]['id']}": "present",
                                            f"attendance-{rows[1]['id']}": "report received"})
    statuses = {r["id"]: r["status"] for r in api.get("chair", page.replace("/meetings", "/api/v1/meetings"))
                .get_json()["attendance"]}
    assert (statuses[rows[0]["id"]], statuses[rows[1]["id"]]) == ("present", "report received")

    for name, case in cases.items():
        path = f"/api/v1/meetings/{meeting_id}/minutes/{case.id}"
        etag = api.get("administrator", path).headers["ETag"]
        decision, review = DECISIONS[name]
        sections = {"summary": f"{name} discussed.", "risk_assessment": "High risk to ex-partner.",
                    "level_decision": {"decision": decision, "rationale": "Agreed."}, "next_review_date": review,
                    "actions": [{"description": f"Home visit to {name}", "owner_role": "police",
                                 "due": "2026-12-20"}]}
        saved = api.client.put(path, json={"sections": sections},
                               headers=api.headers("administrator") | {"If-Match": etag})
        assert saved.status_code == 200, saved.get_data(as_text=True)
        minutes_page = f"/meetings/{meeting_id}/minutes/{case.id}"
        submitted = client.post(f"{minutes_page}/submit", data={"csrf_token": csrf_token(client, minutes_page)})
        assert submitted.status_code == 302

    for case in cases.values():
        considered_disclosure(case.id)
        _complete(api, "chair", _task(api, "chair", case.id, "Approve minutes"), {"approval": "approve"})
        _complete(api, "administrator", _task(api, "administrator", case.id, "Distribute minutes"),
                  {"distributed_to": "Police, Probation, Housing"})

    for name, case in cases.items():
        view = api.get("coordinator", f"/api/v1/cases/{case.id}").get_json()
        decision, review = DECISIONS[name]
        assert (view["level"], view["next_review_due"]) == (int(decision[-1]), review), name
        action = _task(api, "police", case.id, "Complete agreed action")
        assert action["due"] == "2026-12-20"
        minutes = api.get("administrator", f"/api/v1/meetings/{meeting_id}/minutes/{case.id}").get_json()
        assert minutes["status"] == "distributed"
