"""Turn a task form's JSON Schema into the field list the GOV.UK form macro renders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from services import dates, forms
from services.errors import FieldError


def date_from_parts(form: Mapping[str, str], prefix: str) -> date | None:
    """A GOV.UK date input's ``<prefix>-day``, ``-month`` and ``-year`` as a real date in range, or None."""
    parts = [form.get(f"{prefix}-{part}", "").strip() for part in ("year", "month", "day")]
    if not all(part.isascii() and part.isdigit() for part in parts):
        return None
    return dates.parse_day("{:0>4}-{:0>2}-{:0>2}".format(*parts))


def field_id(name: str) -> str:
    return "field-" + name.replace(".", "-")


def form_fields(schema: Mapping[str, Any], values: Mapping[str, Any],
                errors: list[FieldError]) -> list[dict[str, Any]]:
    by_field: dict[str, str] = {}
    for error in errors:
        by_field.setdefault(error.field.split(".")[0], error.message)
    required = set(schema.get("required", []))
    sometimes = conditionally_required(schema)
    result = []
    for name, prop in forms.fields(schema):
        kind = forms.widget(prop)
        value = values.get(name)
        item: dict[str, Any] = {
            "name": name, "id": field_id(name), "widget": kind,
            "label": prop.get("title") or name.replace("_", " ").capitalize(),
            "hint": prop.get("description"), "error": by_field.get(name), "required": name in required,
            "optional": name not in required | sometimes,
            "options": [{"value": v, "text": t, "checked": _checked(value, v)} for v, t in forms.options(prop)],
            "value": "" if value is None else value,
        }
        if kind == "date":
            item["parts"] = _date_parts(value)
        result.append(item)
    return _nest_reveals(schema, result)


def _nest_reveals(schema: Mapping[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fields asked only after an answer (services.forms.reveals) move under that answer's radio option, where
    GOV.UK radios reveal them (``conditional``); without JavaScript every field shows."""
    by_name = {item["name"]: item for item in items}
    moved = set()
    for name, reveal in forms.reveals(schema).items():
        option = next((o for o in by_name.get(reveal.under, {}).get("options", []) if o["value"] == reveal.value), None)
        if option is not None and name in by_name:
            option.setdefault("conditional_fields", []).append(by_name[name])
            moved.add(name)
    return [item for item in items if item["name"] not in moved]


def conditionally_required(schema: Mapping[str, Any]) -> set[str]:
    """Fields an if/then (at the top or in allOf) makes required: not labelled optional, though not always asked."""
    branches = [schema.get("then") or {}] + [part.get("then") or {} for part in schema.get("allOf", [])]
    return {name for branch in branches for name in branch.get("required", [])}


def _checked(value: Any, option: str) -> bool:
    if isinstance(value, list):
        return option in [str(v) for v in value]
    if isinstance(value, bool):
        return option == ("true" if value else "false")
    return value is not None and str(value) == option


def _date_parts(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return value
    try:
        d = date.fromisoformat(str(value)) if value else None
    except ValueError:
        d = None
    if d is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(d.day), "month": str(d.month), "year": str(d.year)}


def raw_values(schema: Mapping[str, Any], form: Mapping[str, list[str]]) -> dict[str, Any]:
    """What the user typed, to re-show after an error (date parts kept as typed)."""
    values: dict[str, Any] = {}
    for name, prop in forms.fields(schema):
        if forms.widget(prop) == "date":
            values[name] = {p: (form.get(f"{name}-{p}") or [""])[0] for p in ("day", "month", "year")}
        elif prop.get("type") == "array":
            values[name] = form.get(name, [])
        else:
            given = form.get(name)
            values[name] = given[0] if given else None
    return values


def check_submission(schema: Mapping[str, Any], submitted: Mapping[str, list[str]]) -> tuple[dict[str, Any],
                                                                                              list[FieldError]]:
    """Typed answers, and every problem with them in the order of the form (not only the unreadable ones)."""
    data, errors = forms.parse_submission(schema, submitted)
    unasked = forms.hidden(schema, data)
    data = forms.drop_hidden(schema, data)
    errors = [e for e in errors if e.field not in unasked]
    unreadable = {e.field for e in errors}
    errors += [e for e in forms.validate(schema, data) if e.field not in unreadable]
    order = [name for name, _ in forms.fields(schema)]
    return data, sorted(errors, key=lambda e: order.index(e.field) if e.field in order else len(order))
