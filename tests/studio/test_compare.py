"""GET /api/v1/models/<key>/compare: what changed between two versions of a model, element by element."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from services.studio.compare import FORMS_DIR, compare
from tests.api.conftest import Api, error_message, fields
from tests.studio.versions import REFERRAL, check_removed, publish_version, renamed_and_added, shipped_files

URL = f"/api/v1/models/{REFERRAL}/compare"


def _changes(body: dict[str, Any]) -> list[tuple[str, str, str, str, list[str]]]:
    return [(e["id"], e["type"], e["name"], e["change"], e["details"]) for e in body["elements"]]


def test_a_renamed_task_and_a_new_task_are_listed_exactly(app: Flask, api: Api) -> None:
    publish_version(renamed_and_added())
    response = api.get("owner", f"{URL}?from=1&to=2")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert _changes(body) == [
        ("check_referral", "userTask", "Check the referral is complete", "changed",
         ["name: 'Check referral is complete' -> 'Check the referral is complete'"]),
        ("f_screen", "sequenceFlow", "", "changed", ["to: 'Screening decision' -> 'Plan the screening'"]),
        ("screening_decision", "userTask", "Screening decision", "changed",
         ["incoming flows: 'f_screen' -> 'f_planned'"]),
        ("f_planned", "sequenceFlow", "", "added", ["from: 'Plan the screening'", "to: 'Screening decision'"]),
        ("plan_screening", "userTask", "Plan the screening", "added",
         ["lane: 'MAPPA Coordinator'", "form: 'escalation'", "due rule: '2WD'", "incoming flows: 'f_screen'",
          "outgoing flows: 'f_planned'"]),
    ]
    # the new task's form is one this model did not use before
    assert body["forms"] == [{"id": "escalation", "type": "form", "name": "Overdue action", "change": "added",
                              "details": []}]
    # the other way round, the same changes read as removals
    back = api.get("coordinator", f"{URL}?from=2&to=1").get_json()
    assert [(e["id"], e["change"]) for e in back["elements"] if e["change"] != "changed"] == [
        ("f_planned", "removed"), ("plan_screening", "removed")]


def test_a_removed_task_and_its_flows(app: Flask, api: Api) -> None:
    publish_version(check_removed())
    body = api.get("manager", f"{URL}?from=1&to=2").get_json()
    assert [(e["id"], e["change"]) for e in body["elements"] if e["change"] == "removed"] == [
        ("check_referral", "removed"), ("f_checked", "removed")]
    flows = {e["id"]: e["details"] for e in body["elements"] if e["type"] == "sequenceFlow"}
    assert flows["f_to_check"] == ["to: 'Check referral is complete' -> 'Referral complete?'"]
    assert body["forms"][0]["id"] == "referral_check" and body["forms"][0]["change"] == "removed"


def test_form_fields_added_removed_and_changed() -> None:
    """A version's own form file is compared with the shipped form the other version's task names."""
    old = shipped_files()
    form = json.loads((FORMS_DIR / "referral_check.json").read_text())
    form["properties"]["referral_complete"]["title"] = "Can the referral be screened?"
    del form["properties"]["missing_information"]
    form["properties"]["checked_with"] = {"type": "string", "title": "Checked with"}
    form["required"].append("checked_with")
    new = old | {"forms/referral_check.json": json.dumps(form).encode()}
    [change] = compare(REFERRAL, old, new).forms
    assert change.as_json() == {
        "id": "referral_check", "type": "form", "name": "Check referral is complete", "change": "changed",
        "details": ["required: '[\"referral_complete\"]' -> '[\"referral_complete\", \"checked_with\"]'"],
        "fields": [
            {"id": "referral_complete", "type": "field", "name": "Can the referral be screened?", "change": "changed",
             "details": ["title: 'Is the referral complete enough to screen?' -> 'Can the referral be screened?'"]},
            {"id": "missing_information", "type": "field", "name": "What is missing", "change": "removed",
             "details": []},
            {"id": "checked_with", "type": "field", "name": "Checked with", "change": "added", "details": []},
        ]}


def test_a_draft_with_a_changed_form_compared_with_its_version(app: Flask, api: Api) -> None:
    created = api.post("owner", f"/api/v1/models/{REFERRAL}/drafts", json={"from_version": 1})
    assert created.status_code == 201, created.get_data(as_text=True)
    draft = created.get_json()["draft"]
    form = json.loads((FORMS_DIR / "referral_check.json").read_text())
    form["properties"]["missing_information"]["description"] = "Sent to the referrer."
    files = draft["files"] | {"forms/referral_check.json": json.dumps(form),
                              "referral.bpmn": draft["files"]["referral.bpmn"].replace(
                                  'value="level_requested,referral_reason,level3_reason,rosh"',
                                  'value="level_requested,referral_reason,rosh"')}
    saved = api.client.put(f"/api/v1/models/{REFERRAL}/drafts/{draft['id']}", json={"files": files},
                           headers=api.headers("owner") | {"If-Match": draft["etag"]})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    body = api.get("manager", f"{URL}?from=1&draft={draft['id']}").get_json()
    assert _changes(body) == [("check_referral", "userTask", "Check referral is complete", "changed", [
        "data shown: 'level_requested,referral_reason,level3_reason,rosh' -> 'level_requested,referral_reason,rosh'"])]
    assert body["forms"] == [{"id": "referral_check", "type": "form", "name": "Check referral is complete",
                              "change": "changed", "details": [], "fields": [
                                  {"id": "missing_information", "type": "field", "name": "What is missing",
                                   "change": "changed", "details": [
                                       "description: 'The referrer sees this when the referral is returned.' -> "
                                       "'Sent to the referrer.'"]}]}]
    assert fields(api.get("owner", f"{URL}?from=1&draft={draft['id']}&to=2")) == ["to"]
    assert "no draft" in error_message(api.get("owner", f"{URL}?from=1&draft=999"), 404)


def test_bad_comparisons_are_named(app: Flask, api: Api) -> None:
    publish_version(renamed_and_added())
    assert fields(api.get("owner", URL)) == ["from", "to"]
    assert fields(api.get("owner", f"{URL}?from=1&to=x")) == ["to"]
    assert fields(api.get("owner", f"{URL}?from=1&to=9")) == ["to"]
    assert "no process model" in error_message(api.get("owner", "/api/v1/models/nothing/compare?from=1&to=2"), 404)
    assert api.get("probation", f"{URL}?from=1&to=2").status_code == 403
