"""GET /api/v1/cases?q=: the case list and its search over HTTP, scoped and logged as the page is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.db import db
from services.models import AccessLog, User
from tests.api.conftest import Api, error_message, fields, referral


def _create(api: Api, username: str = "probation", **overrides: Any) -> dict[str, Any]:
    response = api.post(username, "/api/v1/cases", json=referral(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    return dict(response.get_json())


def _found(api: Api, query: str, username: str = "coordinator") -> list[str]:
    response = api.get(username, f"/api/v1/cases{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["total"] == len(body["cases"])
    return [case["reference"] for case in body["cases"]]


def test_q_finds_cases_by_name_or_identifier_in_the_list_shape(api: Api) -> None:
    smith = _create(api, offender={"name": "John Smith", "pnc_id": "2019/0012345A", "crn": "X123456",
                                   "visor_reference": "VS12345"})
    jones = _create(api, offender={"name": "Mary Jones", "crn": "X654321"})
    for q in ("smith", "JOHN%20SMI", "x123456", "19/12345a", "VS12345", smith["reference"].lower()):
        assert _found(api, f"?q={q}") == [smith["reference"]], q
    assert _found(api, "?q=nobody") == []
    assert sorted(_found(api, "")) == sorted(_found(api, "?q=")) == sorted([smith["reference"], jones["reference"]])
    [listed] = api.get("coordinator", "/api/v1/cases?q=smith").get_json()["cases"]
    assert listed == {
        "id": smith["id"], "reference": smith["reference"],
        "offender": {"name": "John Smith", "date_of_birth": None, "pnc_id": "2019/0012345A", "crn": "X123456",
                     "visor_reference": "VS12345"},
        "category": 1, "category_code": "M1", "level": None, "status": "referred", "lead_agency": "Probation",
        "next_review_due": None, "review_overdue": False, "exit_date": None, "area": "northshire",
        "links": {"self": f"/api/v1/cases/{smith['id']}"}, "critical": False,
    }


def test_status_filters_and_combines_with_q(api: Api) -> None:
    smith = _create(api)
    assert _found(api, "?q=smith&status=referred") == [smith["reference"]]
    assert _found(api, "?q=smith&status=exited") == []


def test_another_areas_cases_are_never_listed(api: Api) -> None:
    south = _create(api, "south_coordinator", area="southmoor", offender={"name": "Sean Southern", "crn": "X999999"})
    assert _found(api, "?q=X999999") == [] and _found(api, "") == []
    assert _found(api, "?q=x999999", "south_coordinator") == [south["reference"]]


def test_a_partner_agency_finds_only_the_cases_it_works_on(api: Api) -> None:
    yot_led = _create(api, lead_agency="Youth Offending Team", offender={"name": "Young Person", "crn": "X111111"})
    _create(api, offender={"name": "Adult Person", "crn": "X222222"})
    assert _found(api, "?q=person", "yot") == [yot_led["reference"]]
    assert _found(api, "?q=X222222", "yot") == []


def test_overlong_q_and_unknown_status_are_422_at_their_names(api: Api, users: dict[str, User]) -> None:
    _create(api)
    assert fields(api.get("coordinator", "/api/v1/cases?q=" + "x" * 101)) == ["q"]
    assert fields(api.get("coordinator", "/api/v1/cases?status=closed")) == ["status"]
    assert fields(api.get("coordinator", "/api/v1/cases?status=closed&q=" + "x" * 101)) == ["q", "status"]
    assert _found(api, "?q=" + "x" * 100) == []
    logged = db.session.scalars(select(AccessLog.detail).where(AccessLog.user_id == users["coordinator"].id,
                                                               AccessLog.event == "cases_searched")).all()
    assert logged == ["status=any; search matched 0"]  # the refused ones did not run


def test_the_list_needs_a_token_and_the_view_permission(api: Api) -> None:
    error_message(api.client.get("/api/v1/cases?q=smith"), 401)
    error_message(api.get("owner", "/api/v1/cases"), 403)
