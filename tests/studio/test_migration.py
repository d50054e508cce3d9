"""POST /api/v1/instances/migrate: preview, then move running instances to another version of their model."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from services.db import db
from services.models import AccessLog, CaseEvent, HumanTask, ProcessInstance
from tests.api.conftest import Api, fields
from tests.lifecycle.test_lifecycle_api import Journey, identify, open_case
from tests.studio.versions import REFERRAL, check_removed, publish_version, renamed_and_added, review_renamed

URL = "/api/v1/instances/migrate"
CHECK, CHECK_RENAMED = "Check referral is complete", "Check the referral is complete"


def _instance(j: Journey, phase: str = "referral") -> ProcessInstance:
    db.session.expire_all()
    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == j.case_id,
                                                            ProcessInstance.phase == phase)).one()


def _migrate(api: Api, status: int = 200, **body: Any) -> dict[str, Any]:
    response = api.post("owner", URL, json={"model": REFERRAL, "from": 1, "to": 2} | body)
    assert response.status_code == status, response.get_data(as_text=True)
    return dict(response.get_json())


def _waiting(instance: ProcessInstance, frm: tuple[str, str], to: tuple[str, str] | None) -> dict[str, Any]:
    task = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                      HumanTask.state == "ready")).one()
    return {"task": task.task_uuid, "state": "ready", "from": {"id": frm[0], "name": frm[1]},
            "to": {"id": to[0], "name": to[1]} if to else None}


def test_preview_then_migrate_one_case_which_continues_on_the_new_version(app: Flask, api: Api) -> None:
    first, second = open_case(app, api), open_case(app, api, offender={"name": "Peter Other"})
    publish_version(renamed_and_added())
    one, other = _instance(first), _instance(second)
    one_version, other_version = one.version, other.version
    task_before = first.task("coordinator", CHECK)

    preview = _migrate(api, dry_run=True, instance=one.id)
    assert preview["plan"] == [{"instance": one.id, "case": first.case_id, "ok": True, "reason": None, "waiting": [
        _waiting(one, ("check_referral", CHECK), ("check_referral", CHECK_RENAMED))]}]
    every = _migrate(api, dry_run=True)
    assert [(p["instance"], p["ok"]) for p in every["plan"]] == [(one.id, True), (other.id, True)]
    assert (_instance(first).model.version, _instance(first).version) == (1, one_version)  # a preview moves nothing

    done = _migrate(api, dry_run=False, instance=one.id)
    assert done["plan"] == preview["plan"]
    moved, untouched = _instance(first), _instance(second)
    assert (moved.model.version, moved.version) == (2, one_version + 1)
    assert (untouched.model.version, untouched.version) == (1, other_version)
    task = first.task("coordinator", CHECK_RENAMED)  # the same task, under its new name
    assert (task["id"], task["due"]) == (task_before["id"], task_before["due"])
    assert second.names("coordinator") == [CHECK]
    [event] = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == first.case_id,
                                                         CaseEvent.kind == "instance_migrated"))
    assert event.summary == f"Referral and screening moved from version 1 to version 2: '{CHECK}' -> '{CHECK_RENAMED}'"
    assert event.actor.username == "owner"
    history = api.get("coordinator", f"/api/v1/cases/{first.case_id}/history").get_json()["events"]
    assert "instance_migrated" in [e["kind"] for e in history]
    assert db.session.scalars(select(AccessLog.detail).where(AccessLog.event == "instances_migrated")).all() == [
        f"{REFERRAL} v1 -> v2: instance {one.id}"]

    # the case goes on through the new version's task and finishes its referral
    first.do("coordinator", CHECK_RENAMED, {"referral_complete": "yes"})
    assert first.names("coordinator") == ["Plan the screening"]
    first.do("coordinator", "Plan the screening", {"escalation_note": "Screen at Thursday's meeting."})
    first.do("coordinator", "Screening decision", {
        "screening_outcome": "accepted_level_2", "screening_rationale": "High risk.", "first_review_due": "2026-12-18"})
    first.do("police", "Create or link ViSOR record", {"visor_reference": "VS12345"})
    assert _instance(first).status == "completed"
    assert first.case()["level"] == 2


def test_migrating_all_moves_every_running_instance(app: Flask, api: Api) -> None:
    cases = [open_case(app, api), open_case(app, api, offender={"name": "Peter Other"})]
    publish_version(renamed_and_added())
    done = _migrate(api, dry_run=False)
    assert [p["ok"] for p in done["plan"]] == [True, True]
    assert [_instance(j).model.version for j in cases] == [2, 2]
    assert [j.names("coordinator") for j in cases] == [[CHECK_RENAMED], [CHECK_RENAMED]]
    assert _migrate(api, dry_run=True)["plan"] == []  # nothing runs on version 1 any more


def test_a_review_waiting_for_its_timer_moves_and_the_timer_still_fires(app: Flask, api: Api) -> None:
    j = identify(app, api, notification_end="2027-09-30")
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 1,
                                                    "eligibility_facts": "SOA 2003 notification, 3 years."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS777"})
    review = _instance(j, "review")
    timer_at = review.next_timer_at
    publish_version(review_renamed(), "mappa_review")
    body = {"model": "mappa_review", "from": 1, "to": 2, "instance": review.id}
    [plan] = _migrate(api, dry_run=False, **body)["plan"]
    # the event-based gateway waits (for the review date or an early review request) and stays itself
    assert [(w["from"]["id"], w["state"], w["to"]["id"]) for w in plan["waiting"]] == [
        ("wait_for_review", "waiting", "wait_for_review")]
    moved = _instance(j, "review")
    assert (moved.model.version, moved.next_timer_at) == (2, timer_at)  # the review date still wakes it

    assert "Timers fired: 1" in j.tick("2027-02-11T09:30:00+00:00")
    j.do("probation", "Lead agency review (Level 1)", {
        "review_outcome": "retain_no_oversight", "review_rationale": "Stable.", "next_review_date": "2027-05-25"})
    assert j.case()["next_review_due"] == "2027-05-25"


def test_a_waiting_task_that_would_vanish_refuses_the_migration_and_changes_nothing(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    publish_version(check_removed())
    before = _instance(j)
    state, version, tasks = before.state, before.version, j.tasks("coordinator")
    reason = f"waiting task '{CHECK}' (check_referral) does not exist in version 2"

    preview = _migrate(api, dry_run=True)
    assert [(p["ok"], p["reason"]) for p in preview["plan"]] == [(False, reason)]
    assert preview["plan"][0]["waiting"][0]["to"] is None

    refused = _migrate(api, 409, dry_run=False)
    assert refused["error"]["reasons"] == [f"instance {before.id}: {reason}"]
    assert "check_referral" in refused["error"]["message"]
    after = _instance(j)
    assert (after.model.version, after.version, after.state) == (1, version, state)
    assert j.tasks("coordinator") == tasks
    assert db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "instance_migrated")).all() == []
    assert db.session.scalars(select(AccessLog.event).where(AccessLog.event.like("instances_migrat%"))).all() == [
        "instances_migration_refused"]
    j.do("coordinator", CHECK, {"referral_complete": "yes"})  # the case goes on, on version 1


def test_bad_requests_are_named(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    publish_version(renamed_and_added())
    assert fields(api.post("owner", URL, json={})) == ["model", "from", "to", "dry_run"]
    assert fields(api.post("owner", URL, json={"model": REFERRAL, "from": 1, "to": 1, "dry_run": True})) == ["to"]
    assert fields(api.post("owner", URL, json={"model": REFERRAL, "from": 1, "to": 7, "dry_run": True})) == ["to"]
    assert fields(api.post("owner", URL, json={"model": "nothing", "from": 1, "to": 2, "dry_run": True})) == ["model"]
    assert fields(api.post("owner", URL, json={"model": REFERRAL, "from": 2, "to": 1, "dry_run": "no"})) == [
        "dry_run"]
    assert fields(api.post("owner", URL, json={"model": REFERRAL, "from": 2, "to": 1, "dry_run": True,
                                               "instance": _instance(j).id})) == ["instance"]
    assert api.post("coordinator", URL, json={"model": REFERRAL, "from": 1, "to": 2, "dry_run": True}
                    ).status_code == 403
