"""Built assets are addressed by their content and cached for a year; pages and our own modules are not
(app/assets.py)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import seeded, sign_in

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
ASSET = re.compile(r'(?:href|src|from)=?\s*"(/static/[^"]+)"')


def _assets(html: str) -> list[str]:
    return ASSET.findall(html)


def test_a_page_names_each_built_asset_by_its_content_and_our_modules_plainly(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "coordinator")
    html = client.get("/tasks").get_data(as_text=True)
    built = [url for url in _assets(html) if url.startswith("/static/dist/")]
    ours = [url for url in _assets(html) if url.startswith("/static/js/")]
    assert any(url.startswith("/static/dist/app.css?v=") for url in built), built
    assert ours and all("?" not in url for url in ours), ours  # one address per module: one module state
    for url in built:
        path, version = url.split("?v=")
        digest = hashlib.sha256((STATIC / path.removeprefix("/static/")).read_bytes()).hexdigest()
        assert version == digest[:12], url


def test_a_built_asset_at_its_current_address_is_cached_for_a_year_and_nothing_else_is(
        app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "coordinator")
    page = client.get("/tasks")
    assert page.headers["Cache-Control"] == "no-store"  # case data never sits in a cache
    [stylesheet] = [url for url in _assets(page.get_data(as_text=True)) if url.startswith("/static/dist/app.css")]

    current = client.get(stylesheet)
    current.close()  # a file response holds its file open until closed
    assert current.status_code == 200
    assert set(current.headers["Cache-Control"].replace(" ", "").split(",")) == {
        "public", "max-age=31536000", "immutable"}

    stale = client.get("/static/dist/app.css?v=000000000000")  # an old page's address: asked again next time
    plain = client.get("/static/dist/app.css")
    module = client.get("/static/js/storage.mjs")
    for response in (stale, plain, module):
        response.close()
        assert response.status_code == 200
        assert "immutable" not in response.headers["Cache-Control"]
        assert "no-cache" in response.headers["Cache-Control"]
    assert stale.headers["ETag"] == current.headers["ETag"]  # the same file, only cached differently
