"""The model API over HTTP: import, checks naming elements, publish (refused while an error stands), new cases on
the new version while old ones keep theirs, forms versioned with the model, drafts with If-Match, retire, list."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from services.db import db
from services.forms import FORMS_DIR
from services.models import AccessLog, ModelDraft, ProcessInstance, ProcessModel
from tests.api.conftest import Api, error_message, fields
from tests.lifecycle.test_lifecycle_api import open_case
from tests.platform.racing import RACERS, colleagues, race
from tests.studio.conftest import BPMN_DIR, REFERRAL, import_xml

BASE = "/api/v1/models/mappa_referral"
RENAMED = REFERRAL.replace('name="Check referral is complete"', 'name="Check the referral"')


def _referral_version(case_id: int) -> int:
    return db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case_id)
                             .order_by(ProcessInstance.id)).model.version


def _put(api: Api, draft: dict[str, Any], files: dict[str, str], etag: str | None = None) -> Any:
    headers = api.headers("owner") | {"If-Match": etag or draft["etag"]}
    return api.client.put(f"{BASE}/drafts/{draft['id']}", json={"files": files}, headers=headers)


def _events(name: str) -> list[str]:
    return list(db.session.scalars(select(AccessLog.detail).where(AccessLog.event == name).order_by(AccessLog.id)))


def _publish(api: Api, xml: str, extra: dict[str, str] | None = None) -> int:
    imported = import_xml(api, xml, key="mappa_referral", filename="referral.bpmn")
    assert imported.status_code == 201, imported.get_data(as_text=True)
    draft = imported.get_json()["draft"]
    if extra:
        assert _put(api, draft, draft["files"] | extra).status_code == 200
    published = api.post("owner", f"{BASE}/drafts/{draft['id']}/publish")
    assert published.status_code == 201, published.get_data(as_text=True)
    return int(published.get_json()["version"])


def test_new_cases_start_on_the_published_version_and_running_cases_keep_theirs(app: Flask, api: Api) -> None:
    old = open_case(app, api)
    assert [t["name"] for t in old.tasks("coordinator")] == ["Check referral is complete"]
    assert _publish(api, RENAMED) == 2
    new = open_case(app, api, offender={"name": "Nina New"})
    assert [t["name"] for t in new.tasks("coordinator")] == ["Check the referral"]
    assert [t["name"] for t in old.tasks("coordinator")] == ["Check referral is complete"]
    assert (_referral_version(old.case_id), _referral_version(new.case_id)) == (1, 2)
    [referral] = [m for m in api.get("manager", "/api/v1/models").get_json()["models"] if m["key"] == "mappa_referral"]
    assert [(v["version"], v["running_instances"], v["published_by"]) for v in referral["versions"]] == [
        (1, 1, "system"), (2, 1, "owner")]
    [published] = _events("model_published")
    assert published.startswith("mappa_referral version 2 from draft ")


def test_a_form_published_with_the_model_reaches_only_its_version(app: Flask, api: Api) -> None:
    old = open_case(app, api)
    form = json.loads((FORMS_DIR / "referral_check.json").read_text())
    form["properties"]["urgency"] = {"type": "string", "title": "How urgent is it?", "maxLength": 100}
    _publish(api, RENAMED, {"forms/referral_check.json": json.dumps(form)})
    new = open_case(app, api, offender={"name": "Nina New"})

    def form_fields(journey: Any) -> set[str]:
        [task] = journey.tasks("coordinator")
        return set(api.get("coordinator", f"/api/v1/tasks/{task['id']}").get_json()["form"]["schema"]["properties"])

    assert "urgency" in form_fields(new)
    assert "urgency" not in form_fields(old)
    files = api.get("coordinator", f"{BASE}/versions/2").get_json()["files"]
    assert json.loads(files["forms/referral_check.json"])["properties"]["urgency"]["title"] == "How urgent is it?"


def _broken(xml: str) -> str:
    """A lane no role holds, a form that does not exist, a gateway flow with no condition, a bad due rule."""
    return (xml.replace('name="MAPPA Coordinator"', 'name="Chief Wizard"')
            .replace('value="referral_amend"', 'value="no_such_form"')
            .replace('default="f_incomplete"', "")
            .replace('<spiffworkflow:property name="formKey" value="visor_record" />',
                     '<spiffworkflow:property name="formKey" value="visor_record" />'
                     '<spiffworkflow:property name="dueIn" value="soon" />'))


def test_failing_checks_name_their_elements_and_stop_publishing_until_fixed(api: Api) -> None:
    draft = import_xml(api, REFERRAL, key="mappa_referral", filename="referral.bpmn").get_json()["draft"]
    saved = _put(api, draft, draft["files"] | {"referral.bpmn": _broken(REFERRAL)})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    errors = {(c["element_id"], c["kind"]) for c in saved.get_json()["checks"] if c["severity"] == "error"}
    assert errors == {("check_referral", "lane"), ("screening_decision", "lane"), ("amend_referral", "form"),
                      ("f_incomplete", "gateway"), ("visor_record", "due")}
    refused = api.post("owner", f"{BASE}/drafts/{draft['id']}/publish")
    assert set(fields(refused)) == {"check_referral", "screening_decision", "amend_referral", "f_incomplete",
                                    "visor_record"}
    assert "Chief Wizard" in refused.get_json()["error"]["errors"][0]["message"]
    fixed = _put(api, draft, draft["files"] | {"referral.bpmn": RENAMED}, saved.headers["ETag"])
    assert [c for c in fixed.get_json()["checks"] if c["severity"] == "error"] == []
    assert api.post("owner", f"{BASE}/drafts/{draft['id']}/publish").status_code == 201
    assert api.post("owner", f"{BASE}/drafts/{draft['id']}/publish").status_code == 409  # published already


def test_unreachable_dead_end_timer_and_hook_problems_name_their_elements(api: Api) -> None:
    xml = (REFERRAL.replace('<bpmn:incoming>f_start</bpmn:incoming>', '', 1)  # suggest_level: no way in
           .replace('<spiffworkflow:property name="formKey" value="screening" />',
                    '<spiffworkflow:property name="formKey" value="screening" />'
                    '<spiffworkflow:property name="hook" value="launch_rockets" />'))
    xml = xml.replace('sourceRef="referral_submitted" targetRef="suggest_level"',
                      'sourceRef="referral_submitted" targetRef="check_referral"')
    draft = import_xml(api, REFERRAL, key="mappa_referral", filename="referral.bpmn").get_json()["draft"]
    checks = _put(api, draft, draft["files"] | {"referral.bpmn": xml}).get_json()["checks"]
    errors = {(c["element_id"], c["kind"]) for c in checks if c["severity"] == "error"}
    assert errors == {("suggest_level", "flow"), ("screening_decision", "hook")}


def test_a_script_importing_os_is_refused_naming_its_element_and_nothing_is_stored(api: Api) -> None:
    before = db.session.scalar(select(func.count()).select_from(ModelDraft))
    xml = REFERRAL.replace('<bpmn:script>status = "screening"</bpmn:script>',
                           '<bpmn:script>import os\nstatus = os.getcwd()</bpmn:script>')
    refused = import_xml(api, xml, key="mappa_referral", filename="referral.bpmn")
    assert fields(refused) == ["start_screening"]
    assert "import" in refused.get_json()["error"]["errors"][0]["message"]
    helper = REFERRAL.replace('<bpmn:script>status = "screening"</bpmn:script>',
                              '<bpmn:script>status = open("/etc/passwd")</bpmn:script>')
    assert fields(import_xml(api, helper, key="mappa_referral", filename="referral.bpmn")) == ["start_screening"]
    assert db.session.scalar(select(func.count()).select_from(ModelDraft)) == before


def test_a_stale_save_is_refused_with_the_current_draft(api: Api) -> None:
    draft = import_xml(api, REFERRAL, key="mappa_referral", filename="referral.bpmn").get_json()["draft"]
    assert _put(api, draft, draft["files"] | {"referral.bpmn": RENAMED}).status_code == 200
    stale = _put(api, draft, draft["files"])
    assert stale.status_code == 412
    assert stale.get_json()["current"]["files"]["referral.bpmn"] == RENAMED
    assert stale.headers["ETag"] == f'"d{draft["id"]}v1"'
    no_etag = api.client.put(f"{BASE}/drafts/{draft['id']}", json={"files": draft["files"]},
                             headers=api.headers("owner"))
    assert no_etag.status_code == 428
    assert len(_events("draft_saved")) == 1


def test_retired_version_starts_no_new_case_and_its_running_cases_carry_on(app: Flask, api: Api) -> None:
    _publish(api, RENAMED)
    on_two = open_case(app, api)
    retired = api.post("owner", f"{BASE}/versions/2/retire")
    assert retired.status_code == 200
    assert (retired.get_json()["status"], retired.get_json()["retired_by"]) == ("retired", "owner")
    after = open_case(app, api, offender={"name": "Nina New"})
    assert (_referral_version(on_two.case_id), _referral_version(after.case_id)) == (2, 1)
    assert [t["name"] for t in on_two.tasks("coordinator")] == ["Check the referral"]
    assert _events("model_retired") == ["mappa_referral version 2"]
    assert api.post("coordinator", f"{BASE}/versions/1/retire").status_code == 403
    last = api.post("owner", f"{BASE}/versions/1/retire")  # new referrals would have no version to start on
    assert last.status_code == 409 and "only version new cases can start on" in last.get_json()["error"]["message"]
    assert _referral_version(open_case(app, api, offender={"name": "Olga Older"}).case_id) == 1


def test_a_version_downloads_as_an_attachment_and_reads_with_its_checks(api: Api) -> None:
    download = api.get("coordinator", f"{BASE}/versions/1/files/referral.bpmn")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="mappa_referral-v1-referral.bpmn"'
    assert download.get_data(as_text=True) == REFERRAL
    version = api.get("coordinator", f"{BASE}/versions/1").get_json()
    assert [c for c in version["checks"] if c["severity"] == "error"] == []
    assert api.get("coordinator", f"{BASE}/versions/9").status_code == 404
    assert _events("model_exported") == ["mappa_referral version 1: referral.bpmn"]


def test_every_shipped_model_passes_the_checks_so_an_edit_of_it_can_be_published(api: Api) -> None:
    """Found in review: the CSODS model's panel decision takes its form from its hook (csods_decision), and the
    checks called it an error, so no edit of that model could ever be published."""
    from services.catalogue import SHIPPED

    for process_id in SHIPPED:
        version = api.get("coordinator", f"/api/v1/models/{process_id}/versions/1")
        assert version.status_code == 200, process_id
        assert [c["message"] for c in version.get_json()["checks"] if c["severity"] == "error"] == [], process_id


def test_timers_name_their_event_when_unquoted_invalid_or_calling_unknown_functions(api: Api) -> None:
    action = (BPMN_DIR / "action.bpmn").read_text()
    timer = "start_of_day(add_days(action_due, 1))"
    for text, says in (("P8W", 'quote a literal value ("P8W")'), ('"P8 weeks"', "not a valid ISO 8601 duration"),
                       ("sleep_until(action_due)", "calls sleep_until()")):
        xml = action.replace(f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">{timer}</bpmn:timeDate>',
                             f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{text}</bpmn:timeDuration>')
        draft = api.post("owner", "/api/v1/models/mappa_action/drafts").get_json()["draft"]
        saved = api.client.put(f"/api/v1/models/mappa_action/drafts/{draft['id']}",
                               json={"files": {"action.bpmn": xml}},
                               headers=api.headers("owner") | {"If-Match": draft["etag"]}).get_json()
        [found] = [c for c in saved["checks"] if c["severity"] == "error"]
        assert (found["element_id"], says in found["message"]) == ("action_overdue", True), found


def test_a_form_that_is_a_schema_but_not_an_object_is_refused_naming_it(api: Api) -> None:
    """Found in review: forms/<key>.json holding true (a valid JSON Schema) answered 500 on save."""
    imported = import_xml(api, REFERRAL, key="mappa_referral", filename="referral.bpmn")
    draft = imported.get_json()["draft"]
    for text in ("true", "[]", '{"type": "string"}'):
        saved = _put(api, draft, draft["files"] | {"forms/referral_check.json": text})
        assert saved.status_code == 200, (text, saved.get_data(as_text=True))
        draft = draft | {"etag": saved.headers["ETag"]}
        [refusal] = [c["message"] for c in saved.get_json()["checks"] if c["severity"] == "error"]
        assert refusal.startswith("forms/referral_check.json is not a "), refusal


VISOR = "/api/v1/models/mappa_visor_update"


def _annotated_draft(api: Api, username: str, note: str) -> dict[str, Any]:
    """A draft of the ViSOR update model from its latest version, with an annotation ``note`` added, saved."""
    draft = api.post(username, f"{VISOR}/drafts").get_json()["draft"]
    [name] = [n for n in draft["files"] if n.endswith(".bpmn")]
    xml = draft["files"][name].replace("</bpmn:process>", f'<bpmn:textAnnotation id="{note}"><bpmn:text>{note}'
                                                          "</bpmn:text></bpmn:textAnnotation></bpmn:process>", 1)
    saved = api.client.put(f"{VISOR}/drafts/{draft['id']}", json={"files": draft["files"] | {name: xml}},
                           headers=api.headers(username) | {"If-Match": draft["etag"]})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    return dict(draft)


def test_a_draft_of_an_older_version_does_not_undo_a_version_published_since(api: Api) -> None:
    """Found in review: drafts A and B from version 1, both published: version 3 (B) silently dropped A's change."""
    first, second = _annotated_draft(api, "owner", "note_A"), _annotated_draft(api, "owner", "note_B")
    assert api.post("owner", f"{VISOR}/drafts/{first['id']}/publish").status_code == 201
    refused = api.post("owner", f"{VISOR}/drafts/{second['id']}/publish")
    assert refused.status_code == 409
    assert error_message(refused, 409) == (
        "Version 2 of mappa_visor_update was published after this draft was started from version 1: publishing it "
        "would undo version 2's changes. Start a new draft from version 2 and make your change there")
    db.session.expire_all()
    latest = db.session.scalar(select(func.max(ProcessModel.version)).where(
        ProcessModel.process_id == "mappa_visor_update"))
    assert latest == 2


def test_owners_publishing_drafts_of_one_version_at_once_publish_one(app: Flask, api: Api) -> None:
    """Real parallel requests (tests.platform.racing; the race shows on PostgreSQL): one draft becomes the next
    version, the others are told a version was published since (409), never a 500 or a silent overwrite."""
    owners = colleagues(api.users, "owner", RACERS)
    drafts = [_annotated_draft(api, name, f"note_{n}") for n, name in enumerate(owners)]
    results = race([lambda name=name, draft=draft: api.post(name, f"{VISOR}/drafts/{draft['id']}/publish")
                    for name, draft in zip(owners, drafts, strict=True)])
    assert sorted(r.status_code for r in results) == [201] + [409] * (RACERS - 1), [r.status_code for r in results]
    db.session.expire_all()
    versions = db.session.scalars(select(ProcessModel.version).where(
        ProcessModel.process_id == "mappa_visor_update")).all()
    assert sorted(versions) == [1, 2]


def test_a_draft_whose_process_was_renamed_says_so_in_its_checks(api: Api) -> None:
    """Found in review: no check said anything, and only publishing failed (422, 'process ... was not found')."""
    draft = api.post("owner", "/api/v1/models/mappa_action/drafts").get_json()["draft"]
    renamed = draft["files"]["action.bpmn"].replace('<bpmn:process id="mappa_action"', '<bpmn:process id="my_action"')
    assert renamed != draft["files"]["action.bpmn"]
    saved = api.client.put(f"/api/v1/models/mappa_action/drafts/{draft['id']}",
                           json={"files": {"action.bpmn": renamed}},
                           headers=api.headers("owner") | {"If-Match": draft["etag"]})
    says = ("No process has the id 'mappa_action', which this model is published under: give its main process that "
            "id again (its cases are found by it)")
    assert [c["message"] for c in saved.get_json()["checks"] if c["severity"] == "error"] == [says]
    refused = api.post("owner", f"/api/v1/models/mappa_action/drafts/{draft['id']}/publish")
    assert refused.status_code == 422 and says in refused.get_data(as_text=True)
