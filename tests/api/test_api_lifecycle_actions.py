"""POST /cases/{id}/early-review, release-date, transfer, lead and actions; identification; area settings."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.models import HumanTask, User
from services.tasks import complete
from tests.api.conftest import Api, error_message, fields, referral
from tests.factories import create_case, ready_task, sign_in


def in_review_period(users: dict[str, User], outcome: str = "accepted_level_2", **overrides: Any) -> int:
    """A case accepted at Level 2 (or ``outcome``; first meeting due 15 December 2026) whose review period waits for
    its timer."""
    case = create_case(users["probation"], category=2, **overrides)
    complete(users["coordinator"], ready_task(case.id, "check_referral").id, {"referral_complete": "yes"})
    complete(users["coordinator"], ready_task(case.id, "screening_decision").id, {
        "screening_outcome": outcome, "screening_rationale": "Needs multi-agency management.",
        "first_review_due": "2026-12-15"})
    complete(users["police"], ready_task(case.id, "visor_record").id, {"visor_reference": "VS12345"})
    db.session.commit()
    return case.id


def referred(users: dict[str, User], **overrides: Any) -> int:
    return create_case(users["probation"], **overrides).id


def task_names(api: Api, username: str, case_id: int) -> list[str]:
    response = api.get(username, f"/api/v1/tasks?case={case_id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [t["name"] for t in response.get_json()["tasks"]]


# --- early review ------------------------------------------------------------------------------------------------

def test_early_review_interrupts_the_wait_and_the_chair_gets_the_meeting(api: Api, users: dict[str, User]) -> None:
    case_id = in_review_period(users)
    assert task_names(api, "chair", case_id) == []
    response = api.post("police", f"/api/v1/cases/{case_id}/early-review",
                        json={"reason": "arrest", "detail": "Arrested for a breach of his SHPO."})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["id"] == case_id
    [meeting] = [t for t in api.get("chair", f"/api/v1/tasks?case={case_id}").get_json()["tasks"]]
    assert (meeting["name"], meeting["due"]) == ("MAPP meeting review", "2026-12-02")  # 5 working days
    history = api.get("coordinator", f"/api/v1/cases/{case_id}/history").get_json()["events"]
    assert "early_review_requested" in [e["kind"] for e in history]


def test_early_review_422s(api: Api, users: dict[str, User]) -> None:
    case_id = in_review_period(users)
    path = f"/api/v1/cases/{case_id}/early-review"
    assert fields(api.post("police", path, json={"reason": "bored", "detail": " "})) == ["reason", "detail"]
    assert fields(api.post("police", path, json={"reason": 3, "detail": "x", "colour": "red"})) == ["colour", "reason"]
    assert fields(api.post("police", path, json=["arrest"])) == ["body"]


def test_early_review_when_no_review_period_is_waiting_is_409(api: Api, users: dict[str, User]) -> None:
    case_id = referred(users)
    response = api.post("coordinator", f"/api/v1/cases/{case_id}/early-review",
                        json={"reason": "breach", "detail": "Breached licence conditions."})
    assert "no review period waiting" in error_message(response, 409)


def test_other_areas_get_404_for_every_action(api: Api, users: dict[str, User]) -> None:
    case_id = in_review_period(users, custody=True, release_date="2027-06-01")
    bodies = {
        "early-review": {"reason": "breach", "detail": "x"},
        "release-date": {"release_date": "2027-05-01", "reason": "x"},
        "transfer": {"to_area": "southmoor", "reason": "x"},
        "lead": {"lead_agency": "Police", "reason": "x"},
        "actions": {"description": "x", "owner_role": "police", "due": "2026-12-10"},
    }
    for action, body in bodies.items():
        response = api.post("south_coordinator", f"/api/v1/cases/{case_id}/{action}", json=body)
        assert error_message(response, 404) == "case not found", action
    assert api.post("south_coordinator", "/api/v1/cases/999999/early-review",
                    json=bodies["early-review"]).status_code == 404


# --- release date, transfer, lead --------------------------------------------------------------------------------

def test_release_date_in_the_past_is_422_and_nothing_is_replanned(api: Api, users: dict[str, User]) -> None:
    """1905-03-01 was taken and the custody tasks re-planned into 1904; the referral form's rule now applies."""
    case_id = referred(users, custody=True, release_date="2027-06-01")
    path = f"/api/v1/cases/{case_id}/release-date"
    for day in ("1905-03-01", "2026-11-24"):  # tests run on 25 November 2026
        response = api.post("probation", path, json={"release_date": day, "reason": "typo in year"})
        assert fields(response) == ["release_date"]
        assert response.get_json()["error"]["errors"][0]["message"] == (
            "Earliest release date must be today or in the future")
    case = api.get("probation", f"/api/v1/cases/{case_id}").get_json()
    assert case["release_date"] == "2027-06-01"
    events = api.get("probation", f"/api/v1/cases/{case_id}/history").get_json()["events"]
    assert not [e for e in events if "Release date changed" in (e.get("summary") or "")]
    today = api.post("probation", path, json={"release_date": "2026-11-25", "reason": "Released early"})
    assert today.status_code == 200, today.get_data(as_text=True)


def test_release_date_moves_and_bad_dates_are_422(api: Api, users: dict[str, User]) -> None:
    case_id = referred(users, custody=True, release_date="2027-06-01")
    path = f"/api/v1/cases/{case_id}/release-date"
    assert fields(api.post("probation", path, json={"release_date": "2027-02-30", "reason": "x"})) == ["release_date"]
    assert fields(api.post("probation", path, json={"release_date": "1/5/2027", "reason": "x"})) == ["release_date"]
    assert fields(api.post("probation", path, json={"reason": "x"})) == ["release_date"]
    assert fields(api.post("probation", path, json={"release_date": "2027-05-01"})) == ["reason"]
    response = api.post("probation", path, json={"release_date": "2027-05-01", "reason": "Parole board decision"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["release_date"] == "2027-05-01"

    community = referred(users)
    assert fields(api.post("probation", f"/api/v1/cases/{community}/release-date",
                           json={"release_date": "2027-05-01", "reason": "x"})) == ["release_date"]


def test_transfer_moves_the_case_to_the_receiving_area(api: Api, users: dict[str, User]) -> None:
    case_id = in_review_period(users)
    path = f"/api/v1/cases/{case_id}/transfer"
    assert fields(api.post("coordinator", path, json={"to_area": "atlantis", "reason": "Moved"})) == ["to_area"]
    assert fields(api.post("coordinator", path, json={"to_area": "northshire", "reason": "x"})) == ["to_area"]
    assert fields(api.post("coordinator", path, json={})) == ["to_area", "reason"]
    response = api.post("coordinator", path, json={"to_area": "southmoor", "reason": "Moved to approved premises"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["area"] == "southmoor"

    assert api.get("coordinator", f"/api/v1/cases/{case_id}").status_code == 404
    assert task_names(api, "coordinator", case_id) == []
    moved = api.get("south_coordinator", f"/api/v1/cases/{case_id}")
    assert moved.status_code == 200 and moved.get_json()["area"] == "southmoor"
    assert task_names(api, "south_coordinator", case_id) == ["Re-screen transferred case"]


def test_the_sending_area_no_longer_reads_a_transferred_case_through_its_old_tasks(
        api: Api, users: dict[str, User], client: FlaskClient) -> None:
    """The tasks done before the transfer stay the sending area's work (its statistics count them) but show the
    case's live referral: once the case has moved, nobody in the sending area opens them (found in review: 200)."""
    case_id = in_review_period(users)
    old = db.session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id)).all()
    assert len(old) >= 3
    response = api.post("coordinator", f"/api/v1/cases/{case_id}/transfer",
                        json={"to_area": "southmoor", "reason": "Moved to approved premises"})
    assert response.status_code == 200, response.get_data(as_text=True)
    for username in ("coordinator", "police", "manager"):
        for task_id in old:
            assert api.get(username, f"/api/v1/tasks/{task_id}").status_code == 404, (username, task_id)
    sign_in(client, "police")
    assert client.get(f"/tasks/{old[0]}").status_code == 404


def test_lead_agency_and_officer_change(api: Api, users: dict[str, User]) -> None:
    case_id = referred(users)
    path = f"/api/v1/cases/{case_id}/lead"
    assert fields(api.post("coordinator", path, json={"lead_agency": "Police", "lead_officer": "south_coordinator",
                                                      "reason": "x"})) == ["lead_officer"]
    assert fields(api.post("coordinator", path, json={"lead_officer": "police"})) == ["lead_agency", "reason"]
    response = api.post("coordinator", path, json={"lead_agency": "Police", "lead_officer": "police",
                                                   "reason": "Registration is the main tool now"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.get_json()["lead_agency"], response.get_json()["lead_officer"]) == ("Police", "police")
    cleared = api.post("coordinator", path, json={"lead_agency": "Probation", "lead_officer": None, "reason": "x"})
    assert cleared.get_json()["lead_officer"] is None


# --- agreed actions ----------------------------------------------------------------------------------------------

def test_agreed_action_is_a_task_for_the_owning_role(api: Api, users: dict[str, User]) -> None:
    case_id = in_review_period(users)
    path = f"/api/v1/cases/{case_id}/actions"
    body = {"description": "Home visit with the new partner present", "owner_role": "police", "due": "2026-12-10"}
    response = api.post("chair", path, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert "Complete agreed action" in [t["name"] for t in response.get_json()["open_tasks"]]
    [action] = [t for t in api.get("police", f"/api/v1/tasks?case={case_id}").get_json()["tasks"]
                if t["name"] == "Complete agreed action"]
    assert (action["role"], action["due"]) == ("police", "2026-12-10")


def test_agreed_action_422s_and_403(api: Api, users: dict[str, User]) -> None:
    case_id = in_review_period(users)
    path = f"/api/v1/cases/{case_id}/actions"
    assert fields(api.post("coordinator", path, json={"description": "x", "owner_role": "police",
                                                      "due": "10/12/2026"})) == ["due"]
    assert fields(api.post("coordinator", path, json={"description": "x", "owner_role": "police",
                                                      "due": "2026-11-24"})) == ["due"]
    assert fields(api.post("coordinator", path, json={"description": "", "owner_role": "wizard"})) == [
        "description", "owner_role", "due"]
    body = {"description": "x", "owner_role": "police", "due": "2026-12-10"}
    assert "can record an action agreed" in error_message(api.post("probation", path, json=body), 403)


# --- opening a case by identification ----------------------------------------------------------------------------

def identification(**overrides: Any) -> dict[str, Any]:
    body = referral(route="identification", category=2, sentence_date="2026-11-20", licence_end="2029-11-20",
                    victims_flag=True, children_flag=False)
    for key in ("rosh", "referral_reason"):
        body.pop(key)
    body.update(overrides)
    return body


def test_identification_opens_a_case_at_identified(api: Api) -> None:
    response = api.post("probation", "/api/v1/cases", json=identification(category=2))
    assert response.status_code == 201, response.get_data(as_text=True)
    case = response.get_json()
    assert (case["status"], case["level"], case["sentence_date"], case["licence_end"]) == (
        "identified", None, "2026-11-20", "2029-11-20")
    assert case["flags"] == {"victims": True, "children": False, "vulnerable_adults": False}


def test_identification_422s(api: Api) -> None:
    body = identification()
    body.pop("sentence_date")
    assert fields(api.post("probation", "/api/v1/cases", json=body)) == ["sentence_date"]
    assert fields(api.post("probation", "/api/v1/cases", json=identification(referral_reason="x"))) == [
        "referral_reason"]
    assert fields(api.post("probation", "/api/v1/cases", json=identification(route="hunch"))) == ["route"]
    no_name = identification(offender={"date_of_birth": "1980-04-01"})
    assert fields(api.post("probation", "/api/v1/cases", json=no_name)) == ["offender.name"]


def test_a_category1_offender_is_identified_with_the_notification_period(api: Api) -> None:
    """Found in review: a Category 1 offender identified with neither a notification end date nor an indefinite
    period was accepted, and the case never came up for exit (MAPPA.md section 2: Category 1 leaves MAPPA when the
    notification period ends)."""
    body = identification(category=1, licence_end=None)
    response = api.post("probation", "/api/v1/cases", json=body)
    assert fields(response) == ["notification_end"]
    assert "notification period" in response.get_json()["error"]["errors"][0]["message"]
    for dates in ({"notification_end": "2036-11-20"}, {"notification_indefinite": True}):
        response = api.post("probation", "/api/v1/cases", json=body | dates)
        assert response.status_code == 201, response.get_data(as_text=True)


def test_referral_carries_the_new_facts(api: Api) -> None:
    response = api.post("probation", "/api/v1/cases", json=referral(
        notification_end="2036-01-01", vulnerable_adults_flag=True, offender={"name": "A B", "visor_reference": "V1"}))
    assert response.status_code == 201, response.get_data(as_text=True)
    case = response.get_json()
    assert (case["notification_end"], case["flags"]["vulnerable_adults"], case["visor_reference"]) == (
        "2036-01-01", True, "V1")
    assert fields(api.post("probation", "/api/v1/cases", json=referral(level_requested=3))) == ["level3_reason"]


# --- area settings -----------------------------------------------------------------------------------------------

def test_settings_are_read_by_all_and_changed_by_the_coordinator(api: Api) -> None:
    read = api.get("probation", "/api/v1/settings").get_json()
    assert (read["area"], read["editable"], read["settings"]["level2_review_weeks"]) == ("northshire", False, 16)
    change = {"settings": {"level2_review_weeks": 12}}
    assert "Only the MAPPA Coordinator can change" in error_message(api.client.put(
        "/api/v1/settings", json=change, headers=api.headers("probation")), 403)
    response = api.client.put("/api/v1/settings", json=change, headers=api.headers("coordinator"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["settings"]["level2_review_weeks"] == 12
    assert api.get("probation", "/api/v1/settings").get_json()["settings"]["level2_review_weeks"] == 12
    south = api.get("south_coordinator", "/api/v1/settings").get_json()
    assert (south["area"], south["editable"], south["settings"]["level2_review_weeks"]) == ("southmoor", True, 16)


def test_settings_422s(api: Api) -> None:
    def put(body: Any) -> list[str]:
        return fields(api.client.put("/api/v1/settings", json=body, headers=api.headers("coordinator")))

    assert put({"settings": {"level2_review_weeks": 0, "colour": 1}}) == ["settings.colour",
                                                                           "settings.level2_review_weeks"]
    assert put({"settings": {"level3_review_weeks": "8", "level1_review_months": True}}) == [
        "settings.level1_review_months", "settings.level3_review_weeks"]
    assert put({"settings": [], "extra": 1}) == ["extra", "settings"]


def test_every_setting_has_a_label_and_range() -> None:
    from services.settings import DEFAULTS
    from services.settings_admin import SETTINGS

    assert set(SETTINGS) == set(DEFAULTS)
    assert all(s.minimum <= DEFAULTS[key] <= s.maximum for key, s in SETTINGS.items())
