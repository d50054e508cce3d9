"""Ids in URLs and query strings: ASCII whole numbers the database's integer columns can hold.

``<int:...>`` in every route uses ``DatabaseId`` (it replaces Werkzeug's ``int`` converter in ``create_app``), so
``/cases/99999999999999999999`` is a 404 like any other unknown case, never an overflow in PostgreSQL or SQLite.
Query-string ids go through ``parse_id`` (``?case=²`` passes ``str.isdigit()`` but is not a number).
"""

from __future__ import annotations

from flask import abort, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL ``integer``, the type of every id column


class DatabaseId(IntegerConverter):
    regex = r"[0-9]+"  # Werkzeug's \d+ also matches other scripts' digits

    def to_python(self, value: str) -> int:
        """An id past MAX_ID is a 404 straight away (a ValidationError would try the other rules, and one with
        the same path for another method would turn it into a 405)."""
        if len(value) > len(str(MAX_ID)) or int(value) > MAX_ID:
            raise NotFound()
        number: int = super().to_python(value)
        return number


def parse_id(raw: str) -> int | None:
    """The id written in ``raw``, or None when it is not one (empty, not ASCII digits, out of range)."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def query_id(key: str) -> int | None:
    """``?key=`` on a page: absent or empty is None; anything but an id is a 400 error page."""
    raw = request.args.get(key, "").strip()
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        abort(400, f"{key} must be a number, like {key}=12")
    return value
