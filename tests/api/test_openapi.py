"""/api/v1/openapi.json: public, describes every API rule in the URL map, and real responses match it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from app.api import bp
from tests.api.conftest import Api, referral
from tests.meetings.test_meeting_cycle import level2_case
from tests.studio.conftest import BPMN_DIR
from tests.studio.versions import REFERRAL, check_removed, publish_version, renamed_and_added

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
DOC_URI = "urn:mappa-flow:openapi"


def _doc_path(rule: str) -> str:
    """/api/v1/cases/<int:case_id> -> /cases/{case_id} (paths are relative to the server URL)."""
    assert bp.url_prefix is not None
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(bp.url_prefix))


def _api_rules(app: Flask) -> dict[tuple[str, str], str]:
    """(document path, method) -> endpoint for every rule under the API prefix."""
    operations = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(f"{bp.url_prefix}/"):
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                operations[(_doc_path(rule.rule), method.lower())] = rule.endpoint
    return operations


@pytest.fixture
def doc(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")  # no token: the description is public
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document: dict[str, Any] = response.get_json()
    return document


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item if method in HTTP_METHODS}


def test_document_is_openapi_3_1_with_bearer_auth(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": bp.url_prefix}]
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "An API token (mf_...)"}
    assert doc["security"] == [{"bearerAuth": []}]
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        assert schema.get("type") == "object", name


def test_every_api_rule_is_documented_and_nothing_else(app: Flask, doc: dict[str, Any]) -> None:
    rules = _api_rules(app)
    assert len(rules) >= 9
    assert set(rules) == _documented(doc)


def test_path_parameters_match_the_rules(doc: dict[str, Any]) -> None:
    for path, item in doc["paths"].items():
        for method in HTTP_METHODS & set(item):
            declared = {p["name"] for p in item[method].get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{([^}]+)}", path)), (path, method)


def test_security_matches_the_route_guards(app: Flask, doc: dict[str, Any]) -> None:
    for (path, method), endpoint in _api_rules(app).items():
        operation = doc["paths"][path][method]
        public = app.view_functions[endpoint]._mappa_guard == "public"
        assert (operation.get("security") == []) is public, (path, method)
        if not public:
            assert {"401", "403"} <= set(operation["responses"]), (path, method)


class Contract:
    """Validates real responses against the schema the document gives for that operation and status."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.registry: Registry[Any] = Registry().with_resource(DOC_URI, Resource(doc, DRAFT202012))
        self.checked: set[tuple[str, str, str]] = set()

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            _, *parts = node["$ref"].split("/")
            node = self.doc
            for part in parts:
                node = node[part]
        return node

    def check(self, response: TestResponse, path: str, method: str) -> Any:
        status = str(response.status_code)
        responses = self.doc["paths"][path][method]["responses"]
        assert status in responses, f"{method.upper()} {path} answered {status}, which is not documented"
        content = self._resolve(responses[status])["content"]
        if response.mimetype != "application/json":  # a document (PDF, calendar): only its media type is declared
            assert response.mimetype in content, f"{method.upper()} {path} {status}: {response.mimetype}"
            self.checked.add((path, method, status))
            return response.data
        schema = content["application/json"]["schema"]
        root = {"$ref": DOC_URI + schema["$ref"]} if "$ref" in schema else schema
        validator = Draft202012Validator(root, registry=self.registry, format_checker=FormatChecker())
        body = response.get_json()
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, f"{method.upper()} {path} {status}: {errors}"
        self.checked.add((path, method, status))
        return body


def _check_case_actions(contract: Contract, api: Api, case_id: int) -> None:
    """The lifecycle actions on a case under screening, then the area settings."""
    base, doc_base = f"/api/v1/cases/{case_id}", "/cases/{case_id}"
    review = {"reason": "breach", "detail": "Breached a licence condition."}
    contract.check(api.post("coordinator", f"{base}/early-review", json=review), f"{doc_base}/early-review", "post")
    dated = {"release_date": "2027-05-01", "reason": "Parole board"}
    contract.check(api.post("coordinator", f"{base}/release-date", json=dated), f"{doc_base}/release-date", "post")
    moved = {"address": "4 Elm Road, Northtown NT1 4AB", "moved_on": "2026-11-24", "reason": "Left the hostel"}
    contract.check(api.post("coordinator", f"{base}/address", json=moved), f"{doc_base}/address", "post")
    contract.check(api.post("coordinator", f"{base}/address", json={**moved, "moved_on": "2027-01-01"}),
                   f"{doc_base}/address", "post")
    lead = {"lead_agency": "Police", "lead_officer": "police", "reason": "Registration"}
    contract.check(api.post("coordinator", f"{base}/lead", json=lead), f"{doc_base}/lead", "post")
    action = {"description": "Home visit", "owner_role": "police", "due": "2026-12-10"}
    contract.check(api.post("coordinator", f"{base}/actions", json=action), f"{doc_base}/actions", "post")
    outcome = {"kind": "returned_to_custody", "on": "2026-11-01", "reason": "licence_breach"}
    contract.check(api.post("coordinator", f"{base}/outcomes", json=outcome), f"{doc_base}/outcomes", "post")
    rso = {"case_id": case_id, "kind": "requirement", "trigger": "conviction", "occurred_on": "2026-11-24",
           "disposal": "caution", "under_18": "no", "rosh": "high"}
    for body in (rso, {"case_id": case_id, "kind": "requirement"}, rso):  # 201, 422, 409 (already recorded)
        contract.check(api.post("police", "/api/v1/notifications/rso", json=body), "/notifications/rso", "post")
    for fmt in ("json", "csv", "xlsx", "pdf"):
        contract.check(api.get("manager", f"/api/v1/statistics/annual?year_ending=2026-03-31&format={fmt}"),
                       "/statistics/annual", "get")
    charge = {"offence": "murder", "charged_on": "2026-11-20", "details": "Charged with murder."}
    contract.check(api.post("coordinator", f"{base}/sfo", json=charge), f"{doc_base}/sfo", "post")
    contract.check(api.post("coordinator", f"{base}/sfo", json={}), f"{doc_base}/sfo", "post")
    not_disclosed = {"decision": "not_disclose", "reason_not_disclosed": "Managed by his licence conditions."}
    for who, body in (("coordinator", not_disclosed), ("coordinator", {"decision": "disclose"}),
                      ("housing", not_disclosed)):  # 201, 422, 403
        contract.check(api.post(who, f"{base}/disclosures", json=body), f"{doc_base}/disclosures", "post")
    contract.check(api.get("coordinator", f"{base}/disclosures"), f"{doc_base}/disclosures", "get")
    contract.check(api.get("police", "/api/v1/area/agencies"), "/area/agencies", "get")
    for query in ("2027-03-31", "2027-04-01"):  # 200, 422 (a year ends on 31 March)
        contract.check(api.get("lay_adviser", f"/api/v1/smb/pack?year_ending={query}"), "/smb/pack", "get")
    moved = {"to_area": "southmoor", "reason": "Moved"}
    contract.check(api.post("coordinator", f"{base}/transfer", json=moved), f"{doc_base}/transfer", "post")
    contract.check(api.get("probation", "/api/v1/settings"), "/settings", "get")
    change = {"settings": {"level2_review_weeks": 12}}
    put = api.client.put("/api/v1/settings", json=change, headers=api.headers("coordinator"))
    contract.check(put, "/settings", "put")


def _check_meetings(contract: Contract, api: Api) -> None:
    """Schedule a meeting, build its agenda from a due case, write minutes (stale and missing If-Match too)."""
    level2_case(api.users, "Adam Ashby", "2026-12-14")
    body = {"area": "northshire", "level": 2, "starts_at": "2026-12-10T10:00:00+00:00", "chair": "chair",
            "venue": "Northshire HQ"}
    meeting = contract.check(api.post("administrator", "/api/v1/meetings", json=body), "/meetings", "post")
    contract.check(api.post("administrator", "/api/v1/meetings", json=body | {"area": "x"}), "/meetings", "post")
    contract.check(api.get("coordinator", "/api/v1/meetings?from=2026-12-01&to=2026-12-31"), "/meetings", "get")
    base, doc_base = f"/api/v1/meetings/{meeting['id']}", "/meetings/{meeting_id}"
    built = contract.check(api.post("administrator", f"{base}/agenda/build"), f"{doc_base}/agenda/build", "post")
    contract.check(api.get("police", base), doc_base, "get")
    contract.check(api.get("south_coordinator", base), doc_base, "get")
    contract.check(api.get("coordinator", f"{base}/agenda.pdf"), f"{doc_base}/agenda.pdf", "get")
    contract.check(api.get("south_coordinator", f"{base}/invite.ics"), f"{doc_base}/invite.ics", "get")
    chair, doc_chair = f"{base}/chair", f"{doc_base}/chair"
    for user, body in (("coordinator", {"chair": "chair", "reason": "Back from leave"}), ("coordinator", {}),
                       ("chair", {"chair": "chair", "reason": "Mine"})):
        contract.check(api.client.put(chair, json=body, headers=api.headers(user)), doc_chair, "put")
    minutes, doc_minutes = f"{base}/minutes/{built['added'][0]['case_id']}", f"{doc_base}/minutes/{{case_id}}"
    read = api.get("chair", minutes)
    contract.check(read, doc_minutes, "get")
    sections = {"sections": {"summary": "Discussed.", "level_decision": {"decision": "level_2", "rationale": "Ok"}}}

    def put(if_match: str | None, json: Any = sections) -> TestResponse:
        headers = api.headers("chair") | ({"If-Match": if_match} if if_match else {})
        return api.client.put(minutes, headers=headers, json=json)

    saved = put(read.headers["ETag"])
    contract.check(saved, doc_minutes, "put")
    contract.check(put(read.headers["ETag"]), doc_minutes, "put")  # stale: 412 with the current minutes
    contract.check(put(None), doc_minutes, "put")  # 428
    invalid = put(saved.headers["ETag"], {"sections": {"colour": "blue"}})
    assert invalid.status_code == 422
    contract.check(invalid, doc_minutes, "put")
    contract.check(api.get("chair", f"{minutes}.pdf"), f"{doc_minutes}.pdf", "get")
    contract.check(api.post("chair", f"{base}/close"), f"{doc_base}/close", "post")  # 409: not opened yet
    contract.check(api.post("chair", f"{base}/open"), f"{doc_base}/open", "post")
    contract.check(api.post("chair", f"{base}/close"), f"{doc_base}/close", "post")


def _check_csods(contract: Contract, api: Api) -> None:
    """A Child Sex Offender Disclosure Scheme application: recorded, refused, read, and another area's not found."""
    from tests.csods.factories import APPLICATION

    made = contract.check(api.post("police", "/api/v1/csods/applications", json=APPLICATION), "/csods/applications",
                          "post")
    contract.check(api.post("police", "/api/v1/csods/applications", json={}), "/csods/applications", "post")
    contract.check(api.post("probation", "/api/v1/csods/applications", json=APPLICATION), "/csods/applications",
                   "post")
    one = "/csods/applications/{application_id}"
    contract.check(api.get("coordinator", f"/api/v1/csods/applications/{made['id']}"), one, "get")
    contract.check(api.get("south_coordinator", f"/api/v1/csods/applications/{made['id']}"), one, "get")
    contract.check(api.get("police", "/api/v1/csods/stages"), "/csods/stages", "get")
    contract.check(api.get("coordinator", "/api/v1/csods/stages"), "/csods/stages", "get")
    stage = f"{one}/stage"
    contract.check(api.post("police", f"/api/v1/csods/applications/{made['id']}/stage", json={"data": {}}), stage,
                   "post")
    triage = {"identity_checked": "yes", "immediate_risk": "yes", "immediate_risk_reason": "Alone with her tonight.",
              "triage_note": "Called 999."}
    contract.check(api.post("police", f"/api/v1/csods/applications/{made['id']}/stage", json={"data": triage}),
                   stage, "post")


def _check_tokens(contract: Contract, api: Api) -> None:
    """List and revoke tokens (own, and a coordinator's area); then a client address with too many bad tokens."""
    [mine] = contract.check(api.get("probation", "/api/v1/tokens"), "/tokens", "get")["tokens"]
    contract.check(api.get("probation", "/api/v1/notifications"), "/notifications", "get")
    contract.check(api.get("coordinator", "/api/v1/area/tokens"), "/area/tokens", "get")
    revoke = "/tokens/{token_id}/revoke"
    contract.check(api.post("south_coordinator", f"/api/v1/tokens/{mine['id']}/revoke"), revoke, "post")
    contract.check(api.post("coordinator", f"/api/v1/tokens/{mine['id']}/revoke"), revoke, "post")
    for n in range(100):
        api.client.get("/api/v1/tokens", headers={"Authorization": f"Bearer mf_{n}"},
                       environ_base={"REMOTE_ADDR": "10.7.7.7"})
    throttled = api.client.get("/api/v1/tokens", headers=api.headers("police"),
                               environ_base={"REMOTE_ADDR": "10.7.7.7"})
    contract.check(throttled, "/tokens", "get")


def _check_studio(contract: Contract, api: Api) -> None:
    """Compare two versions of the referral model; preview, refuse and carry out a migration."""
    opened = api.post("police", "/api/v1/cases", json=referral(offender={"name": "Simon Studio"}))
    assert opened.status_code == 201, opened.get_data(as_text=True)  # waits on the step version 3 removes
    publish_version(renamed_and_added())
    publish_version(check_removed())
    compare = "/models/{key}/compare"
    for user, query in (("owner", "from=1&to=2"), ("owner", "from=1"), ("probation", "from=1&to=2")):
        contract.check(api.get(user, f"/api/v1/models/{REFERRAL}/compare?{query}"), compare, "get")
    contract.check(api.get("owner", "/api/v1/models/nothing/compare?from=1&to=2"), compare, "get")
    migrate = {"model": REFERRAL, "from": 1, "to": 3, "dry_run": True}
    statuses = []
    for body in (migrate, migrate | {"dry_run": False}, migrate | {"to": 2, "dry_run": False}, {}):
        response = api.post("owner", "/api/v1/instances/migrate", json=body)
        statuses.append(response.status_code)
        contract.check(response, "/instances/migrate", "post")
    assert statuses == [200, 409, 200, 422]


def _check_models(contract: Contract, api: Api) -> None:
    """Import (accepted, refused, too large), read, edit (stale too), publish, download and retire a model."""
    xml = {"Content-Type": "application/xml"}
    text = (BPMN_DIR / "referral.bpmn").read_text().replace("Check referral is complete", "Check the referral")
    imported = contract.check(api.client.post("/api/v1/models/import?key=mappa_referral&filename=referral.bpmn",
                                              data=text, headers=api.headers("owner") | xml), "/models/import", "post")
    contract.check(api.client.post("/api/v1/models/import", data=b"<x/>", headers=api.headers("owner") | xml),
                   "/models/import", "post")
    contract.check(api.client.post("/api/v1/models/import", data=b" " * (6 * 1024 * 1024),
                                   headers=api.headers("owner") | xml), "/models/import", "post")
    contract.check(api.get("manager", "/api/v1/models"), "/models", "get")
    version = "/models/{key}/versions/{n}"
    contract.check(api.get("coordinator", "/api/v1/models/mappa_referral/versions/1"), version, "get")
    contract.check(api.get("coordinator", "/api/v1/models/mappa_referral/versions/1/files/referral.bpmn"),
                   f"{version}/files/{{name}}", "get")
    draft_path, doc_draft = f"/api/v1/models/mappa_referral/drafts/{imported['draft']['id']}", \
        "/models/{key}/drafts/{draft_id}"
    read = contract.check(api.get("coordinator", draft_path), doc_draft, "get")
    etag = read["draft"]["etag"]
    for if_match in (etag, etag, None):  # saved, then stale (412), then missing (428)
        headers = api.headers("owner") | ({"If-Match": if_match} if if_match else {})
        contract.check(api.client.put(draft_path, json={"files": read["draft"]["files"]}, headers=headers),
                       doc_draft, "put")
    contract.check(api.post("owner", f"{draft_path}/publish"), f"{doc_draft}/publish", "post")
    contract.check(api.post("owner", "/api/v1/models/mappa_referral/drafts", json={"from_version": 2}),
                   "/models/{key}/drafts", "post")
    contract.check(api.post("owner", "/api/v1/models/mappa_referral/versions/1/retire"), f"{version}/retire", "post")


def _check_trials(contract: Contract, api: Api) -> None:
    """Trial a draft and a version: start, read, complete (refused, then done), move time, someone else's trial."""
    start = {"data": {"category": 2, "rosh": "high", "senior_resources_needed": False}}
    draft = api.post("owner", "/api/v1/models/mappa_referral/drafts", json={"from_version": 1}).get_json()["draft"]
    trial = contract.check(api.post("owner", f"/api/v1/models/mappa_referral/drafts/{draft['id']}/trials",
                                    json=start), "/models/{key}/drafts/{draft_id}/trials", "post")
    contract.check(api.post("owner", "/api/v1/models/mappa_referral/versions/1/trials", json=start),
                   "/models/{key}/versions/{n}/trials", "post")
    path = f"/api/v1/trials/{trial['trial']}"
    contract.check(api.get("owner", path), "/trials/{trial_id}", "get")
    contract.check(api.get("coordinator", path), "/trials/{trial_id}", "get")
    complete, [task] = f"{path}/tasks/{trial['ready'][0]['id']}/complete", trial["ready"]
    doc_complete = "/trials/{trial_id}/tasks/{task_id}/complete"
    contract.check(api.post("owner", complete, json={"data": {"referral_complete": "perhaps"}}), doc_complete, "post")
    contract.check(api.post("owner", complete, json={"data": {"referral_complete": "yes"}}), doc_complete, "post")
    contract.check(api.post("owner", f"{path}/timers", json={}), "/trials/{trial_id}/timers", "post")
    assert task["bpmn_id"] == "check_referral"


def test_request_example_matches_the_referral_schema(doc: dict[str, Any]) -> None:
    registry: Registry[Any] = Registry().with_resource(DOC_URI, Resource(doc, DRAFT202012))
    validator = Draft202012Validator({"$ref": f"{DOC_URI}#/components/schemas/ReferralRequest"}, registry=registry)
    assert list(validator.iter_errors(referral(custody=True, release_date="2027-01-05"))) == []
    assert list(validator.iter_errors(referral(offender={"name": "A"}, colour="blue")))
    identified = referral(route="identification", sentence_date="2026-11-20", rosh=None, referral_reason=None)
    assert list(validator.iter_errors({k: v for k, v in identified.items() if v is not None})) == []


def test_real_responses_match_the_document(client: FlaskClient, api: Api, doc: dict[str, Any]) -> None:
    contract = Contract(doc)
    case = contract.check(api.post("probation", "/api/v1/cases", json=referral()), "/cases", "post")
    contract.check(api.post("probation", "/api/v1/cases", json=referral(category=7)), "/cases", "post")
    contract.check(api.post("manager", "/api/v1/cases", json=referral()), "/cases", "post")
    contract.check(client.post("/api/v1/cases", json=referral()), "/cases", "post")
    case_path, history_path = "/cases/{case_id}", "/cases/{case_id}/history"
    contract.check(api.get("coordinator", f"/api/v1/cases/{case['id']}"), case_path, "get")
    contract.check(api.get("south_coordinator", f"/api/v1/cases/{case['id']}"), case_path, "get")
    contract.check(api.get("coordinator", f"/api/v1/cases/{case['id']}/history"), history_path, "get")
    for who, query in (("coordinator", "?q=smith"), ("yot", ""), ("coordinator", "?q=" + "x" * 101)):
        contract.check(api.get(who, f"/api/v1/cases{query}"), "/cases", "get")

    [task] = contract.check(api.get("coordinator", "/api/v1/tasks"), "/tasks", "get")["tasks"]
    contract.check(api.get("coordinator", "/api/v1/tasks?due=soonish"), "/tasks", "get")
    task_path = "/tasks/{task_id}"
    contract.check(api.get("coordinator", f"/api/v1/tasks/{task['id']}"), task_path, "get")
    contract.check(api.post("coordinator", f"/api/v1/tasks/{task['id']}/claim"), f"{task_path}/claim", "post")
    contract.check(api.post("coordinator", f"/api/v1/tasks/{task['id']}/release"), f"{task_path}/release", "post")
    reassign, to_self = f"{task_path}/reassign", {"assignee": "coordinator", "reason": "Covering"}
    contract.check(api.post("coordinator", f"/api/v1/tasks/{task['id']}/reassign", json={"assignee": "police"}),
                   reassign, "post")
    contract.check(api.post("police", f"/api/v1/tasks/{task['id']}/reassign", json=to_self), reassign, "post")
    contract.check(api.post("coordinator", f"/api/v1/tasks/{task['id']}/reassign", json=to_self), reassign, "post")
    contract.check(api.post("coordinator", f"/api/v1/tasks/{task['id']}/release"), f"{task_path}/release", "post")
    complete = f"{task_path}/complete"
    contract.check(api.post("coordinator", f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}), complete, "post")
    done = {"data": {"referral_complete": "yes"}}
    contract.check(api.post("coordinator", f"/api/v1/tasks/{task['id']}/complete", json=done), complete, "post")
    contract.check(api.post("coordinator", f"/api/v1/tasks/{task['id']}/complete", json=done), complete, "post")
    contract.check(client.get("/api/v1/openapi.json"), "/openapi.json", "get")
    for who, query in (("manager", "?overdue=true&role=coordinator"), ("manager", "?level=9"), ("police", "")):
        contract.check(api.get(who, f"/api/v1/area-tasks{query}"), "/area-tasks", "get")
    _check_case_actions(contract, api, case["id"])
    _check_meetings(contract, api)
    _check_csods(contract, api)
    _check_tokens(contract, api)
    _check_studio(contract, api)
    _check_models(contract, api)
    _check_trials(contract, api)

    assert {(path, method) for path, method, _ in contract.checked} == _documented(doc)  # each one exercised
    assert {s for _, _, s in contract.checked} == {"200", "201", "401", "403", "404", "409", "412", "413",
                                                      "422", "428", "429"}
