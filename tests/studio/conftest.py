"""Studio test helpers: the shipped referral model's text, and model imports through the API."""

from __future__ import annotations

from pathlib import Path

from werkzeug.test import TestResponse

from tests.api.conftest import Api, api, users  # noqa: F401 - shared fixtures: demo users, JSON client with tokens

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
REFERRAL = (BPMN_DIR / "referral.bpmn").read_text()


def import_xml(client_api: Api, xml: str | bytes, *, key: str | None = None, filename: str | None = None,
               user: str = "owner") -> TestResponse:
    query = "&".join(f"{k}={v}" for k, v in (("key", key), ("filename", filename)) if v)
    data = xml.encode() if isinstance(xml, str) else xml
    return client_api.client.post(f"/api/v1/models/import{'?' + query if query else ''}", data=data,
                           headers=client_api.headers(user) | {"Content-Type": "application/xml"})
