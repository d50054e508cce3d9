"""The studio's pages over HTTP: the model library, a version, the draft editor and its saves, publishing, the form
editor and its preview, import; process owners edit, coordinators and managers only look, everyone else is refused."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from services.catalogue import SHIPPED
from services.db import db
from services.models import AccessLog, ModelDraft
from tests.factories import create_case, csrf_token, seeded, sign_in
from tests.pages import check_page, get_page

REVIEW = "/studio/mappa_review"
ROOT = Path(__file__).resolve().parents[2]


def studio_data(client: FlaskClient, path: str) -> dict[str, Any]:
    page = get_page(client, path)
    [script] = page.xpath('//script[@id="studio-data"]')
    data: dict[str, Any] = json.loads(script.text)
    return data


def start_draft(client: FlaskClient, key: str = "mappa_review", version: int = 1) -> str:
    response = client.post(f"/studio/{key}/versions/{version}/drafts",
                           data={"csrf_token": csrf_token(client, "/studio")})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def owner(client: FlaskClient) -> dict[str, Any]:
    users = seeded()
    sign_in(client, "owner")
    return users


def test_the_library_lists_every_model_with_its_versions_and_running_cases(app, client: FlaskClient) -> None:
    users = owner(client)
    create_case(users["probation"])  # one referral instance running on version 1
    page = get_page(client, "/studio")
    text = page.text_content()
    for name, _files in SHIPPED.values():
        assert name in text
    [running] = page.xpath('//h2[@id="model-mappa_referral"]/following-sibling::table[1]'
                           '//tr[@data-version="1"]/td[@data-running]')
    assert running.get("data-running") == "1"
    [idle] = page.xpath('//h2[@id="model-mappa_exit"]/following-sibling::table[1]//td[@data-running]')
    assert idle.get("data-running") == "0"
    assert "review.bpmn" in text and "level_suggestion.dmn" in text  # the files, decision tables included
    nav = page.xpath('//nav[@aria-label="Primary navigation"]//a[@aria-current="page"]')
    assert [a.text_content() for a in nav] == ["Process models"]


def test_a_version_page_shows_the_diagram_and_downloads_its_files(app, client: FlaskClient) -> None:
    owner(client)
    page = get_page(client, f"{REVIEW}/versions/1")
    assert json.loads(page.xpath('//script[@id="diagram-data"]')[0].text)["xml"].startswith("<?xml")
    response = client.get(f"{REVIEW}/versions/1/download?file=review.bpmn")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert b'<bpmn:process id="mappa_review"' in response.data
    assert client.get(f"{REVIEW}/versions/1/download?file=../../etc/passwd").status_code == 404
    assert client.get(f"{REVIEW}/versions/9/download?file=review.bpmn").status_code == 404


def test_the_only_live_version_cannot_be_retired_from_its_page(app, client: FlaskClient) -> None:
    owner(client)
    page = get_page(client, f"{REVIEW}/versions/1")
    assert page.xpath('//button[normalize-space()="Retire this version"]')
    refused = client.post(f"{REVIEW}/versions/1/retire", data={"csrf_token": csrf_token(client, "/studio")})
    assert refused.status_code == 302
    text = get_page(client, refused.headers["Location"]).text_content()
    assert "the only version new cases can start on" in text
    assert db.session.scalars(select(AccessLog).where(AccessLog.event == "model_retired")).all() == []


def test_a_process_owner_starts_a_draft_saves_it_and_a_stale_save_is_refused(app, client: FlaskClient) -> None:
    owner(client)
    editor = start_draft(client)
    data = studio_data(client, editor)
    assert data["editable"] is True and data["file"] == "review.bpmn" and data["storage_key"].startswith("mappa-")
    assert "MAPPA Coordinator" in data["vocab"]["roles"] and "level1_review" in data["vocab"]["forms"]
    assert {h["key"] for h in data["vocab"]["hooks"]} >= {"meeting_review"}
    changed = data["files"]["review.bpmn"].replace('name="Record review outcome"', 'name="Record the outcome"')
    headers = {"X-CSRFToken": data["csrf"], "If-Match": data["etag"]}
    saved = client.put(data["save_url"], json={"files": {**data["files"], "review.bpmn": changed}}, headers=headers)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.json["etag"] != data["etag"] and saved.json["version"] == 1
    assert isinstance(saved.json["checks"], list)
    stale = client.put(data["save_url"], json={"files": data["files"]}, headers=headers)
    assert stale.status_code == 412
    assert stale.json["current"]["updated_by"] == "owner"
    draft = db.session.scalars(select(ModelDraft)).one()
    assert 'name="Record the outcome"' in draft.files["review.bpmn"]
    assert client.put(data["save_url"], json={"files": "nope"}, headers=headers).status_code == 422
    # a save that names no version it read is refused, as on the API (found in review: it overwrote, 200)
    blind = client.put(data["save_url"], json={"files": data["files"]}, headers={"X-CSRFToken": data["csrf"]})
    assert blind.status_code == 428 and "If-Match" in blind.json["error"]
    db.session.expire_all()
    assert 'name="Record the outcome"' in db.session.scalars(select(ModelDraft)).one().files["review.bpmn"]
    events = set(db.session.scalars(select(AccessLog.event)))
    assert {"draft_created", "draft_saved"} <= events


def test_publishing_is_refused_while_a_check_fails_then_publishes(app, client: FlaskClient) -> None:
    owner(client)
    editor = start_draft(client)
    data = studio_data(client, editor)
    broken = data["files"]["review.bpmn"].replace('<bpmn:lane id="Lane_Manager" name="Manager">',
                                                  '<bpmn:lane id="Lane_Manager" name="Nobody we know">')
    headers = {"X-CSRFToken": data["csrf"], "If-Match": data["etag"]}
    saved = client.put(data["save_url"], json={"files": {**data["files"], "review.bpmn": broken}}, headers=headers)
    assert saved.status_code == 200
    assert any(c["severity"] == "error" for c in saved.json["checks"])
    publish_url = editor.split("?")[0] + "/publish"
    refused = client.post(publish_url, data={"csrf_token": data["csrf"]})
    assert refused.status_code == 422
    page = check_page(refused)
    summary = page.xpath('//div[contains(@class, "govuk-error-summary")]//a')
    assert summary and all(page.get_element_by_id(a.get("href")[1:]) is not None for a in summary)
    assert page.get_element_by_id("studio-publish").get("disabled") is not None

    fixed = broken.replace("Nobody we know", "Manager").replace('name="Record review outcome"',
                                                                'name="Record the outcome"')
    headers["If-Match"] = saved.json["etag"]
    assert client.put(data["save_url"], json={"files": {**data["files"], "review.bpmn": fixed}},
                      headers=headers).status_code == 200
    published = client.post(publish_url, data={"csrf_token": data["csrf"]})
    assert published.status_code == 302
    assert published.headers["Location"].endswith(f"{REVIEW}/versions/2")
    get_page(client, f"{REVIEW}/versions/2")


@pytest.mark.parametrize("role", ["coordinator", "manager"])
def test_coordinators_and_managers_look_but_cannot_change(app, client: FlaskClient, role: str) -> None:
    owner(client)
    editor = start_draft(client)
    owners = studio_data(client, editor)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/studio")})
    sign_in(client, role)
    get_page(client, "/studio")
    data = studio_data(client, editor)
    assert data["editable"] is False
    page = get_page(client, editor)
    assert not page.xpath('//button[@id="studio-publish"]') and not page.xpath('//div[@id="studio-properties"]')
    csrf = csrf_token(client, "/studio")
    assert client.put(owners["save_url"], json={"files": owners["files"]},
                      headers={"X-CSRFToken": csrf, "If-Match": owners["etag"]}).status_code == 403
    assert client.post(editor + "/publish", data={"csrf_token": csrf}).status_code == 403
    assert client.post(f"{REVIEW}/versions/1/drafts", data={"csrf_token": csrf}).status_code == 403
    assert client.post("/studio/import", data={"csrf_token": csrf}).status_code == 403
    form_page = get_page(client, editor + "/forms/level1_review")
    assert not form_page.xpath('//button[text()="Save form"]')


@pytest.mark.parametrize("role", ["probation", "police", "chair", "administrator", "housing"])
def test_everyone_else_is_refused(app, client: FlaskClient, role: str) -> None:
    seeded()
    sign_in(client, role)
    assert client.get("/studio").status_code == 403
    assert client.get(f"{REVIEW}/versions/1").status_code == 403
    page = get_page(client, "/tasks")
    assert "Process models" not in page.xpath('//nav[@aria-label="Primary navigation"]')[0].text_content()


def form_rows(**fields: dict[str, str]) -> dict[str, str]:
    posted = {"title": "Housing check"}
    for i, (name, row) in enumerate(fields.items()):
        posted |= {f"fields-{i}-name": name} | {f"fields-{i}-{k}": v for k, v in row.items()}
    return posted


def test_the_form_preview_renders_with_the_task_pages_macro(app, client: FlaskClient) -> None:
    owner(client)
    csrf = csrf_token(client, "/studio")
    rows = form_rows(
        housed={"label": "Is the person housed?", "type": "yes_no", "required": "yes"},
        address={"label": "Address", "hint": "Where they live", "type": "textarea", "when_field": "housed",
                 "when_value": "true"},
        risk={"label": "Risk to neighbours", "type": "radios", "options": "low|Low\nhigh|High"})
    response = client.post("/studio/forms/preview", data=rows, headers={"X-CSRFToken": csrf})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "govuk-radios" in html and "Is the person housed?" in html and "Where they live" in html
    assert "Address" in html and "High" in html and 'name="risk"' in html
    bad = client.post("/studio/forms/preview", data=form_rows(**{"Bad Name": {"label": "x", "type": "text"}}),
                      headers={"X-CSRFToken": csrf})
    assert bad.status_code == 200 and "data-preview-errors" in bad.get_data(as_text=True)


def test_the_form_editor_saves_the_schema_into_the_draft(app, client: FlaskClient) -> None:
    owner(client)
    editor = start_draft(client)
    path = editor + "/forms/housing_check"
    page = get_page(client, path)
    etag = page.xpath('//input[@name="etag"]')[0].get("value")
    csrf = csrf_token(client, "/studio")
    rows = form_rows(
        housed={"label": "Is the person housed?", "type": "yes_no", "required": "yes"},
        address={"label": "Address", "type": "textarea", "when_field": "housed", "when_value": "true",
                 "max_length": "500"})
    refused = client.post(path, data=rows | {"fields-1-max_length": "lots", "csrf_token": csrf, "etag": etag})
    assert refused.status_code == 422
    assert check_page(refused).get_element_by_id("field-fields-1-max_length") is not None
    saved = client.post(path, data=rows | {"csrf_token": csrf, "etag": etag})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    draft = db.session.scalars(select(ModelDraft)).one()
    schema = json.loads(draft.files["forms/housing_check.json"])
    assert schema["required"] == ["housed"] and schema["x-order"] == ["housed", "address"]
    assert schema["properties"]["housed"]["type"] == "boolean"
    assert schema["properties"]["address"] == {"type": "string", "x-widget": "textarea", "title": "Address",
                                               "maxLength": 500}
    assert schema["allOf"] == [{"if": {"properties": {"housed": {"const": True}}, "required": ["housed"]},
                                "then": {"required": ["address"]}}]
    again = get_page(client, path)
    assert again.get_element_by_id("field-fields-1-when_field").get("value") == "housed"
    assert client.post(path, data=rows | {"csrf_token": csrf, "etag": etag}).status_code == 409  # stale


def test_a_shipped_form_keeps_what_the_editor_does_not_show(app, client: FlaskClient) -> None:
    owner(client)
    editor = start_draft(client, "mappa_referral")
    path = editor + "/forms/screening"
    page = get_page(client, path)
    posted: dict[str, str] = {"csrf_token": csrf_token(client, "/studio")}
    for element in page.xpath('//form[.//div[@id="form-editor"]]//input | //form[.//div[@id="form-editor"]]'
                              '//textarea | //form[.//div[@id="form-editor"]]//select'):
        name = element.get("name")
        if element.tag == "select":
            chosen = element.xpath("option[@selected]")
            posted[name] = chosen[0].get("value") if chosen else element.xpath("option")[0].get("value")
        elif element.get("type") == "checkbox":
            if element.get("checked") is not None:
                posted[name] = element.get("value")
        else:
            posted[name] = element.text or "" if element.tag == "textarea" else element.get("value") or ""
    assert client.post(path, data=posted).status_code == 302
    draft = db.session.scalars(select(ModelDraft)).one()
    saved = json.loads(draft.files["forms/screening.json"])
    shipped = json.loads((ROOT / "forms" / "screening.json").read_text())
    assert saved == shipped


def test_importing_a_file_makes_a_draft_or_names_what_is_wrong(app, client: FlaskClient) -> None:
    owner(client)
    get_page(client, "/studio/import")
    csrf = csrf_token(client, "/studio/import")
    bad = client.post("/studio/import", data={"csrf_token": csrf, "file": (io.BytesIO(b"<html/>"), "page.bpmn")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422
    page = check_page(bad)
    assert page.xpath('//div[contains(@class, "govuk-error-summary")]//a[@href="#field-file"]')
    xml = (ROOT / "bpmn" / "exit.bpmn").read_bytes().replace(b'name="Exit from MAPPA"', b'name="Leaving MAPPA"')
    good = client.post("/studio/import", data={"csrf_token": csrf, "key": "mappa_exit",
                                               "file": (io.BytesIO(xml), "exit.bpmn")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    assert re.search(r"/studio/mappa_exit/drafts/\d+$", good.headers["Location"])
    assert "model_imported" in set(db.session.scalars(select(AccessLog.event)))


def test_compare_then_migrate_a_running_case_to_the_new_version(app, client: FlaskClient) -> None:
    users = owner(client)
    case = create_case(users["probation"])  # waits at "Check referral is complete" on version 1
    editor = start_draft(client, "mappa_referral")
    data = studio_data(client, editor)
    renamed = data["files"]["referral.bpmn"].replace('name="Amend referral"', 'name="Amend the referral"')
    assert client.put(data["save_url"], json={"files": {**data["files"], "referral.bpmn": renamed}},
                      headers={"X-CSRFToken": data["csrf"], "If-Match": data["etag"]}).status_code == 200
    compared = get_page(client, f"/studio/mappa_referral/compare?from=1&draft={editor.rsplit('/', 1)[1]}")
    [row] = compared.xpath('//tr[@data-element="amend_referral"]')
    assert row.get("data-change") == "changed" and "Amend the referral" in row.text_content()
    assert client.post(editor + "/publish", data={"csrf_token": data["csrf"]}).status_code == 302
    get_page(client, "/studio/mappa_referral/compare?from=1&to=2")

    preview = get_page(client, "/studio/mappa_referral/migrate?from=1&to=2")
    [plan] = preview.xpath("//tr[@data-instance]")
    assert plan.get("data-ok") == "true" and "Check referral is complete" in plan.text_content()
    moved = client.post("/studio/mappa_referral/migrate", data={"csrf_token": data["csrf"], "from": 1, "to": 2})
    assert moved.status_code == 302
    library = get_page(client, "/studio")
    [v2] = library.xpath('//h2[@id="model-mappa_referral"]/following-sibling::table[1]//tr[@data-version="2"]'
                         "/td[@data-running]")
    assert v2.get("data-running") == "1"
    assert case.id
