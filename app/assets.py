"""Built front-end assets (``app/static/dist/``: the compiled stylesheet, GOV.UK and MOJ Frontend, bpmn-js, dmn-js)
are addressed by their content: ``url_for('static', filename='dist/app.css')`` gives ``/static/dist/app.css?v=<12 hex
of its SHA-256>``, and a request carrying the file's current ``v`` is answered ``Cache-Control: public,
max-age=31536000, immutable``. A page then loads its stylesheet and scripts from the browser's cache instead of
asking the server again for each one (Flask's default is ``no-cache``: one conditional request per asset per page);
a new build gives new addresses, so nobody keeps an old file.

Our own modules (``app/static/js/*.mjs``) keep plain addresses and Flask's ``no-cache``: they import each other by
relative path (``./storage.mjs``), and a browser runs a module once per address, so a versioned and a plain
address of one module would be two modules with two states (storage.mjs's sign-out savers, say).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

VERSIONED = "dist/"
YEAR = 31_536_000
# filename -> (mtime_ns, size, version): a rebuilt file (``npm run build``) is hashed again at its next address
_versions: dict[str, tuple[int, int, str]] = {}


def asset_version(static_folder: Path, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, or None for a file outside dist/ or not there."""
    if not filename.startswith(VERSIONED):
        return None
    path = static_folder / filename
    try:
        stat = path.stat()
    except OSError:
        return None
    seen = _versions.get(filename)
    if seen and seen[:2] == (stat.st_mtime_ns, stat.st_size):
        return seen[2]
    version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _versions[filename] = (stat.st_mtime_ns, stat.st_size, version)
    return version


def init_assets(app: Flask) -> None:
    folder = Path(str(app.static_folder))

    @app.url_defaults
    def _version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values:
            version = asset_version(folder, str(values.get("filename", "")))
            if version:
                values["v"] = version

    @app.after_request
    def _cache_versioned(response: Response) -> Response:
        version = request.args.get("v") if request.endpoint == "static" and response.status_code == 200 else None
        if version and request.view_args and version == asset_version(folder, str(request.view_args["filename"])):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
