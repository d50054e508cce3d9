"""JSON request bodies, read without trusting them: UTF-8, at most 32 levels deep, no NUL or lone surrogates.

``json.loads`` recurses: a body nested 100,000 deep raised RecursionError (a 500). PostgreSQL refuses NUL in
text and psycopg cannot encode a lone surrogate (``"\\ud800"``), so both failed only when saved. ``parse`` refuses all
of these up front with a message for the client; ``SafeJSONProvider`` makes Flask's ``request.get_json`` use it too.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from flask.json.provider import DefaultJSONProvider

from app.text_guard import has_unstorable_text, refusal

MAX_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]")


class JsonRefused(ValueError):
    """The body is not JSON we accept; the message says why, for the client."""


def parse(data: str | bytes) -> Any:
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError:
        raise JsonRefused("The body is not valid UTF-8") from None
    if _depth(text) > MAX_DEPTH:
        raise JsonRefused(f"The JSON is nested more than {MAX_DEPTH} levels deep")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise JsonRefused(f"The body is not valid JSON: {error.msg} at character {error.pos}") from None
    except RecursionError:  # _depth counts as the parser does; this only guards that promise
        raise JsonRefused(f"The JSON is nested more than {MAX_DEPTH} levels deep") from None
    if has_unstorable_text(value):
        raise JsonRefused(refusal("JSON"))
    return value


def _depth(text: str) -> int:
    """How deep arrays and objects nest, counted without recursing (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


class SafeJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse(s)
