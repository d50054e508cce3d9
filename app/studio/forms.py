"""The form editor's rows <-> a task form's JSON Schema (the same schema the task pages render and validate with).

Each row edits one field: name, label (``title``), hint (``description``), type, required, options, the condition
that makes it required ("required when <field> is <value>", an ``allOf`` if/then the pages already understand),
and validation (``maxLength``, ``pattern``). What the editor does not show (``x-rules``, ``x-vocabulary``, other
``allOf`` parts) is kept as it was.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from services import forms
from services.errors import FieldError

TYPES: dict[str, str] = {"text": "Short text", "textarea": "Long text", "date": "Date", "number": "Whole number",
                         "yes_no": "Yes or no", "radios": "One choice (radios)", "select": "One choice (list)",
                         "checkboxes": "Several choices (checkboxes)"}
NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
MAX_FIELDS = 60


def empty_schema(title: str) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, "type": "object",
            "x-order": [], "required": [], "properties": {}}


def field_type(prop: Mapping[str, Any]) -> str:
    kind = forms.widget(prop)
    if prop.get("type") == "boolean":
        return "yes_no"
    if kind == "text" and prop.get("type") in ("integer", "number"):
        return "number"
    return kind if kind in TYPES else "text"


def with_vocabularies(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose fields naming a vocabulary (``x-vocabulary``) carry its values, as the task pages load them."""
    shown = copy.deepcopy(dict(schema))
    for prop in shown.get("properties", {}).values():
        vocabulary = forms.VOCABULARIES.get(prop.get("x-vocabulary", ""))
        if vocabulary is not None:
            prop["enum"] = list(vocabulary)
            prop["x-labels"] = {str(value): label for value, label in vocabulary.items()}
    return shown


def _conditions(schema: Mapping[str, Any]) -> tuple[dict[str, tuple[str, str]], list[Any]]:
    """Fields required when one other field has one value, and the allOf parts that are something else."""
    simple: dict[str, tuple[str, str]] = {}
    other: list[Any] = []
    for part in schema.get("allOf", []):
        when = part.get("if", {}).get("properties", {}) if isinstance(part, dict) else {}
        then = part.get("then", {}).get("required", []) if isinstance(part, dict) else []
        if set(part) == {"if", "then"} and len(when) == 1 and set(part["then"]) == {"required"}:
            [(on, test)] = when.items()
            values = [test["const"]] if "const" in test else test.get("enum", [])
            if len(values) == 1:
                for name in then:
                    simple[name] = (on, str(values[0]))
                continue
        other.append(part)
    return simple, other


def rows(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per field, in the form's order, for the editor's inputs."""
    required = set(schema.get("required", []))
    when, _ = _conditions(schema)
    result = []
    for name, prop in forms.fields(schema):
        labels = prop.get("x-labels", {})
        values = (prop.get("items", {}) if prop.get("type") == "array" else prop).get("enum", [])
        result.append({
            "name": name, "label": prop.get("title", ""), "hint": prop.get("description", ""),
            "type": field_type(prop), "required": name in required,
            "options": "" if "x-vocabulary" in prop else "\n".join(
                f"{v}|{labels[str(v)]}" if str(v) in labels and labels[str(v)] != str(v) else str(v) for v in values),
            "vocabulary": prop.get("x-vocabulary", ""),
            "when_field": when.get(name, ("", ""))[0], "when_value": when.get(name, ("", ""))[1],
            "max_length": str(prop.get("maxLength", "")), "pattern": prop.get("pattern", ""),
        })
    return result


def posted_rows(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """The rows as posted (``fields-<i>-<part>``), without removed and blank ones."""
    result = []
    for i in range(MAX_FIELDS + 1):
        prefix = f"fields-{i}-"
        if prefix + "name" not in form:
            continue
        row: dict[str, Any] = {part: form.get(prefix + part, "").strip() for part in
                               ("name", "label", "hint", "type", "options", "when_field", "when_value", "max_length",
                                "pattern", "vocabulary")}
        row.update(index=i, required=bool(form.get(prefix + "required")), remove=bool(form.get(prefix + "remove")))
        if not row["remove"] and (row["name"] or row["label"]):
            result.append(row)
    return result


def _options(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        value, _, label = line.strip().partition("|")
        if value.strip():
            pairs.append((value.strip(), label.strip() or value.strip()))
    return pairs


def _property(row: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in old.items() if k.startswith("x-") and k not in ("x-widget", "x-labels")}
    # the same type keeps what the editor does not show (format, vocabulary...)
    prop = copy.deepcopy(dict(old)) if row["type"] == field_type(old) else kept
    prop = {k: v for k, v in prop.items() if k not in ("title", "description", "maxLength", "pattern")}
    if row["vocabulary"] in forms.VOCABULARIES:
        prop["x-vocabulary"] = row["vocabulary"]
    kind = row["type"]
    if kind in ("text", "textarea", "radios", "select") and prop.get("type") not in ("integer", "number"):
        prop["type"] = "string"
    if kind == "textarea":
        prop["x-widget"] = "textarea"
    elif kind in ("radios", "select"):
        prop["x-widget"] = kind
    elif kind == "date":
        prop.update(type="string", format="date")
    elif kind == "number":
        prop["type"] = "integer"
    elif kind == "yes_no":
        prop["type"] = "boolean"
    elif kind == "checkboxes":
        prop["type"] = "array"
    options = _options(row["options"])
    if kind in ("radios", "select", "checkboxes") and "x-vocabulary" not in prop:
        values = [int(v) if prop.get("type") == "integer" and v.lstrip("-").isdigit() else v for v, _ in options]
        if kind == "checkboxes":
            prop["items"] = {"type": "string", "enum": values}
            prop.pop("enum", None)
        else:
            prop["enum"] = values
        prop["x-labels"] = {v: label for v, label in options if label != v}
        if not prop["x-labels"]:
            del prop["x-labels"]
    prop["title"] = row["label"]
    if row["hint"]:
        prop["description"] = row["hint"]
    if row["max_length"].isdigit() and prop.get("type") == "string":
        prop["maxLength"] = int(row["max_length"])
    if row["pattern"] and prop.get("type") == "string":
        prop["pattern"] = row["pattern"]
    return prop


def _row_errors(row: Mapping[str, Any], names: list[str]) -> list[FieldError]:
    at = f"fields.{row['index']}."
    errors = []
    if not NAME.match(row["name"]):
        errors.append(FieldError(at + "name", "Enter a field name of lower-case letters, digits and underscores, "
                                              "starting with a letter"))
    elif names.count(row["name"]) > 1:
        errors.append(FieldError(at + "name", f"Another field is also named {row['name']}"))
    if not row["label"]:
        errors.append(FieldError(at + "label", "Enter the question or label people see"))
    if row["type"] not in TYPES:
        errors.append(FieldError(at + "type", "Choose the type of answer"))
    elif row["type"] in ("radios", "select", "checkboxes") and not row["vocabulary"] and not _options(row["options"]):
        errors.append(FieldError(at + "options", "Enter the options, one a line"))
    if row["max_length"] and not row["max_length"].isdigit():
        errors.append(FieldError(at + "max_length", "Maximum length must be a whole number"))
    if row["pattern"]:
        try:
            re.compile(row["pattern"])
        except re.error as err:
            errors.append(FieldError(at + "pattern", f"The pattern is not a valid regular expression: {err}"))
    if row["when_field"] and row["when_field"] not in names:
        errors.append(FieldError(at + "when_field", f"There is no field named {row['when_field']} in this form"))
    return errors


def build_schema(title: str, posted: list[dict[str, Any]],
                 old: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """The schema the rows describe, or the errors that stop it being one."""
    names = [row["name"] for row in posted]
    errors = [] if title.strip() else [FieldError("title", "Enter the form's title")]
    for row in posted:
        errors.extend(_row_errors(row, names))
    if errors:
        return dict(old), errors
    _, other = _conditions(old)
    props = {row["name"]: _property(row, old.get("properties", {}).get(row["name"], {})) for row in posted}
    schema = {k: v for k, v in old.items() if k not in ("title", "x-order", "required", "properties", "allOf")}
    schema.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
    schema.update(title=title.strip(), type="object", **{"x-order": names},
                  required=[row["name"] for row in posted if row["required"]], properties=props)
    reveal = [{"if": {"properties": {row["when_field"]: {"const": _typed(row["when_value"], props[row["when_field"]])}},
                      "required": [row["when_field"]]},
               "then": {"required": [row["name"]]}} for row in posted if row["when_field"]]
    if other or reveal:
        schema["allOf"] = other + reveal
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        return schema, [FieldError("title", f"The form is not a valid JSON Schema: {err.message}")]
    return schema, []


def _typed(value: str, prop: Mapping[str, Any]) -> Any:
    if prop.get("type") == "boolean":
        return value.lower() in ("true", "yes")
    if prop.get("type") == "integer" and value.lstrip("-").isdigit():
        return int(value)
    return value
