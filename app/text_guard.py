"""Text that cannot be stored is refused at the door: PostgreSQL text holds no NUL character, and a lone surrogate
cannot be encoded as UTF-8. Both reached the database from query strings, forms and JSON and ended in 500s."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, abort, request

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def refusal(what: str) -> str:
    return f"The {what} has a NUL character (\\u0000) or an unpaired surrogate (\\ud800 to \\udfff)"


def has_unstorable_text(value: Any) -> bool:
    """Any key or string, at any depth of lists and dicts (JSON bodies are depth-checked before they get here)."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(has_unstorable_text(key) or has_unstorable_text(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_unstorable_text(item) for item in value)
    return False


def init_text_guard(app: Flask) -> None:
    """A 400 (the JSON error shape on the API) for a NUL in the query string or a form field, before CSRF or a view
    reads them. Uploaded files are bytes and are not checked here."""

    @app.before_request
    def _refuse_unstorable_text() -> None:
        fields = [*request.args.lists()]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields += [*request.form.lists()]
        if any(has_unstorable_text(key) or has_unstorable_text(values) for key, values in fields):
            abort(400, refusal("request"))
