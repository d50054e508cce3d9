"""The lifecycle models driven through every path they have, over the HTTP API, as the right users.

Time moves with `flask mappa tick --now`, as it would in a demo; the review timer fires from the sweep.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.api.conftest import Api, referral


class Journey:
    def __init__(self, app: Flask, api: Api, case_id: int) -> None:
        self.app, self.api, self.case_id = app, api, case_id

    def tasks(self, username: str) -> list[dict[str, Any]]:
        response = self.api.get(username, f"/api/v1/tasks?case={self.case_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return list(response.get_json()["tasks"])

    def do(self, username: str, step: str, data: dict[str, Any]) -> dict[str, Any]:
        matching = [t for t in self.tasks(username) if t["name"] == step]
        assert matching, f"{username} has no '{step}' task; has {[t['name'] for t in self.tasks(username)]}"
        response = self.api.post(username, f"/api/v1/tasks/{matching[0]['id']}/complete", json={"data": data})
        assert response.status_code == 200, response.get_data(as_text=True)
        return dict(response.get_json())

    def case(self) -> dict[str, Any]:
        response = self.api.get("coordinator", f"/api/v1/cases/{self.case_id}")
        assert response.status_code == 200
        return dict(response.get_json())

    def tick(self, instant: str) -> str:
        result = self.app.test_cli_runner().invoke(args=["mappa", "tick", "--now", instant])
        assert result.exit_code == 0, result.output
        return result.output


def open_case(app: Flask, api: Api, username: str = "probation", **overrides: Any) -> Journey:
    response = api.post(username, "/api/v1/cases", json=referral(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    return Journey(app, api, response.get_json()["id"])


def screen(j: Journey, outcome: str, first_review_due: str | None = "2027-02-25") -> None:
    j.do("coordinator", "Check referral is complete", {"referral_complete": "yes"})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS12345"})
    data = {"screening_outcome": outcome, "screening_rationale": "Defensible rationale."}
    if first_review_due:
        data["first_review_due"] = first_review_due
    j.do("coordinator", "Screening decision", data)


def test_level1_reviews_then_referral_to_level3_then_meetings_then_exit(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    assert j.case()["status"] == "referred"
    # returned incomplete to the referrer, then resubmitted
    j.do("coordinator", "Check referral is complete", {"referral_complete": "no", "missing_information": "Victims"})
    assert [t["name"] for t in j.tasks("coordinator")] == []
    [amend] = [t for t in j.tasks("probation") if t["name"] == "Amend referral"]
    assert amend["assignee"] == "probation"
    j.do("probation", "Amend referral", {"referral_reason": "Now with victim issues.", "amendment_note": "Victims"})
    screen(j, "rejected_level_1")
    case = j.case()
    assert (case["status"], case["level"], case["next_review_due"]) == ("level 1", 1, "2027-02-25")
    assert case["visor_reference"] == "VS12345"

    # the review period waits: nothing to do until two weeks before the review is due
    assert j.tasks("probation") == []
    assert "Timers fired: 0" in j.tick("2027-02-10T12:00:00+00:00")
    assert "Timers fired: 1" in j.tick("2027-02-11T09:30:00+00:00")
    [review] = j.tasks("probation")
    assert (review["name"], review["due"], review["assignee"]) == ("Level 1 review", "2027-02-25", "probation")
    j.do("probation", "Level 1 review", {"review_outcome": "retain", "review_rationale": "Stable.",
                                         "next_review_date": "2027-05-25"})
    assert j.case()["next_review_due"] == "2027-05-25"

    j.tick("2027-05-11T10:00:00+00:00")
    j.do("probation", "Level 1 review", {"review_outcome": "refer_level_3", "review_rationale": "New intelligence."})
    assert j.case()["status"] == "referred"
    screen(j, "accepted_level_3", first_review_due="2027-06-01")
    assert (j.case()["status"], j.case()["level"]) == ("level 3", 3)

    j.tick("2027-05-18T09:00:00+00:00")
    j.do("chair", "MAPP meeting review", {"review_outcome": "level_2", "review_rationale": "Risk reduced.",
                                          "next_review_date": "2027-09-01"})
    assert (j.case()["level"], j.case()["status"], j.case()["next_review_due"]) == (2, "level 2", "2027-09-01")

    j.tick("2027-08-20T09:00:00+00:00")
    j.do("chair", "MAPP meeting review", {"review_outcome": "level_1", "review_rationale": "Step down.",
                                          "next_review_date": "2027-12-01"})
    assert j.case()["level"] == 1

    j.tick("2027-11-20T09:00:00+00:00")
    j.do("probation", "Level 1 review", {"review_outcome": "exit", "review_rationale": "Notification ended."})
    assert j.case()["status"] == "level 1"
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_reason": "notification_ended", "exit_date": "2027-11-25"})
    case = j.case()
    assert (case["status"], case["exit_date"]) == ("exited", "2027-11-25")
    assert case["open_tasks"] == []

    history = api.get("coordinator", f"/api/v1/cases/{j.case_id}/history").get_json()["events"]
    kinds = [e["kind"] for e in history]
    assert kinds.count("phase_started") == 8  # 2 referrals, 5 review periods, 1 exit
    assert kinds.count("timer_fired") == 5


def test_level2_meeting_then_exit_by_meeting_decision(app: Flask, api: Api) -> None:
    j = open_case(app, api, category=2)
    screen(j, "accepted_level_2", first_review_due="2027-01-20")
    j.tick("2027-01-06T10:00:00+00:00")
    [meeting] = j.tasks("chair")
    assert (meeting["name"], meeting["lane"], meeting["due"]) == ("MAPP meeting review", "MAPP Meeting Chair",
                                                                  "2027-01-20")
    j.do("chair", "MAPP meeting review", {"review_outcome": "level_3", "review_rationale": "Escalation.",
                                          "next_review_date": "2027-03-01"})
    assert j.case()["level"] == 3
    j.tick("2027-02-15T10:00:00+00:00")
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "Licence ends."})
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_reason": "licence_ended", "exit_date": "2027-02-20"})
    assert j.case()["status"] == "exited"


def test_category3_rejected_is_closed_not_managed(app: Flask, api: Api) -> None:
    j = open_case(app, api, category=3)
    screen(j, "not_mappa_managed", first_review_due=None)
    case = j.case()
    assert (case["status"], case["exit_reason"]) == ("not eligible", "Category 3 referral rejected - not MAPPA managed")
    assert case["open_tasks"] == [] and j.tasks("coordinator") == []


def test_review_not_held_by_its_due_date_is_overdue(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    screen(j, "accepted_level_2", first_review_due="2027-01-20")
    j.tick("2027-01-06T10:00:00+00:00")
    assert "tasks newly overdue: 1" in j.tick("2027-01-21T10:00:00+00:00")
    assert "tasks newly overdue: 0" in j.tick("2027-01-21T10:05:00+00:00")
