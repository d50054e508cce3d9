"""One declaration per contract (app.api.contract): the models validate requests, name each field path in a 422,
generate /api/v1/openapi.json, and take their vocabularies from their one home."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.api.contract import OPERATIONS
from app.api.schemas import MODELS
from services import tasks as task_service
from services.cases import CATEGORY_CODES, STATUSES
from services.levels import CATEGORIES
from services.lifecycle import EARLY_REVIEW_REASONS
from services.meeting_words import ATTENDANCE_STATUSES, MEETING_STATUSES, MINUTES_STATUSES
from services.vocabulary import TASK_STATES
from tests.api.conftest import Api, fields, referral
from workflows.lanes import ACTION_OWNER_ROLES, LEAD_AGENCIES


@pytest.fixture
def schemas(client: FlaskClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    return document["components"]["schemas"]


def test_vocabularies_in_the_document_are_read_from_their_one_home(schemas: dict[str, Any]) -> None:
    case = schemas["Case"]["properties"]
    assert case["status"]["enum"] == list(STATUSES)
    assert case["category"]["enum"] == list(CATEGORIES)
    assert case["category_code"]["enum"] == list(CATEGORY_CODES.values())
    referral_in = schemas["ReferralRequest"]["properties"]
    assert referral_in["lead_agency"]["enum"] == list(LEAD_AGENCIES)
    assert referral_in["category"]["enum"] == list(CATEGORIES)
    assert schemas["LeadRequest"]["properties"]["lead_agency"]["enum"] == list(LEAD_AGENCIES)
    assert schemas["ActionRequest"]["properties"]["owner_role"]["enum"] == list(ACTION_OWNER_ROLES)
    assert schemas["EarlyReviewRequest"]["properties"]["reason"]["enum"] == list(EARLY_REVIEW_REASONS)
    assert schemas["Attendance"]["properties"]["status"]["enum"] == list(ATTENDANCE_STATUSES)
    assert schemas["MeetingSummary"]["properties"]["status"]["enum"] == list(MEETING_STATUSES)
    assert schemas["Minutes"]["properties"]["status"]["enum"] == list(MINUTES_STATUSES)
    assert schemas["Task"]["properties"]["state"]["enum"] == list(TASK_STATES)
    assert schemas["InboxQuery"]["properties"]["show"]["enum"] == list(task_service.SHOWS)


def test_a_vocabulary_change_reaches_the_validation(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The early review reasons are the service's: a reason it stops knowing is refused at the contract (on its
    field), with the list the service holds."""
    reason = MODELS["EarlyReviewRequest"].schema["properties"]["reason"]
    monkeypatch.setitem(reason, "enum", [r for r in EARLY_REVIEW_REASONS if r != "breach"])
    case_id = api.post("probation", "/api/v1/cases", json=referral()).get_json()["id"]
    response = api.post("coordinator", f"/api/v1/cases/{case_id}/early-review",
                        json={"reason": "breach", "detail": "Seen"})
    assert fields(response) == ["reason"]
    assert "breach" not in response.get_json()["error"]["errors"][0]["message"]


def test_a_422_from_the_contract_names_each_field_path_once(api: Api) -> None:
    body = referral(offender={"name": 5, "crn": ["x"], "nickname": "J"}, custody="yes", rosh="extreme")
    response = api.post("probation", "/api/v1/cases", json=body)
    assert fields(response) == ["offender.nickname", "offender.crn", "offender.name", "custody", "rosh"]
    messages = {e["field"]: e["message"] for e in response.get_json()["error"]["errors"]}
    assert messages == {"offender.nickname": "Unexpected field", "offender.name": "Offender's full name must be text",
                        "offender.crn": "NDelius CRN must be text", "rosh": "Risk of serious harm must be one of "
                        "low, medium, high, very_high", "custody": "In custody must be true or false"}
    assert fields(api.get("coordinator", "/api/v1/tasks?case=abc&sort=sideways")) == ["case", "sort"]
    put = api.client.put("/api/v1/settings", json={"settings": {"level2_review_weeks": 1.5}},
                         headers=api.headers("coordinator"))
    assert fields(put) == ["settings.level2_review_weeks"]


def test_declared_operations_are_in_the_document_with_their_models(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert len(OPERATIONS) == len({(op.rule, op.method) for op in OPERATIONS}) >= 45
    for op in OPERATIONS:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", op.rule)
        described = document["paths"][path][op.method]
        if op.body is not None:
            assert described["requestBody"]["content"]["application/json"]["schema"] == op.body.ref
        if op.query is not None:
            assert {p["name"] for p in described["parameters"] if p["in"] == "query"} == set(
                op.query.schema["properties"])
