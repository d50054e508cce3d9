"""Trial runs over HTTP: a process owner tries a draft on the real engine before publishing it. Not a case: no
MappaCase or inbox rows; only its starter sees it; a runaway script ends it in error instead of hanging."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from services.db import db
from services.instances import ENGINE
from services.models import AccessLog, CaseEvent, HumanTask, MappaCase
from tests.api.conftest import Api, fields
from tests.factories import make_user
from tests.studio.conftest import REFERRAL
from workflows.limits import ScriptLimits

BASE = "/api/v1/models/mappa_referral"
TELL_POLICE = """<bpmn:userTask id="tell_police" name="Tell the police">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="police_told" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_screen</bpmn:incoming><bpmn:outgoing>f_told</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f_told" sourceRef="tell_police" targetRef="screening_decision" />
    <bpmn:userTask id="screening_decision\""""
POLICE_TOLD = {"type": "object", "required": ["told_on"], "properties": {
    "told_on": {"type": "string", "format": "date", "title": "When were the police told?"}}}
# the referral model with a step added between "Start screening" and "Screening decision", and its form
WITH_STEP = (REFERRAL.replace('<bpmn:flowNodeRef>start_screening</bpmn:flowNodeRef>',
                              '<bpmn:flowNodeRef>start_screening</bpmn:flowNodeRef>'
                              '<bpmn:flowNodeRef>tell_police</bpmn:flowNodeRef>')
             .replace('<bpmn:userTask id="screening_decision"', TELL_POLICE)
             .replace('sourceRef="start_screening" targetRef="screening_decision"',
                      'sourceRef="start_screening" targetRef="tell_police"')
             .replace('<bpmn:incoming>f_screen</bpmn:incoming>\n      <bpmn:outgoing>f_decided</bpmn:outgoing>',
                      '<bpmn:incoming>f_told</bpmn:incoming>\n      <bpmn:outgoing>f_decided</bpmn:outgoing>'))
START = {"category": 2, "rosh": "high", "senior_resources_needed": False, "visor_reference": "",
         "level_requested": 2}


def _draft(api: Api, files: dict[str, str]) -> int:
    draft = api.post("owner", f"{BASE}/drafts").get_json()["draft"]
    saved = api.client.put(f"{BASE}/drafts/{draft['id']}", json={"files": draft["files"] | files},
                           headers=api.headers("owner") | {"If-Match": draft["etag"]})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    return int(draft["id"])


def _complete(api: Api, trial: dict[str, Any], bpmn_id: str, data: dict[str, Any], status: int = 200) -> Any:
    [task] = [t for t in trial["ready"] if t["bpmn_id"] == bpmn_id]
    done = api.post("owner", f"/api/v1/trials/{trial['trial']}/tasks/{task['id']}/complete", {"data": data})
    assert done.status_code == status, done.get_data(as_text=True)
    return done.get_json() if status == 200 else done


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_trial_of_a_draft_steps_through_its_new_step_to_the_end_and_creates_no_case(api: Api) -> None:
    draft_id = _draft(api, {"referral.bpmn": WITH_STEP, "forms/police_told.json": json.dumps(POLICE_TOLD)})
    before = (_count(MappaCase), _count(HumanTask), _count(CaseEvent))
    started = api.post("owner", f"{BASE}/drafts/{draft_id}/trials", {"data": START})
    assert started.status_code == 201, started.get_data(as_text=True)
    trial = started.get_json()
    assert (trial["status"], trial["path"]) == ("running", ["referral_submitted", "suggest_level"])
    assert [t["bpmn_id"] for t in trial["ready"]] == ["check_referral"]

    refused = _complete(api, trial, "check_referral", {"referral_complete": "perhaps"}, 422)
    assert fields(refused) == ["referral_complete"]
    trial = _complete(api, trial, "check_referral", {"referral_complete": "yes"})
    assert [t["bpmn_id"] for t in trial["ready"]] == ["tell_police"]  # the draft's new step, with the draft's form
    assert fields(_complete(api, trial, "tell_police", {}, 422)) == ["told_on"]
    trial = _complete(api, trial, "tell_police", {"told_on": "2026-11-25"})
    trial = _complete(api, trial, "screening_decision", {
        "screening_outcome": "accepted_level_2", "screening_rationale": "Level 2 fits", "confirmed_category": 2,
        "first_review_due": "2027-02-25"})
    trial = _complete(api, trial, "visor_record", {"visor_reference": "VR-1"})

    assert (trial["status"], trial["ready"], trial["error"]) == ("completed", [], None)
    assert trial["path"] == [
        "referral_submitted", "suggest_level", "check_referral", "referral_complete", "start_screening",
        "tell_police", "screening_decision", "record_screening", "mappa_managed", "visor_linked", "visor_record",
        "visor_merge", "screened"]  # the "Yes" branches of both gateways; not_managed never ran
    assert api.get("owner", f"/api/v1/trials/{trial['trial']}").get_json()["path"] == trial["path"]
    assert (_count(MappaCase), _count(HumanTask), _count(CaseEvent)) == before
    events = list(db.session.scalars(select(AccessLog.event).where(AccessLog.event.like("trial_%"))))
    assert events == ["trial_started", *["trial_task_completed"] * 4, "trial_viewed"]


def test_another_owners_trial_is_not_found_and_viewers_may_not_run_trials(api: Api) -> None:
    trial = api.post("owner", f"{BASE}/versions/1/trials", {"data": START}).get_json()
    api.users["second_owner"] = make_user("second_owner", {"process_owner"}, api.users["owner"].area)
    db.session.commit()
    assert api.get("second_owner", f"/api/v1/trials/{trial['trial']}").status_code == 404
    [task] = trial["ready"]
    url = f"/api/v1/trials/{trial['trial']}/tasks/{task['id']}/complete"
    assert api.post("second_owner", url, {"data": {"referral_complete": "yes"}}).status_code == 404
    assert api.post("second_owner", f"/api/v1/trials/{trial['trial']}/timers", {}).status_code == 404
    assert api.get("coordinator", f"/api/v1/trials/{trial['trial']}").status_code == 403
    assert api.get("owner", f"/api/v1/trials/{trial['trial']}").status_code == 200


def test_a_script_that_loops_forever_ends_the_trial_in_error_with_the_reason(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ENGINE.script_engine.environment, "limits", ScriptLimits(seconds=0.05))
    looping = REFERRAL.replace('<bpmn:script>status = "screening"</bpmn:script>',
                               '<bpmn:script>status = "screening"\nwhile True:\n    pass</bpmn:script>')
    trial = api.post("owner", f"{BASE}/drafts/{_draft(api, {'referral.bpmn': looping})}/trials",
                     {"data": START}).get_json()
    trial = _complete(api, trial, "check_referral", {"referral_complete": "yes"})
    assert (trial["status"], trial["ready"]) == ("error", [])
    assert trial["error"] == "the script ran for more than 0.05 s (time limit) in 'Start screening'"
    assert trial["path"][-2:] == ["check_referral", "referral_complete"]
    [task] = api.post("owner", f"{BASE}/versions/1/trials", {"data": START}).get_json()["ready"]  # others carry on
    assert task["bpmn_id"] == "check_referral"


def test_moving_time_fires_a_trials_timers(api: Api) -> None:
    trial = api.post("owner", "/api/v1/models/mappa_action/versions/1/trials", {"data": {
        "action_due": "2026-12-01", "action_owner_role": "police", "action_description": "Home visit"}})
    assert trial.status_code == 201, trial.get_data(as_text=True)
    body = trial.get_json()
    assert body["next_timer"] is not None
    moved = api.post("owner", f"/api/v1/trials/{body['trial']}/timers", {})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.get_json()["time"] > body["next_timer"]  # just past it: a timer fires once its instant has passed
    assert "action_overdue" in moved.get_json()["path"]
    back = api.post("owner", f"/api/v1/trials/{body['trial']}/timers", {"to": "2026-01-01T00:00:00Z"})
    assert fields(back) == ["to"]


@pytest.mark.parametrize(("limits", "script", "says"), [
    (ScriptLimits(max_memory=16 * 2**20), "\n".join(f"a{i} = list(range(10**5))" for i in range(30)),
     "the script used more than 16 MB (memory limit)"),  # no loop: checked after each statement
    (ScriptLimits(), "x = dict.fromkeys(range(10**5))",
     "the script left more than 1,048,576 bytes of data in its task (data limit), the largest value being 'x'"),
])
def test_a_straight_line_script_over_its_limits_ends_the_trial_in_error(
        api: Api, monkeypatch: pytest.MonkeyPatch, limits: ScriptLimits, script: str, says: str) -> None:
    monkeypatch.setattr(ENGINE.script_engine.environment, "limits", limits)
    heavy = REFERRAL.replace('<bpmn:script>status = "screening"</bpmn:script>',
                             f'<bpmn:script>status = "screening"\n{script}</bpmn:script>')
    trial = api.post("owner", f"{BASE}/drafts/{_draft(api, {'referral.bpmn': heavy})}/trials",
                     {"data": START}).get_json()
    trial = _complete(api, trial, "check_referral", {"referral_complete": "yes"})
    assert (trial["status"], trial["ready"], trial["error"]) == ("error", [], f"{says} in 'Start screening'")
