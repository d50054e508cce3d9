"""The JSON object a write endpoint was sent, or a 422 on ``body`` saying what is wrong with it."""

from __future__ import annotations

from typing import Any

from flask import request

from app.api.errors import invalid
from app.jsonbody import JsonRefused, parse

NOT_AN_OBJECT = "Send a JSON object with the header Content-Type: application/json"


def json_object() -> dict[str, Any]:
    if not request.is_json:
        raise invalid("body", NOT_AN_OBJECT)
    try:
        body = parse(request.get_data(cache=True))
    except JsonRefused as refused:
        raise invalid("body", str(refused)) from None
    if not isinstance(body, dict):
        raise invalid("body", NOT_AN_OBJECT)
    return body
