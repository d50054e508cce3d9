"""No MAPPA work lost or mis-set (issue 8): custody cases are met before release, one phase holds the level,
categories and levels stay valid, ViSOR work only for managed offenders, exits are endorsed, durations are settings.

Each test drives the real models over the HTTP API with the injected clock.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from services.db import db
from services.models import AreaSetting, CaseEvent, HumanTask, User
from tests.api.conftest import Api
from tests.lifecycle.test_lifecycle_api import Journey, identify, open_case, screen


def _kinds(j: Journey) -> list[str]:
    return [e.kind for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == j.case_id))]


def _refused(api: Api, username: str, task: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    response = api.post(username, f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 422, response.get_data(as_text=True)
    return {e["field"].removeprefix("data."): e["message"] for e in response.get_json()["error"]["errors"]}


def _schema(api: Api, username: str, task: dict[str, Any]) -> dict[str, Any]:
    return dict(api.get(username, f"/api/v1/tasks/{task['id']}").get_json()["form"]["schema"])


def test_custody_level2_is_referred_at_level_setting_and_met_before_release(app: Flask, api: Api) -> None:
    j = identify(app, api, username="prison", custody=True, release_date="2027-09-01", category=2,
                 licence_end="2029-09-01")
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 2,
                                                    "eligibility_facts": "GBH, 4 years."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS1"})
    # level setting is due six months before release and opens with 28 days' notice, not on the day it is due
    assert "Timers fired: 0" in j.tick("2027-01-31T10:00:00+00:00")
    assert "Timers fired: 1" in j.tick("2027-02-01T10:00:00+00:00")
    assert j.task("probation", "MAPPA level setting")["due"] == "2027-03-01"
    assert j.task("prison", "Prison information report")["due"] == "2027-03-01"
    j.do("prison", "Prison information report", {"custody_behaviour": "Poor.", "security_intelligence": "Threats."})
    j.do("probation", "MAPPA level setting", {"proposed_level": 2, "level_setting_rationale": "Threats to victim."})

    # the referral starts now, six months before release, not two weeks before it
    assert j.case()["status"] == "referred"
    check = j.task("coordinator", "Check referral is complete")
    assert check["due"] == "2027-02-08"  # five working days
    screen(j, "accepted_level_2", first_review_due="2027-02-26", visor=False)  # ViSOR already linked
    case = j.case()
    assert (case["status"], case["level"], case["next_review_due"]) == ("level 2", 2, "2027-02-26")
    assert case["next_review_due"] < "2027-09-01"

    # its first meeting is offered to the next Level 2 agenda before release
    meeting = api.post("administrator", "/api/v1/meetings", json={
        "level": 2, "starts_at": "2027-02-24T10:00:00+00:00", "chair": "chair", "venue": "HQ", "area": "northshire"})
    assert meeting.status_code == 201, meeting.get_data(as_text=True)
    built = api.post("administrator", f"/api/v1/meetings/{meeting.get_json()['id']}/agenda/build")
    assert built.status_code == 200, built.get_data(as_text=True)
    agenda = built.get_json()
    assert j.case_id in [item["case_id"] for item in agenda["agenda"]]

    # release changes nothing the MAPP meeting decided
    j.tick("2027-07-21T10:00:00+00:00")
    j.do("coordinator", "Decide on MAPPA J", {"mappa_j_required": False})
    j.tick("2027-08-18T10:00:00+00:00")
    j.do("coordinator", "Confirm risk management plan for release", {"rmp_in_place": "yes",
                                                                    "licence_conditions": "Residence at AP."})
    assert (j.case()["status"], j.case()["level"]) == ("level 2", 2)


def test_first_meeting_of_a_custody_referral_must_be_before_release(app: Flask, api: Api) -> None:
    j = open_case(app, api, custody=True, release_date="2026-12-10", category=2)
    j.do("coordinator", "Check referral is complete", {"referral_complete": "yes"})
    task = j.task("coordinator", "Screening decision")
    assert "before the release date" in _schema(api, "coordinator", task)["properties"]["first_review_due"][
        "description"]
    errors = _refused(api, "coordinator", task, {"screening_outcome": "accepted_level_2",
                                                 "screening_rationale": "r", "first_review_due": "2026-12-15"})
    assert "before the release date" in errors["first_review_due"] and "9 December 2026" in errors["first_review_due"]
    j.do("coordinator", "Screening decision", {"screening_outcome": "accepted_level_2", "screening_rationale": "r",
                                               "first_review_due": "2026-12-09"})
    assert j.case()["next_review_due"] == "2026-12-09"


def test_a_referred_custody_case_keeps_the_meetings_level_at_release(app: Flask, api: Api) -> None:
    j = open_case(app, api, custody=True, release_date="2027-09-01", category=2, level_requested=3,
                  level3_reason="Senior police resources.")
    screen(j, "accepted_level_3", first_review_due="2026-12-18")
    assert (j.case()["status"], j.case()["level"]) == ("level 3", 3)
    j.tick("2027-02-02T10:00:00+00:00")
    for name in ("MAPP meeting review",):  # the chair holds the review while custody plans release
        assert name in j.names("chair")
    j.do("prison", "Prison information report", {"custody_behaviour": "Good.", "security_intelligence": "None."})
    j.do("probation", "MAPPA level setting", {"proposed_level": 1, "level_setting_rationale": "Engaging."})
    j.tick("2027-07-21T10:00:00+00:00")
    j.do("coordinator", "Decide on MAPPA J", {"mappa_j_required": False})
    j.tick("2027-08-18T10:00:00+00:00")
    j.do("coordinator", "Confirm risk management plan for release", {"rmp_in_place": "yes",
                                                                    "licence_conditions": "AP."})
    case = j.case()
    assert (case["status"], case["level"]) == ("level 3", 3)  # custody's release step did not overwrite it
    assert "level_proposal_withheld" in _kinds(j)
    assert "MAPP meeting review" in j.names("chair")


def test_category3_is_never_level1(app: Flask, api: Api) -> None:
    # identified as Category 3: referred for Level 2/3 screening, not started at Level 1
    j = identify(app, api, category=3)
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 3,
                                                    "eligibility_facts": "Previous serious assault."})
    case = j.case()
    assert (case["status"], case["level"], case["category"]) == ("referred", None, 3)
    j.do("coordinator", "Check referral is complete", {"referral_complete": "yes"})
    task = j.task("coordinator", "Screening decision")
    outcome = _schema(api, "coordinator", task)
    # the published schema says what the server requires: Level 1 is not an answer for this case
    refused = [rule["then"]["properties"]["screening_outcome"]["not"]["enum"] for rule in outcome["allOf"][1:]
               if "not" in rule["if"]]
    assert refused == [["rejected_level_1"]]
    errors = _refused(api, "coordinator", task, {"screening_outcome": "rejected_level_1", "screening_rationale": "r",
                                                 "first_review_due": "2026-12-18"})
    assert errors["screening_outcome"] == "Category 3 offenders are managed at Level 2 or 3 only"
    # confirming category 2 at screening makes Level 1 possible and the category is the case's from then on
    j.do("coordinator", "Screening decision", {"confirmed_category": 2, "screening_outcome": "rejected_level_1",
                                               "screening_rationale": "Category 2 on review of the sentence.",
                                               "first_review_due": "2027-02-01"})
    case = j.case()
    assert (case["category"], case["level"], case["status"]) == (2, 1, "level 1")


def test_not_mappa_managed_is_for_category3_only_and_leaves_no_visor_work(app: Flask, api: Api) -> None:
    j = open_case(app, api, category=1)
    j.do("coordinator", "Check referral is complete", {"referral_complete": "yes"})
    task = j.task("coordinator", "Screening decision")
    errors = _refused(api, "coordinator", task, {"screening_outcome": "not_mappa_managed", "screening_rationale": "r"})
    assert errors["screening_outcome"] == "Only a Category 3 referral can be rejected as not MAPPA managed"

    cat3 = open_case(app, api, category=3, offender={"name": "Ann Other"})
    cat3.do("coordinator", "Check referral is complete", {"referral_complete": "yes"})
    cat3.do("coordinator", "Screening decision", {"screening_outcome": "not_mappa_managed",
                                                  "screening_rationale": "Risk does not need Level 2."})
    assert cat3.case()["status"] == "not eligible"
    assert cat3.names("police") == []  # no ViSOR record is created for an offender MAPPA does not manage


def test_category3_custody_level_setting_cannot_choose_level1(app: Flask, api: Api) -> None:
    j = identify(app, api, username="prison", custody=True, release_date="2027-09-01", category=2)
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 2,
                                                    "eligibility_facts": "Robbery."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS3"})
    db.session.execute(db.text("UPDATE mappa_case SET category = 3, level = NULL WHERE id = :id"), {"id": j.case_id})
    db.session.commit()
    j.tick("2027-02-02T10:00:00+00:00")
    task = j.task("probation", "MAPPA level setting")
    assert _schema(api, "probation", task)["properties"]["proposed_level"]["enum"] == [2, 3]
    errors = _refused(api, "probation", task, {"proposed_level": 1, "level_setting_rationale": "r"})
    assert errors["proposed_level"] == "Category 3 offenders are managed at Level 2 or 3 only"


def test_level1_exit_needs_the_managers_endorsement(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    screen(j, "rejected_level_1", first_review_due="2027-02-25")
    j.tick("2027-02-11T09:30:00+00:00")
    j.do("probation", "Level 1 review", {"review_outcome": "exit", "review_rationale": "Risk reduced."})
    assert j.case()["status"] == "level 1"
    assert "Confirm exit from MAPPA" not in j.names("coordinator")
    j.do("manager", "Endorse Level 1 review", {"endorsement": "endorsed"})
    assert "Confirm exit from MAPPA" in j.names("coordinator")


def test_durations_are_the_areas_settings(app: Flask, api: Api) -> None:
    area_id = db.session.scalars(select(User.area_id).where(User.username == "coordinator")).one()
    for key, value in (("check_referral_working_days", 2), ("screening_working_days", 3), ("visor_record_days", 1)):
        db.session.add(AreaSetting(area_id=area_id, key=key, value=str(value)))
    db.session.commit()
    j = open_case(app, api)
    assert j.task("coordinator", "Check referral is complete")["due"] == "2026-11-27"  # 2 working days
    j.do("coordinator", "Check referral is complete", {"referral_complete": "yes"})
    assert j.task("coordinator", "Screening decision")["due"] == "2026-11-30"  # 3 working days
    j.do("coordinator", "Screening decision", {"screening_outcome": "accepted_level_2", "screening_rationale": "r",
                                               "first_review_due": "2026-12-18"})
    assert j.task("police", "Create or link ViSOR record")["due"] == "2026-11-26"  # 1 day


def test_category1_exit_before_notification_ends_needs_a_reason(app: Flask, api: Api) -> None:
    j = open_case(app, api, category=1, notification_end="2030-01-01", level_requested=2)
    screen(j, "accepted_level_2", first_review_due="2026-12-18")
    j.post("police", "early-review", {"reason": "risk_change", "detail": "Risk has fallen."})
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "Level 1 not needed."})
    task = j.task("coordinator", "Confirm exit from MAPPA")
    errors = _refused(api, "coordinator", task, {"exit_decision": "exit", "exit_reason": "notification_ended",
                                                 "exit_date": "2026-11-25"})
    assert "1 January 2030" in errors["exit_reason"] and "1 January 2030" in errors["early_exit_reason"]
    assert j.case()["status"] == "level 2"
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "deceased",
                                                    "exit_date": "2026-11-25",
                                                    "early_exit_reason": "Death certificate seen."})
    assert j.case()["status"] == "exited"


def test_indefinite_notification_is_reviewed_at_15_years_and_may_continue(app: Flask, api: Api) -> None:
    j = identify(app, api, category=1, sentence_date="2011-12-01", notification_indefinite=True)
    assert j.case()["notification_review_due"] == "2026-12-01"  # 15 years after notification started
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 1,
                                                    "eligibility_facts": "Indefinite notification."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS15"})
    assert "Timers fired: 1" in j.tick("2026-12-01T10:00:00+00:00")  # the review point, before the Level 1 review
    task = j.task("coordinator", "Confirm exit from MAPPA")
    assert j.context("coordinator", "Confirm exit from MAPPA")["exit_reason_suggested"] == "notification_review"
    errors = _refused(api, "coordinator", task, {"exit_decision": "continue", "next_review_date": "2027-03-01",
                                                 "continue_reason": "Police review: notification continues."})
    assert "next_notification_review" in errors
    j.do("coordinator", "Confirm exit from MAPPA", {
        "exit_decision": "continue", "next_review_date": "2027-03-01", "next_notification_review": "2034-12-01",
        "continue_reason": "Police review: notification continues."})
    case = j.case()
    assert (case["status"], case["next_review_due"], case["notification_review_due"]) == (
        "level 1", "2027-03-01", "2034-12-01")
    assert "Timers fired: 1" in j.tick("2027-02-15T10:00:00+00:00")  # the next Level 1 review, not exit again
    assert "Level 1 review" in j.names("probation")


def test_juvenile_indefinite_notification_is_reviewed_at_8_years(app: Flask, api: Api) -> None:
    j = identify(app, api, category=1, sentence_date="2020-06-01", notification_indefinite=True,
                 offender={"name": "Young Person", "date_of_birth": "2004-01-01"})
    assert j.case()["notification_review_due"] == "2028-06-01"


def test_indefinite_notification_is_for_category1_only(app: Flask, api: Api) -> None:
    from tests.api.conftest import referral

    body = referral(category=2, notification_indefinite=True)
    response = api.post("probation", "/api/v1/cases", json=body)
    assert response.status_code == 422 and "notification_indefinite" in response.get_data(as_text=True)


def test_management_continuing_after_the_licence_ends_records_the_new_end_and_is_not_proposed_exit_again(
        app: Flask, api: Api) -> None:
    """Found in review: continuing a Category 2 case at its licence end (the licence was extended) kept the old end
    date, so the next review period proposed the exit again at once and management could never continue."""
    j = identify(app, api, category=2, licence_end="2027-01-20")
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 2,
                                                    "eligibility_facts": "GBH, 2 years."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS20"})
    assert "Timers fired: 1" in j.tick("2027-01-20T10:00:00+00:00")  # the licence end, before the Level 1 review
    task = j.task("coordinator", "Confirm exit from MAPPA")
    continuing = {"exit_decision": "continue", "next_review_date": "2027-04-20",
                  "continue_reason": "Licence extended by six months on recall."}
    errors = _refused(api, "coordinator", task, continuing)
    assert "20 January 2027" in errors["new_end_date"]
    assert "new_end_date" in _refused(api, "coordinator", task, continuing | {"new_end_date": "2027-01-19"})
    j.do("coordinator", "Confirm exit from MAPPA", continuing | {"new_end_date": "2027-07-20"})
    case = j.case()
    assert (case["status"], case["licence_end"], case["next_review_due"]) == ("level 1", "2027-07-20", "2027-04-20")
    assert "Confirm exit from MAPPA" not in j.names("coordinator")  # not proposed again the same moment
    assert "Timers fired: 1" in j.tick("2027-04-06T10:00:00+00:00")  # the next Level 1 review
    assert "Level 1 review" in j.names("probation")
    assert "Timers fired: 0" in j.tick("2027-04-06T10:05:00+00:00")


def test_an_indefinite_notification_continues_to_a_later_review_point(app: Flask, api: Api) -> None:
    """Found in review: a next notification review on or before today was accepted, and the next review period
    proposed the exit again at once."""
    j = identify(app, api, category=1, sentence_date="2011-12-01", notification_indefinite=True)
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 1,
                                                    "eligibility_facts": "Indefinite notification."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS15"})
    j.tick("2026-12-01T10:00:00+00:00")
    task = j.task("coordinator", "Confirm exit from MAPPA")
    errors = _refused(api, "coordinator", task, {
        "exit_decision": "continue", "next_review_date": "2027-03-01", "next_notification_review": "2026-12-01",
        "continue_reason": "Police review: notification continues."})
    assert "next_notification_review" in errors
    assert "Confirm exit from MAPPA" in j.names("coordinator")


def test_a_case_that_has_left_mappa_starts_no_new_work(app: Flask, api: Api) -> None:
    """Found in review: the coordinator could transfer an exited case (the receiving area's re-screening put it back
    at a level, exit reason and date still set) and agree an action on it (an open task on a closed case)."""
    j = open_case(app, api, category=3)
    screen(j, "accepted_level_2")
    j.tick("2026-12-04T10:00:00+00:00")
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "Risk reduced."})
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "meeting_decision",
                                                    "exit_date": "2026-12-04"})
    before = j.case()
    assert "closed (exited)" in j.post("coordinator", "transfer", {"to_area": "southmoor", "reason": "Moved."},
                                       status=409)["error"]["message"]
    assert "closed (exited)" in j.post("coordinator", "actions", {"description": "Home visit", "owner_role": "police",
                                                                  "due": "2026-12-20"}, status=409)["error"]["message"]
    after = j.case()
    assert (after["area"], after["status"], after["level"]) == (before["area"], "exited", before["level"])
    assert [t["name"] for t in after["open_tasks"]] == ["Update ViSOR"]
    assert j.names("south_coordinator") == [] and j.names("police") == []


def test_the_exit_reason_fits_the_category(app: Flask, api: Api) -> None:
    """Found in review: a Category 3 case could be exited as 'Notification period ended (category 1)' or 'Licence or
    hospital order ended (category 2)'; only a Category 1 case leaves at the end of notification, a Category 2 case at
    the end of its licence or order (MAPPA.md section 2)."""
    j = open_case(app, api, category=3)
    screen(j, "accepted_level_2")
    j.tick("2026-12-04T10:00:00+00:00")
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "Risk reduced."})
    task = j.task("coordinator", "Confirm exit from MAPPA")
    offered = _schema(api, "coordinator", task)["properties"]["exit_reason"]["enum"]
    assert offered == ["meeting_decision", "deceased", "other"]
    for reason in ("notification_ended", "notification_discharged", "licence_ended"):
        errors = _refused(api, "coordinator", task, {"exit_decision": "exit", "exit_reason": reason,
                                                     "exit_date": "2026-12-04"})
        assert "Category 3" in errors["exit_reason"]
    assert j.case()["status"] == "level 2"
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "meeting_decision",
                                                    "exit_date": "2026-12-04"})
    assert j.case()["status"] == "exited"


def test_a_category2_case_does_not_exit_as_end_of_notification(app: Flask, api: Api) -> None:
    j = identify(app, api, category=2, licence_end="2027-01-20")
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 2,
                                                    "eligibility_facts": "GBH, 2 years."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS20"})
    j.tick("2027-01-20T10:00:00+00:00")
    task = j.task("coordinator", "Confirm exit from MAPPA")
    assert "notification_ended" not in _schema(api, "coordinator", task)["properties"]["exit_reason"]["enum"]
    errors = _refused(api, "coordinator", task, {"exit_decision": "exit", "exit_reason": "notification_ended",
                                                 "exit_date": "2027-01-20"})
    assert "exit_reason" in errors
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "licence_ended",
                                                    "exit_date": "2027-01-20"})
    assert j.case()["status"] == "exited"


def test_an_exit_is_not_dated_in_the_future(app: Flask, api: Api) -> None:
    """Found in review: an exit dated years ahead was accepted, and the case read 'exited' from today with an exit
    date in 2031 (counted as exited at the 31 March before it had left)."""
    j = open_case(app, api, category=3)
    screen(j, "accepted_level_2")
    j.tick("2026-12-04T10:00:00+00:00")
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "Risk reduced."})
    task = j.task("coordinator", "Confirm exit from MAPPA")
    errors = _refused(api, "coordinator", task, {"exit_decision": "exit", "exit_reason": "meeting_decision",
                                                 "exit_date": "2031-12-04"})
    assert "exit_date" in errors
    assert j.case()["status"] == "level 2"
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "meeting_decision",
                                                    "exit_date": "2026-12-04"})
    assert (j.case()["status"], j.case()["exit_date"]) == ("exited", "2026-12-04")


def test_a_level1_review_is_not_endorsed_by_the_officer_who_wrote_it(app: Flask, api: Api,
                                                                      users: dict[str, User]) -> None:
    """Found in review: a senior probation officer who holds cases (offender manager and manager roles) could endorse
    their own Level 1 review, so the 'SPO endorsed' outcome had no management oversight at all."""
    from tests.factories import make_user

    users["spo"] = make_user("spo", {"offender_manager", "manager"}, users["probation"].area)
    db.session.commit()
    j = open_case(app, api, username="spo")
    screen(j, "rejected_level_1", first_review_due="2027-02-25")
    j.tick("2027-02-11T09:30:00+00:00")
    j.do("spo", "Level 1 review", {"review_outcome": "retain_endorsed", "review_rationale": "Stable.",
                                   "next_review_date": "2027-05-11"})
    endorsement = j.task("spo", "Endorse Level 1 review")
    refused = api.post("spo", f"/api/v1/tasks/{endorsement['id']}/complete", json={"data": {"endorsement": "endorsed"}})
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert "another manager" in refused.get_json()["error"]["message"]
    assert j.case()["next_review_due"] == "2027-02-25"  # nothing recorded
    j.do("manager", "Endorse Level 1 review", {"endorsement": "endorsed"})
    assert j.case()["next_review_due"] == "2027-05-11"


def test_an_offender_released_from_custody_is_no_longer_in_custody(app: Flask, api: Api) -> None:
    """Found in review: the case of a released offender still read 'in custody' for ever after, so its release date
    could still be changed, and its meetings invited the prison and asked it for research."""
    j = identify(app, api, username="prison", custody=True, release_date="2027-06-01", category=2,
                 licence_end="2029-09-01")
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 2,
                                                    "eligibility_facts": "GBH, 4 years."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS1"})
    j.tick("2026-12-01T10:00:00+00:00")
    j.do("probation", "MAPPA level setting", {"proposed_level": 1, "level_setting_rationale": "Engaging well."})
    j.do("prison", "Prison information report", {"custody_behaviour": "Good.", "security_intelligence": "None."})
    j.tick("2027-04-10T10:00:00+00:00")
    j.do("coordinator", "Decide on MAPPA J", {"mappa_j_required": False})
    j.tick("2027-05-25T10:00:00+00:00")
    j.do("coordinator", "Confirm risk management plan for release", {"rmp_in_place": "yes",
                                                                    "licence_conditions": "Residence at AP."})
    case = j.case()
    assert (case["status"], case["custody"], case["next_review_due"]) == ("level 1", True, "2027-09-01")
    assert "Timers fired: 1" in j.tick("2027-06-01T10:00:00+00:00")  # the release date
    case = j.case()
    assert (case["status"], case["level"], case["custody"]) == ("level 1", 1, False)
    refused = api.post("prison", f"/api/v1/cases/{j.case_id}/release-date",
                       json={"release_date": "2027-12-01", "reason": "Typo."})
    assert refused.status_code == 422 and "not in custody" in refused.get_data(as_text=True)
    assert "Timers fired: 1" in j.tick("2027-08-18T10:00:00+00:00")  # the first Level 1 review, as before
    assert "Level 1 review" in j.names("probation")


def test_a_transfer_before_the_visor_record_leaves_the_receiving_areas_police_to_create_it(app: Flask,
                                                                                          api: Api) -> None:
    """Found in review: a case transferred while its 'Create or link ViSOR record' step was open lost the step (the
    referral was cancelled) and nobody was ever asked again: the case went on with no ViSOR record."""
    j = open_case(app, api)
    screen(j, "accepted_level_2", visor=False)
    j.post("coordinator", "transfer", {"to_area": "southmoor", "reason": "Moved to approved premises in Southmoor."})
    j.do("south_coordinator", "Re-screen transferred case", {
        "rescreen_level": 2, "rescreen_rationale": "Still needs Level 2.", "first_review_due": "2026-12-10"})
    case = j.case("south_coordinator")
    assert (case["status"], case["level"], case["next_review_due"]) == ("level 2", 2, "2026-12-10")
    [visor] = [t for t in case["open_tasks"] if t["name"] == "Create or link ViSOR record"]
    assert (visor["role"], visor["due"]) == ("police", "2026-11-28")
    db.session.expire_all()
    assert db.session.scalars(select(User.area_id).where(User.username == "south_coordinator")).one() == \
        db.session.scalars(select(HumanTask.area_id).where(HumanTask.id == visor["id"])).one()
    assert j.names("police") == []  # not the sending area's police
    assert "Timers fired: 1" in j.tick("2026-11-26T10:00:00+00:00")  # the review period runs meanwhile


def test_a_transfer_of_a_case_with_a_visor_record_asks_for_none(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    screen(j, "accepted_level_2")
    j.post("coordinator", "transfer", {"to_area": "southmoor", "reason": "Moved."})
    j.do("south_coordinator", "Re-screen transferred case", {
        "rescreen_level": 2, "rescreen_rationale": "Still needs Level 2.", "first_review_due": "2026-12-10"})
    assert "Create or link ViSOR record" not in [t["name"] for t in j.case("south_coordinator")["open_tasks"]]


def test_a_level2_case_continuing_at_its_licence_end_is_reviewed_within_the_level_maximum(app: Flask,
                                                                                           api: Api) -> None:
    """Found in review: management of a Level 2 case continuing at its exit date took any next review date (a year
    ahead was accepted), past the Level 2 maximum that the MAPP meeting's own review is held to (16 weeks)."""
    j = open_case(app, api, category=2, licence_end="2026-12-01")
    screen(j, "accepted_level_2", first_review_due="2026-12-18")
    assert "Timers fired: 1" in j.tick("2026-12-01T10:00:00+00:00")  # the licence end comes first
    task = j.task("coordinator", "Confirm exit from MAPPA")
    continuing = {"exit_decision": "continue", "new_end_date": "2027-12-01",
                  "continue_reason": "Licence extended on recall."}
    errors = _refused(api, "coordinator", task, continuing | {"next_review_date": "2027-11-01"})
    assert "16 weeks" in errors["next_review_date"] and "23 March 2027" in errors["next_review_date"]
    j.do("coordinator", "Confirm exit from MAPPA", continuing | {"next_review_date": "2027-03-01"})
    case = j.case()
    assert (case["status"], case["level"], case["next_review_due"]) == ("level 2", 2, "2027-03-01")
