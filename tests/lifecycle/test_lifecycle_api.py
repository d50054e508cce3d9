"""The MAPPA lifecycle driven through every path of the shipped models, over the HTTP API, as the right users.

Time moves as it would in a demo: `flask mappa tick --now` runs the sweep (timers fire) and the app's clock
follows, so validation and due dates are worked out as of that day.
"""

from __future__ import annotations

from datetime import datetime
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

    def names(self, username: str) -> list[str]:
        return [t["name"] for t in self.tasks(username)]

    def task(self, username: str, step: str) -> dict[str, Any]:
        matching = [t for t in self.tasks(username) if t["name"] == step]
        assert matching, f"{username} has no '{step}' task; has {self.names(username)}"
        return matching[0]

    def do(self, username: str, step: str, data: dict[str, Any]) -> dict[str, Any]:
        task = self.task(username, step)
        response = self.api.post(username, f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
        assert response.status_code == 200, response.get_data(as_text=True)
        return dict(response.get_json())

    def context(self, username: str, step: str) -> dict[str, Any]:
        task = self.task(username, step)
        return dict(self.api.get(username, f"/api/v1/tasks/{task['id']}").get_json().get("context") or {})

    def case(self, username: str = "coordinator") -> dict[str, Any]:
        response = self.api.get(username, f"/api/v1/cases/{self.case_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return dict(response.get_json())

    def post(self, username: str, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        response = self.api.post(username, f"/api/v1/cases/{self.case_id}/{path}", json=body)
        assert response.status_code == status, response.get_data(as_text=True)
        return dict(response.get_json())

    def tick(self, instant: str) -> str:
        self.app.extensions["mappa.clock"].set(datetime.fromisoformat(instant))
        result = self.app.test_cli_runner().invoke(args=["mappa", "tick", "--now", instant])
        assert result.exit_code == 0, result.output
        return result.output


def open_case(app: Flask, api: Api, username: str = "probation", **overrides: Any) -> Journey:
    response = api.post(username, "/api/v1/cases", json=referral(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    return Journey(app, api, response.get_json()["id"])


def identify(app: Flask, api: Api, username: str = "probation", **overrides: Any) -> Journey:
    """An offender MAPPA eligible by offence and sentence (no referral for Level 2/3)."""
    body = referral(route="identification", **({"sentence_date": "2026-11-23"} | overrides))
    for key in ("referral_reason", "rosh", "level_requested"):
        body.pop(key, None)
    response = api.post(username, "/api/v1/cases", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return Journey(app, api, response.get_json()["id"])


def screen(j: Journey, outcome: str, first_review_due: str | None = "2026-12-18", visor: bool = True) -> None:
    j.do("coordinator", "Check referral is complete", {"referral_complete": "yes"})
    data = {"screening_outcome": outcome, "screening_rationale": "Defensible rationale."}
    if first_review_due:
        data["first_review_due"] = first_review_due
    j.do("coordinator", "Screening decision", data)
    if visor:
        j.do("police", "Create or link ViSOR record", {"visor_reference": "VS12345"})


def test_community_level1_case_two_reviews_then_exit_at_end_of_notification(app: Flask, api: Api) -> None:
    j = identify(app, api, notification_end="2027-09-30")
    assert j.case()["status"] == "identified"
    assert j.task("probation", "Confirm MAPPA eligibility")["due"] == "2026-11-26"  # 3 days after sentence
    assert j.names("police") == []  # no ViSOR work until eligibility is confirmed
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 1,
                                                    "eligibility_facts": "SOA 2003 notification, 3 years."})
    assert j.task("police", "Create or link ViSOR record")["due"] == "2026-11-26"
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS777"})
    case = j.case()
    assert (case["status"], case["level"], case["next_review_due"]) == ("level 1", 1, "2027-02-25")

    assert "Timers fired: 0" in j.tick("2027-02-10T12:00:00+00:00")
    assert "Timers fired: 1" in j.tick("2027-02-11T09:30:00+00:00")
    review = j.task("probation", "Level 1 review")
    assert (review["due"], review["assignee"]) == ("2027-02-25", "probation")
    j.do("probation", "Level 1 review", {"review_outcome": "retain_no_oversight", "review_rationale": "Stable.",
                                         "next_review_date": "2027-05-25"})
    assert j.case()["next_review_due"] == "2027-05-25"

    j.tick("2027-05-11T10:00:00+00:00")
    j.do("probation", "Level 1 review", {"review_outcome": "retain_endorsed", "review_rationale": "Stable.",
                                         "next_review_date": "2027-10-25"})
    assert j.case()["next_review_due"] == "2027-05-25"  # not until the manager endorses it
    j.do("manager", "Endorse Level 1 review", {"endorsement": "returned", "endorsement_comment": "Check housing."})
    j.do("probation", "Level 1 review", {"review_outcome": "retain_endorsed", "review_rationale": "Housing checked.",
                                         "next_review_date": "2027-10-25"})
    j.do("manager", "Endorse Level 1 review", {"endorsement": "endorsed"})
    assert j.case()["next_review_due"] == "2027-10-25"

    # the notification period ends before the next review: exit is proposed on that day
    assert "Timers fired: 1" in j.tick("2027-09-30T10:00:00+00:00")
    assert j.context("coordinator", "Confirm exit from MAPPA")["exit_reason_suggested"] == "notification_ended"
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "notification_ended",
                                                    "exit_date": "2027-09-30"})
    case = j.case()
    assert (case["status"], case["exit_date"]) == ("exited", "2027-09-30")
    assert [t["name"] for t in case["open_tasks"]] == ["Update ViSOR"]  # the only work left: tell ViSOR of the exit


def test_referral_returned_then_level3_step_down_early_review_exit_by_meeting(app: Flask, api: Api) -> None:
    j = open_case(app, api, level_requested=3, rosh="very_high", senior_resources_needed=True,
                  level3_reason="Needs police superintendent authority for surveillance.")
    j.do("coordinator", "Check referral is complete", {"referral_complete": "no", "missing_information": "Victims"})
    assert j.names("coordinator") == []
    amend = j.task("probation", "Amend referral")
    assert amend["assignee"] == "probation"
    j.do("probation", "Amend referral", {"referral_reason": "Now with victim issues.", "amendment_note": "Victims"})
    j.do("coordinator", "Check referral is complete", {"referral_complete": "yes"})
    context = j.context("coordinator", "Screening decision")
    assert (context["suggested_level"], context["level_requested"]) == (3, 3)
    j.do("coordinator", "Screening decision", {
        "screening_outcome": "accepted_level_3", "screening_rationale": "Critical few.",
        "first_review_due": "2026-12-18"})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS12345"})
    assert (j.case()["status"], j.case()["level"], j.case()["visor_reference"]) == ("level 3", 3, "VS12345")

    j.tick("2026-12-04T10:00:00+00:00")
    meeting = j.task("chair", "MAPP meeting review")
    assert (meeting["lane"], meeting["due"]) == ("MAPP Meeting Chair", "2026-12-18")
    too_late = api.post("chair", f"/api/v1/tasks/{meeting['id']}/complete", json={"data": {
        "review_outcome": "level_2", "review_rationale": "Risk reduced.", "next_review_date": "2027-06-01"}})
    assert too_late.status_code == 422 and "16 weeks" in too_late.get_data(as_text=True)
    j.do("chair", "MAPP meeting review", {"review_outcome": "level_2", "review_rationale": "Risk reduced.",
                                          "next_review_date": "2027-03-01"})
    assert (j.case()["level"], j.case()["status"]) == (2, "level 2")

    j.tick("2027-01-11T10:00:00+00:00")
    j.post("police", "early-review", {"reason": "arrest", "detail": "Arrested for breach of SHPO."})
    early = j.task("chair", "MAPP meeting review")
    assert early["due"] == "2027-01-18"  # five working days
    assert j.context("chair", "MAPP meeting review")["early_review_reason"] == "Arrest or charge"
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "Recalled to custody."})
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "meeting_decision",
                                                    "exit_date": "2027-01-11"})
    assert j.case()["status"] == "exited"
    kinds = [e["kind"] for e in api.get("coordinator", f"/api/v1/cases/{j.case_id}/history").get_json()["events"]]
    assert "early_review_requested" in kinds


def test_custody_case_whose_release_date_moves(app: Flask, api: Api) -> None:
    j = identify(app, api, username="prison", custody=True, release_date="2027-09-01", category=2,
                 licence_end="2029-09-01")
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 2,
                                                    "eligibility_facts": "GBH, 4 years."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS1"})
    assert j.case()["status"] == "identified"
    j.tick("2026-12-01T10:00:00+00:00")
    j.post("prison", "release-date", {"release_date": "2027-12-01", "reason": "Parole board deferral."})
    assert "Timers fired: 0" in j.tick("2027-03-02T10:00:00+00:00")  # six months before the old date: nothing
    # level setting opens with the area's notice (28 days) before it is due six months before release
    assert "Timers fired: 0" in j.tick("2027-05-03T10:00:00+00:00")
    assert "Timers fired: 1" in j.tick("2027-05-04T10:00:00+00:00")
    assert j.task("probation", "MAPPA level setting")["due"] == "2027-06-01"
    assert j.task("prison", "Prison information report")["due"] == "2027-06-01"
    j.do("probation", "MAPPA level setting", {"proposed_level": 1, "level_setting_rationale": "Engaging well."})
    j.do("prison", "Prison information report", {"custody_behaviour": "Good.", "security_intelligence": "None."})
    # a second move keeps the work done and re-plans what is still to come
    j.post("prison", "release-date", {"release_date": "2027-12-15", "reason": "Release date recalculated."})
    assert "Timers fired: 0" in j.tick("2027-10-05T10:00:00+00:00")  # 28 days before six weeks before release
    assert "Timers fired: 1" in j.tick("2027-10-06T10:00:00+00:00")
    assert j.task("coordinator", "Decide on MAPPA J")["due"] == "2027-11-03"
    j.tick("2027-11-03T10:00:00+00:00")
    j.do("coordinator", "Decide on MAPPA J", {"mappa_j_required": True, "mappa_j_restrictions": "Exclusion zone.",
                                              "mappa_j_sent_on": "2027-11-03"})
    j.tick("2027-12-01T10:00:00+00:00")
    assert j.task("coordinator", "Confirm risk management plan for release")["due"] == "2027-12-15"
    j.do("coordinator", "Confirm risk management plan for release", {"rmp_in_place": "yes",
                                                                    "licence_conditions": "Residence at AP."})
    case = j.case()
    assert (case["status"], case["level"], case["next_review_due"]) == ("level 1", 1, "2028-03-15")
    assert "Level 1 review" not in j.names("probation")


def test_category3_rejected_is_closed_not_managed(app: Flask, api: Api) -> None:
    j = open_case(app, api, category=3, offender={"name": "Ann Other", "visor_reference": "VS9"})
    screen(j, "not_mappa_managed", first_review_due=None, visor=False)  # ViSOR record already linked
    case = j.case()
    assert (case["status"], case["exit_reason"]) == ("not eligible", "Category 3 referral rejected - not MAPPA managed")
    assert case["open_tasks"] == [] and j.names("coordinator") == []


def test_not_mappa_eligible_is_recorded_with_reason(app: Flask, api: Api) -> None:
    j = identify(app, api, category=2)  # a sentence under 12 months: not Category 2
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "no",
                                                    "not_eligible_reason": "Sentence under 12 months"})
    assert j.names("police") == []  # no ViSOR work for an offender who is not eligible
    case = j.case()
    assert case["status"] == "not eligible" and "Sentence under 12 months" in case["exit_reason"]


def test_level1_review_refers_to_level2_through_a_new_referral(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    screen(j, "rejected_level_1", first_review_due="2027-02-25")
    j.tick("2027-02-11T09:30:00+00:00")
    j.do("probation", "Level 1 review", {"review_outcome": "refer_level_2", "review_rationale": "New intelligence."})
    j.do("manager", "Endorse Level 1 review", {"endorsement": "endorsed"})
    assert j.case()["status"] == "referred"
    screen(j, "accepted_level_2", first_review_due="2027-03-01", visor=False)  # ViSOR already linked: no task
    assert j.case()["level"] == 2


def test_transfer_to_southmoor_moves_the_case_between_inboxes(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    screen(j, "accepted_level_2")
    j.post("coordinator", "transfer", {"to_area": "southmoor", "reason": "Moved to approved premises in Southmoor."})
    assert api.get("coordinator", f"/api/v1/cases/{j.case_id}").status_code == 404
    assert api.get("coordinator", f"/api/v1/tasks?case={j.case_id}").get_json()["tasks"] == []
    rescreen = j.task("south_coordinator", "Re-screen transferred case")
    assert rescreen["name"] == "Re-screen transferred case"
    j.do("south_coordinator", "Re-screen transferred case", {
        "rescreen_level": 3, "rescreen_rationale": "Local media interest.", "first_review_due": "2026-12-10"})
    case = j.case("south_coordinator")
    assert (case["area"], case["level"], case["status"]) == ("southmoor", 3, "level 3")
    history = api.get("south_coordinator", f"/api/v1/cases/{j.case_id}/history").get_json()["events"]
    assert any(e["kind"] == "referral_submitted" for e in history)  # the history travelled with the case


def test_agreed_action_escalates_to_coordinator_and_chair_when_overdue(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    screen(j, "accepted_level_2")
    j.post("coordinator", "actions", {"description": "Home visit with police", "owner_role": "housing",
                                      "due": "2026-12-01"}, status=201)
    action = j.task("housing", "Complete agreed action")
    assert (action["due"], action["role"]) == ("2026-12-01", "housing")
    assert "Timers fired: 1" in j.tick("2026-12-02T10:00:00+00:00")
    j.do("coordinator", "Chase overdue action", {"escalation_note": "Phoned housing manager."})
    j.do("chair", "Overdue action for the chair", {"escalation_note": "Plan unchanged."})
    j.do("housing", "Complete agreed action", {"action_outcome": "done", "action_note": "Visited."})
    assert "Complete agreed action" not in j.names("housing")


def test_review_not_held_by_its_due_date_is_overdue(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    screen(j, "accepted_level_2", first_review_due="2026-12-18")
    j.tick("2026-12-04T10:00:00+00:00")
    assert "tasks newly overdue: 1" in j.tick("2026-12-19T10:00:00+00:00")
    assert "tasks newly overdue: 0" in j.tick("2026-12-19T10:05:00+00:00")
    [task] = j.case()["open_tasks"]
    assert (task["name"], task["overdue"]) == ("MAPP meeting review", True)
    overdue = api.get("chair", "/api/v1/tasks?due=overdue").get_json()["tasks"]
    assert [t["case_id"] for t in overdue] == [j.case_id]


def test_exit_ends_open_actions_and_custody_planning(app: Flask, api: Api) -> None:
    j = open_case(app, api, custody=True, release_date="2027-09-01", category=3)
    screen(j, "accepted_level_2")
    j.post("coordinator", "actions", {"description": "Victim safety visit", "owner_role": "police",
                                      "due": "2026-12-20"}, status=201)
    assert "Complete agreed action" in j.names("police")
    j.tick("2026-12-04T10:00:00+00:00")
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "Risk reduced."})
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "meeting_decision",
                                                    "exit_date": "2026-12-04"})
    assert j.case()["status"] == "exited"
    assert j.names("police") == []
    assert [t["name"] for t in j.case()["open_tasks"]] == ["Update ViSOR"]  # the exit is for ViSOR (issue 14 item 4)
    assert "Timers fired: 0" in j.tick("2027-03-02T10:00:00+00:00")  # custody timers cancelled too
    kinds = [e["kind"] for e in api.get("coordinator", f"/api/v1/cases/{j.case_id}/history").get_json()["events"]]
    assert kinds.count("phase_cancelled") == 2
