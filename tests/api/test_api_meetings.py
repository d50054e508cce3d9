"""/api/v1/meetings: schedule, list, agenda from due cases, minutes with ETag / If-Match, PDFs and the invite."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from services.db import db
from services.minutes_sections import ALL_SECTIONS
from services.models import MappaCase, User
from tests.api.conftest import Api, error_message, fields
from tests.factories import csrf_token, sign_in
from tests.meetings.test_meeting_cycle import level2_case

START = "2026-12-10T10:00:00+00:00"  # tests run on 2026-11-25
ICS_MISSING = importlib.util.find_spec("services.documents.ics") is None


def meeting_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"area": "northshire", "level": 2, "starts_at": START, "chair": "chair",
                            "venue": "Northshire HQ, Room 4"}
    body.update(overrides)
    return body


def schedule(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("administrator", "/api/v1/meetings", json=meeting_body(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    return dict(response.get_json())


@pytest.fixture
def due_cases(users: dict[str, User]) -> list[MappaCase]:
    return [level2_case(users, "Adam Ashby", "2026-12-14"), level2_case(users, "Brian Brook", "2026-12-22")]


@pytest.fixture
def built(api: Api, due_cases: list[MappaCase]) -> dict[str, Any]:
    meeting = schedule(api)
    response = api.post("administrator", f"/api/v1/meetings/{meeting['id']}/agenda/build")
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def minutes_url(meeting: dict[str, Any], case_id: int) -> str:
    return f"/api/v1/meetings/{meeting['id']}/minutes/{case_id}"


def put(api: Api, user: str, url: str, sections: dict[str, Any], if_match: str | None) -> Any:
    headers = api.headers(user) | ({"If-Match": if_match} if if_match is not None else {})
    return api.client.put(url, headers=headers, json={"sections": sections})


# --- calendar --------------------------------------------------------------------------------------------------

def test_schedule_a_meeting(api: Api) -> None:
    response = api.post("administrator", "/api/v1/meetings", json=meeting_body(duration_minutes=120))
    assert response.status_code == 201
    meeting = response.get_json()
    assert response.headers["Location"] == f"/api/v1/meetings/{meeting['id']}"
    assert meeting["area"] == "northshire" and meeting["level"] == 2 and meeting["chair"] == "chair"
    assert meeting["starts_at"].startswith("2026-12-10T10:00") and meeting["ends_at"].startswith("2026-12-10T12:00")
    assert meeting["status"] == "scheduled" and meeting["agenda"] == [] and meeting["attendance"] == []


def test_schedule_refuses_bad_requests(api: Api) -> None:
    def refused(**overrides: Any) -> list[str]:
        return fields(api.post("administrator", "/api/v1/meetings", json=meeting_body(**overrides)))

    assert refused(starts_at="2026-11-01T10:00:00+00:00") == ["starts_at"]  # in the past
    assert refused(starts_at="next Tuesday") == ["starts_at"]
    assert refused(starts_at="2026-12-10T10:00:00") == ["starts_at"]  # no offset
    assert refused(area="southmoor") == ["area"]
    assert refused(chair="nobody") == ["chair"]
    assert refused(chair="probation") == ["chair"]  # not a chair
    assert refused(level=4) == ["level"]
    assert refused(colour="blue") == ["colour"]
    assert set(fields(api.post("administrator", "/api/v1/meetings", json={}))) == {"area", "level", "starts_at",
                                                                                   "chair"}
    assert "MAPPA Administrator or MAPPA Coordinator can schedule" in error_message(
        api.post("probation", "/api/v1/meetings", json=meeting_body()), 403)


def test_list_meetings_between_dates(api: Api) -> None:
    first = schedule(api)
    second = schedule(api, starts_at="2027-01-14T10:00:00+00:00")

    def listed(query: str) -> list[int]:
        response = api.get("coordinator", f"/api/v1/meetings{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [m["id"] for m in response.get_json()["meetings"]]

    assert listed("") == [first["id"], second["id"]]
    assert listed("?area=northshire&from=2026-12-01&to=2026-12-10") == [first["id"]]  # to includes the day
    assert listed("?from=2026-12-11") == [second["id"]]
    assert listed("?from=2026-12-10T10:00:01%2B00:00") == [second["id"]]
    assert listed("?to=2026-12-09") == []
    assert api.get("south_coordinator", "/api/v1/meetings").get_json()["meetings"] == []
    assert fields(api.get("coordinator", "/api/v1/meetings?from=2026-13-01")) == ["from"]
    assert fields(api.get("coordinator", "/api/v1/meetings?to=soon")) == ["to"]
    assert fields(api.get("coordinator", "/api/v1/meetings?from=2026-12-10T10:00")) == ["from"]  # no offset
    assert fields(api.get("coordinator", "/api/v1/meetings?area=southmoor")) == ["area"]


def test_another_areas_meeting_is_not_found(api: Api, built: dict[str, Any]) -> None:
    base = f"/api/v1/meetings/{built['id']}"
    case_id = built["agenda"][0]["case_id"]
    for path in (base, f"{base}/agenda.pdf", f"{base}/invite.ics", f"{base}/minutes/{case_id}",
                 f"{base}/minutes/{case_id}.pdf"):
        error_message(api.get("south_coordinator", path), 404)
    error_message(api.post("south_coordinator", f"{base}/agenda/build"), 404)
    assert put(api, "south_coordinator", f"{base}/minutes/{case_id}", {"summary": "x"}, '"m1v0"').status_code == 404
    error_message(api.get("coordinator", "/api/v1/meetings/999999"), 404)


# --- agenda ----------------------------------------------------------------------------------------------------

def test_build_agenda_from_due_cases(api: Api, built: dict[str, Any], due_cases: list[MappaCase]) -> None:
    assert [i["offender_name"] for i in built["added"]] == ["Adam Ashby", "Brian Brook"]  # by due date
    assert built["added"] == built["agenda"]
    first = built["agenda"][0]
    assert first["case_id"] == due_cases[0].id and first["case_reference"] == due_cases[0].reference
    assert (first["position"], first["minutes_allotted"], first["kind"], first["research_flags"]) == (
        1, 20, "initial", [])
    assert {"Probation", "Police", "Housing"} <= {a["agency"] for a in built["attendance"]}
    assert {a["case_id"] for a in built["attendance"]} == {c.id for c in due_cases}

    again = api.post("administrator", f"/api/v1/meetings/{built['id']}/agenda/build").get_json()
    assert again["added"] == [] and again["agenda"] == built["agenda"]
    shown = api.get("police", f"/api/v1/meetings/{built['id']}").get_json()
    assert [i["position"] for i in shown["agenda"]] == [1, 2]
    assert "MAPPA Administrator or MAPPA Coordinator can schedule" in error_message(
        api.post("chair", f"/api/v1/meetings/{built['id']}/agenda/build"), 403)


# --- minutes ---------------------------------------------------------------------------------------------------

def test_minutes_have_every_section_and_an_etag(api: Api, built: dict[str, Any]) -> None:
    response = api.get("chair", minutes_url(built, built["agenda"][0]["case_id"]))
    assert response.status_code == 200
    minutes = response.get_json()
    assert response.headers["ETag"] and minutes["version"] == 0 and minutes["status"] == "draft"
    assert set(minutes["sections"]) == set(ALL_SECTIONS)
    assert minutes["sections"]["summary"] == "" and minutes["sections"]["actions"] == []
    assert minutes["sections"]["level_decision"] is None and minutes["updated_by"] is None


def test_save_with_if_match_and_stale_saves_lose_nothing(api: Api, built: dict[str, Any]) -> None:
    url = minutes_url(built, built["agenda"][0]["case_id"])
    opened = api.get("administrator", url).headers["ETag"]  # both open the same version

    first = put(api, "administrator", url, {"summary": "Agencies shared updates."}, opened)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.headers["ETag"] != opened
    assert first.get_json()["version"] == 1 and first.get_json()["updated_by"] == "administrator"

    stale = put(api, "chair", url, {"summary": "Chair's overwrite"}, opened)
    assert stale.status_code == 412
    body = stale.get_json()
    assert body["error"]["status"] == 412 and "since you opened" in body["error"]["message"]
    assert body["current"]["sections"]["summary"] == "Agencies shared updates."
    assert stale.headers["ETag"] == first.headers["ETag"]

    after = api.get("chair", url)
    assert after.get_json()["sections"]["summary"] == "Agencies shared updates."
    assert after.headers["ETag"] == first.headers["ETag"]

    merged = put(api, "chair", url, {"risk_assessment": "High risk."}, after.headers["ETag"])
    assert merged.status_code == 200
    assert merged.get_json()["sections"]["summary"] == "Agencies shared updates."  # other sections are kept
    assert merged.get_json()["sections"]["risk_assessment"] == "High risk."


def test_save_needs_if_match_and_valid_sections(api: Api, built: dict[str, Any]) -> None:
    url = minutes_url(built, built["agenda"][0]["case_id"])
    assert "If-Match" in error_message(put(api, "administrator", url, {"summary": "x"}, None), 428)
    etag = api.get("administrator", url).headers["ETag"]
    bad = {"level_decision": {"decision": "level_9"}, "colour": "blue", "summary": 5}
    assert set(fields(put(api, "administrator", url, bad, etag))) == {
        "sections.level_decision", "sections.colour", "sections.summary"}
    assert fields(api.client.put(url, headers=api.headers("administrator") | {"If-Match": etag},
                                 json={"sections": "text"})) == ["sections"]
    assert "write and submit minutes" in error_message(put(api, "police", url, {"summary": "x"}, etag), 403)
    assert api.get("administrator", url).get_json()["version"] == 0


@pytest.mark.parametrize(("sections", "expected"), [
    ({"level_decision": {"decision": "level_2", "rationale": "R" * 8001}}, ["sections.level_decision.rationale"]),
    ({"level_decision": {"decision": "level_2", "rationale": "R", "extra": "x"}}, ["sections.level_decision.extra"]),
    ({"actions": [{"description": "D" * 1_000_000, "owner_role": "police"}]}, ["sections.actions.0.description"]),
    ({"actions": [{"description": "Visit", "owner_role": "police"}] * 5000}, ["sections.actions"]),
    ({"actions": [{"description": "Visit", "owner_agency": "A" * 100_000}]}, ["sections.actions.0.owner_agency"]),
    ({"actions": [{"description": "Visit", "note": "x"}]}, ["sections.actions.0.note"]),
    ({"actions": [{"description": " \u200b "}]}, ["sections.actions.0.description"]),
])
def test_minutes_save_refuses_what_the_approval_would_refuse(api: Api, built: dict[str, Any],
                                                             sections: dict[str, Any], expected: list[str]) -> None:
    """The editor kept a 20,000-character rationale that the chair's approval then refused (the meeting review
    form's 8,000), and actions of any size or number: now a 422 at save, with the path."""
    url = minutes_url(built, built["agenda"][0]["case_id"])
    etag = api.get("administrator", url).headers["ETag"]
    assert fields(put(api, "administrator", url, sections, etag)) == expected
    assert api.get("administrator", url).get_json()["version"] == 0


def test_minutes_save_takes_the_longest_rationale_the_approval_takes(api: Api, built: dict[str, Any]) -> None:
    url = minutes_url(built, built["agenda"][0]["case_id"])
    etag = api.get("administrator", url).headers["ETag"]
    saved = put(api, "administrator", url, {"level_decision": {"decision": "level_2", "rationale": "R" * 8000},
                                            "actions": [{"description": "D" * 8000, "owner_role": "police"}]}, etag)
    assert saved.status_code == 200, saved.get_data(as_text=True)[:500]


def test_minutes_page_save_refuses_an_over_long_rationale_and_action(app: Any, api: Api, built: dict[str, Any]) -> None:
    """The page's save-as-you-type (session, not token) goes through the same service check."""
    case_id = built["agenda"][0]["case_id"]
    sign_in(api.client, "administrator")
    path = f"/meetings/{built['id']}/minutes/{case_id}"
    token = csrf_token(api.client, path)
    etag = api.get("administrator", minutes_url(built, case_id)).headers["ETag"]
    response = api.client.put(f"{path}/sections", headers={"X-CSRFToken": token, "If-Match": etag}, json={
        "sections": {"level_decision": {"decision": "level_2", "rationale": "R" * 20_000},
                     "actions": [{"description": "D" * 8001, "owner_role": "police", "owner_agency": "Police"}]}})
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert response.get_json()["errors"] == [
        {"field": "sections.level_decision.rationale", "message": "Rationale must be 8,000 characters or fewer"},
        {"field": "sections.actions.0.description", "message": "The action must be 8,000 characters or fewer"}]
    assert api.get("administrator", minutes_url(built, case_id)).get_json()["version"] == 0


def test_minutes_of_a_case_not_on_the_agenda(api: Api, built: dict[str, Any], users: dict[str, User]) -> None:
    other = level2_case(users, "Dean Dunn", "2026-12-21")  # due, but after the build
    error_message(api.get("administrator", minutes_url(built, other.id)), 404)


# --- documents -------------------------------------------------------------------------------------------------

def test_agenda_and_minutes_pdfs(api: Api, built: dict[str, Any]) -> None:
    base = f"/api/v1/meetings/{built['id']}"
    agenda = api.get("coordinator", f"{base}/agenda.pdf")
    assert agenda.status_code == 200, agenda.get_data(as_text=True)
    assert agenda.mimetype == "application/pdf" and agenda.data.startswith(b"%PDF")
    assert agenda.headers["Content-Disposition"].startswith("attachment; filename=")
    assert ".pdf" in agenda.headers["Content-Disposition"]

    url = minutes_url(built, built["agenda"][0]["case_id"])
    put(api, "administrator", url, {"summary": "Discussed."}, api.get("administrator", url).headers["ETag"])
    minutes = api.get("coordinator", f"{url}.pdf")
    assert minutes.status_code == 200, minutes.get_data(as_text=True)
    assert minutes.mimetype == "application/pdf" and minutes.data.startswith(b"%PDF")
    assert minutes.headers["Content-Disposition"].startswith("attachment; filename=")


@pytest.mark.skipif(ICS_MISSING, reason="services.documents.ics (meeting_ics) is not there yet")
def test_meeting_invite_ics(api: Api, built: dict[str, Any]) -> None:
    invite = api.get("coordinator", f"/api/v1/meetings/{built['id']}/invite.ics")
    assert invite.status_code == 200, invite.get_data(as_text=True)
    assert invite.mimetype == "text/calendar"
    assert invite.headers["Content-Disposition"].startswith("attachment; filename=")
    assert "BEGIN:VCALENDAR" in invite.get_data(as_text=True)


def test_minutes_cannot_put_a_category3_case_at_level1(api: Api, built: dict[str, Any]) -> None:
    case_id = built["agenda"][0]["case_id"]
    db.session.execute(db.text("UPDATE mappa_case SET category = 3 WHERE id = :id"), {"id": case_id})
    db.session.commit()
    url = minutes_url(built, case_id)
    etag = api.get("administrator", url).headers["ETag"]
    refused = put(api, "administrator", url, {"level_decision": {"decision": "level_1", "rationale": "Low risk."}},
                  etag)
    assert fields(refused) == ["sections.level_decision"]
    assert "Level 2 or 3 only" in refused.get_data(as_text=True)
    kept = put(api, "administrator", url, {"level_decision": {"decision": "exit", "rationale": "Risk reduced."}}, etag)
    assert kept.status_code == 200, kept.get_data(as_text=True)


def test_online_link_must_be_https(api: Api) -> None:
    for link in ("javascript:alert(1)", "http://meet.example/x", "https://", "data:text/html,hi",
                 "https://meet.example/a b"):
        assert fields(api.post("administrator", "/api/v1/meetings",
                               json=meeting_body(online_link=link, venue=None))) == ["online_link"], link
    ok = api.post("administrator", "/api/v1/meetings", json=meeting_body(online_link="https://meet.example/l2",
                                                                          venue=None))
    assert ok.status_code == 201, ok.get_data(as_text=True)
