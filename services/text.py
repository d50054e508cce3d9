"""Text that shows: an answer made only of spaces, line breaks, zero-width characters or direction marks is no
answer. ``Validator`` is the JSON Schema (draft 2020-12) validator of the task forms (services.forms) and of the
API's bodies (app.api.contract): there a ``minLength`` of 1 or more also asks for at least one visible character,
so every required text answer, in every form and body, refuses blank text with the field's "Enter ..." message."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

# Letters, digits, punctuation and symbols show; these few of them are drawn as blank space.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def shows(text: str) -> bool:
    """Whether ``text`` has a character a reader can see (not only white space, controls, format characters such
    as zero-width spaces and bidirectional marks, or lone combining marks)."""
    return any(unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_GLYPHS for ch in text)


def _min_length(validator: Any, minimum: int, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    if len(instance) < minimum:
        yield ValidationError(f"{instance!r} is too short")
    elif minimum >= 1 and not shows(instance):
        yield ValidationError(f"{instance!r} has no visible character")


Validator = validators.extend(Draft202012Validator, {"minLength": _min_length})
