"""POST/GET /api/v1/cases through the HTTP client, on the real engine and database."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.auth import create_token, revoke_token
from services.db import db
from services.models import AccessLog, MappaCase, User
from tests.api.conftest import Api, error_message, fields, referral


def _case_count() -> int:
    return db.session.scalar(select(func.count(MappaCase.id))) or 0


def _create(api: Api, username: str = "probation", **overrides: object) -> dict:
    response = api.post(username, "/api/v1/cases", json=referral(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_no_token_is_401_with_a_bearer_challenge(client: FlaskClient, users: dict[str, User]) -> None:
    response = client.get("/api/v1/cases/1")
    assert error_message(response, 401) == "A valid bearer token is required"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_token_or_other_scheme_is_401(client: FlaskClient, users: dict[str, User]) -> None:
    for header in ("Bearer mf_not-a-real-token", "Basic cHJvYmF0aW9uOng=", "Bearer "):
        response = client.post("/api/v1/cases", json=referral(), headers={"Authorization": header})
        error_message(response, 401)
    assert _case_count() == 0


def test_revoked_token_is_401(client: FlaskClient, users: dict[str, User]) -> None:
    row, token = create_token(users["probation"], "laptop")
    revoke_token(users["probation"], row.id)
    db.session.commit()
    response = client.post("/api/v1/cases", json=referral(), headers={"Authorization": f"Bearer {token}"})
    error_message(response, 401)


def test_role_without_permission_is_403(api: Api) -> None:
    assert "cases:refer" in error_message(api.post("manager", "/api/v1/cases", json=referral()), 403)
    assert "cases:view" in error_message(api.get("owner", "/api/v1/cases/1"), 403)
    assert _case_count() == 0


def test_referral_opens_a_case_and_tasks_reach_only_that_areas_coordinator(api: Api) -> None:
    response = api.post("probation", "/api/v1/cases", json=referral())
    assert response.status_code == 201, response.get_data(as_text=True)
    case = response.get_json()
    assert response.headers["Location"] == case["links"]["self"] == f"/api/v1/cases/{case['id']}"
    assert case["offender"] == {"name": "John Smith", "date_of_birth": "1980-04-01", "pnc_id": "2001/0012345A",
                                "crn": None}
    assert (case["category"], case["category_code"], case["level"]) == (1, "M1", None)
    assert (case["status"], case["area"], case["custody"]) == ("referred", "northshire", False)
    assert case["lead_officer"] == "probation"  # the referrer's agency leads
    assert [t["name"] for t in case["open_tasks"]] == ["Check referral is complete"]  # ViSOR after screening

    north = api.get("coordinator", "/api/v1/tasks").get_json()["tasks"]
    assert [(t["case_id"], t["name"]) for t in north] == [(case["id"], "Check referral is complete")]
    assert api.get("south_coordinator", "/api/v1/tasks").get_json()["tasks"] == []


def test_area_and_level_default_to_the_callers_area_and_level_2(api: Api) -> None:
    body = referral()
    del body["area"]
    response = api.post("police", "/api/v1/cases", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["area"] == "northshire"
    history = api.get("police", f"/api/v1/cases/{response.get_json()['id']}/history").get_json()
    submitted = next(e for e in history["events"] if e["kind"] == "referral_submitted")
    assert submitted["detail"]["referral"]["level_requested"] == 2


def test_custody_referral_keeps_the_release_date(api: Api) -> None:
    case = _create(api, custody=True, release_date="2027-03-01", lead_agency="Prison", level_requested=3,
                   level3_reason="Needs senior police resources.")
    assert (case["custody"], case["release_date"], case["lead_agency"]) == (True, "2027-03-01", "Prison")
    assert case["lead_officer"] is None  # probation's agency is not the lead agency


def test_missing_offender_name_is_reported_at_its_api_path(api: Api) -> None:
    response = api.post("probation", "/api/v1/cases", json=referral(offender={"date_of_birth": "1980-04-01"}))
    assert fields(response) == ["offender.name"]
    assert response.get_json()["error"]["errors"][0]["message"] == "Enter the offender's full name"
    assert _case_count() == 0


@pytest.mark.parametrize("name", [" \t ", "\u202e\u200f", "\u200b\u00a0\u3164", "\n"])
def test_blank_or_invisible_offender_name_is_missing(api: Api, name: str) -> None:
    response = api.post("probation", "/api/v1/cases", json=referral(offender={"name": name}))
    assert fields(response) == ["offender.name"]
    assert response.get_json()["error"]["errors"][0]["message"] == "Enter the offender's full name"
    assert _case_count() == 0


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"referral_reason": "   "}, "referral_reason", "Enter the relevant information and the reason for referral"),
    ({"referral_reason": "\r\n\u2028"}, "referral_reason",
     "Enter the relevant information and the reason for referral"),
    ({"level_requested": 3, "level3_reason": "  "}, "level3_reason", "Enter what Level 2 cannot deliver"),
    ({"level_requested": 3, "level3_reason": "\u200d"}, "level3_reason", "Enter what Level 2 cannot deliver"),
])
def test_blank_required_referral_text_is_missing(api: Api, overrides: dict[str, object], field: str,
                                                 message: str) -> None:
    response = api.post("probation", "/api/v1/cases", json=referral(**overrides))
    assert fields(response) == [field]
    assert response.get_json()["error"]["errors"][0]["message"] == message
    assert _case_count() == 0


def test_a_name_with_spaces_around_it_is_kept_without_them(api: Api) -> None:
    assert _create(api, offender={"name": "  John Smith \t"})["offender"]["name"] == "John Smith"


def test_custody_without_release_date_is_422_on_release_date(api: Api) -> None:
    assert fields(api.post("probation", "/api/v1/cases", json=referral(custody=True))) == ["release_date"]
    no_custody = referral(release_date="2027-03-01")
    assert fields(api.post("probation", "/api/v1/cases", json=no_custody)) == ["release_date"]
    assert _case_count() == 0


def test_every_invalid_field_is_listed_with_api_names(api: Api) -> None:
    body = referral(offender={"name": "", "date_of_birth": "1980-02-30", "alias": "JS"}, category="1",
                    custody="no", colour="blue")
    del body["referral_reason"]
    response = api.post("probation", "/api/v1/cases", json=body)
    assert sorted(fields(response)) == sorted(["colour", "offender.alias", "offender.name", "offender.date_of_birth",
                                               "category", "custody", "referral_reason"])  # one error per field
    messages = {e["field"]: e["message"] for e in response.get_json()["error"]["errors"]}
    assert messages["category"] == "MAPPA category must be a whole number"
    assert messages["offender.date_of_birth"] == "Date of birth must be a real date"
    assert _case_count() == 0


def test_referral_into_another_area_is_refused_on_area(api: Api) -> None:
    response = api.post("probation", "/api/v1/cases", json=referral(area="southmoor"))
    assert fields(response) == ["area"]
    assert "your own MAPPA area (northshire)" in response.get_json()["error"]["errors"][0]["message"]
    assert _case_count() == 0


def test_body_that_is_not_a_json_object_is_422_on_body(api: Api) -> None:
    assert fields(api.post("probation", "/api/v1/cases", json=["offender"])) == ["body"]
    not_json = api.client.post("/api/v1/cases", data="{oops", content_type="application/json",
                               headers=api.headers("probation"))
    assert fields(not_json) == ["body"]
    assert fields(api.post("probation", "/api/v1/cases", json=referral(offender="John Smith"))) == ["offender"]


def test_get_case_returns_the_case_and_logs_the_read(api: Api) -> None:
    created = _create(api)
    response = api.get("coordinator", f"/api/v1/cases/{created['id']}")
    assert response.status_code == 200
    assert response.get_json() == created
    coordinator = api.users["coordinator"]
    logged = db.session.scalars(select(AccessLog.event).where(AccessLog.user_id == coordinator.id,
                                                              AccessLog.case_id == created["id"])).all()
    assert "case_viewed" in logged


def test_case_in_another_area_is_404_like_a_missing_one(api: Api) -> None:
    created = _create(api)
    other_area = api.get("south_coordinator", f"/api/v1/cases/{created['id']}")
    missing = api.get("coordinator", "/api/v1/cases/999999")
    assert error_message(other_area, 404) == error_message(missing, 404) == "case not found"
    error_message(api.get("south_coordinator", f"/api/v1/cases/{created['id']}/history"), 404)


def test_history_lists_who_did_what_newest_first(api: Api) -> None:
    created = _create(api)
    response = api.get("coordinator", f"/api/v1/cases/{created['id']}/history")
    assert response.status_code == 200
    history = response.get_json()
    assert history["case_id"] == created["id"]
    kinds = [e["kind"] for e in history["events"]]
    assert "referral_submitted" in kinds and "phase_started" in kinds
    submitted = next(e for e in history["events"] if e["kind"] == "referral_submitted")
    assert submitted["actor"] == "probation"
    assert submitted["at"] == "2026-11-25T10:00:00+00:00"
    assert submitted["detail"]["referral"]["referral_reason"] == "Escalating behaviour towards ex-partner."
    assert all(e["instance_id"] for e in history["events"] if e["kind"] == "phase_started")


def test_unknown_api_paths_and_methods_answer_in_json(api: Api) -> None:
    error_message(api.get("probation", "/api/v1/no-such-thing"), 404)
    error_message(api.client.delete("/api/v1/cases/1", headers=api.headers("probation")), 405)


def test_a_signed_in_cookie_session_does_not_authenticate_the_api(client: FlaskClient, users: dict[str, User]) -> None:
    from tests.factories import sign_in

    sign_in(client, "probation")
    assert client.get("/tasks").status_code == 200  # the cookie session works for pages...
    error_message(client.post("/api/v1/cases", json=referral()), 401)  # ...but not for the API
    assert _case_count() == 0


def test_dates_in_an_impossible_order_are_refused_naming_the_later_field(api: Api) -> None:
    """A sentence before the birth, a licence ending before the sentence, a notification ending before the birth
    (found in review: all accepted, on the page and the API)."""
    from sqlalchemy import func, select

    from services.db import db
    from services.models import MappaCase

    before = db.session.scalar(select(func.count(MappaCase.id)))
    for body, field, message in (
        (referral(sentence_date="1950-01-01"), "sentence_date", "Sentence date must be after the date of birth"),
        (referral(category=2, sentence_date="2020-01-01", licence_end="2010-01-01"), "licence_end",
         "Licence or hospital order end date must be after the sentence date"),
        (referral(notification_end="1970-01-01"), "notification_end",
         "Notification period end date must be after the date of birth"),
        (referral(offender={"name": "Baby Born", "date_of_birth": "2026-11-25"}), "offender.date_of_birth",
         "Date of birth must be at least 10 years ago"),
    ):
        answer = api.post("probation", "/api/v1/cases", json=body)
        assert fields(answer) == [field]
        assert [e["message"] for e in answer.get_json()["error"]["errors"]] == [message]
    assert db.session.scalar(select(func.count(MappaCase.id))) == before
    assert api.post("probation", "/api/v1/cases", json=referral(sentence_date="2020-01-01",
                                                               notification_end="2030-01-01")).status_code == 201
