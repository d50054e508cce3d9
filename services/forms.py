"""Task forms: JSON Schema (draft 2020-12) files in forms/, validated on the server with the same schema.

UI hints live beside the JSON Schema keywords: ``x-order`` (field order), ``x-widget`` (text, textarea, date,
radios, checkboxes, select), ``x-labels`` (enum value -> label) and ``description`` (hint text).
Messages and checks the schema's own keywords cannot say: ``x-required-message`` (the error when a required answer
is missing; otherwise built from the title and widget), ``x-after`` (the date fields this one must come after),
``x-min-age`` (a date of birth at least that many years ago), ``x-max-age`` with ``x-age-on`` (a date of birth less
than that many years before the day of another date field, or today: a child under 18 on the day an application was
made) and ``x-date`` (``"future"``: today or later, at most ``FUTURE_YEARS`` ahead; ``"past"``: today or earlier).
A field that an ``if``/``then`` (in ``allOf``) requires only when one radio answer has one value is asked only
then (``reveals``): the page reveals it under that answer, and an answer given while it is hidden is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from services import clock, dates, levels
from services.errors import FieldError, NotFound
from services.text import Validator, shows
from workflows.lanes import ACTION_OWNER_ROLES, LEAD_AGENCIES, role_name

FORMS_DIR = Path(__file__).resolve().parent.parent / "forms"
FUTURE_YEARS = 10  # a date that must be in the future is refused further ahead than this: a mistyped year
_FORMAT_CHECKER = FormatChecker(formats=["email"])


@_FORMAT_CHECKER.checks("date")
def _is_date(value: object) -> bool:
    """A real date written YYYY-MM-DD, in the range every date in the service must fall in (services.dates)."""
    return not isinstance(value, str) or dates.parse_day(value) is not None



@lru_cache(maxsize=128)
def load_form(key: str) -> dict[str, Any]:
    """A shipped form (forms/ on disk)."""
    if not key.replace("_", "").isalnum():
        raise NotFound(f"no form {key!r}")
    path = FORMS_DIR / f"{key}.json"
    if not path.is_file():
        raise NotFound(f"no form {key!r}")
    return _schema(path.read_text())


def task_form(key: str, version_files: Mapping[str, str] | None) -> dict[str, Any]:
    """A task's form: the one published with its instance's model version (``forms/<key>.json``) when that
    version carries it, else the shipped form."""
    text = (version_files or {}).get(f"forms/{key}.json")
    return _versioned_form(text) if text is not None else load_form(key)


def version_form(checksum: str, key: str, files: Callable[[], Mapping[str, str] | None]) -> dict[str, Any]:
    """``task_form`` for a published model version, cached by the version's checksum (a published version never
    changes): ``files`` (the version's files, a large column) is read only the first time."""
    cached = _BY_VERSION.get((checksum, key))
    if cached is None:
        if len(_BY_VERSION) >= 512:
            _BY_VERSION.clear()
        cached = _BY_VERSION[(checksum, key)] = task_form(key, files())
    return cached


_BY_VERSION: dict[tuple[str, str], dict[str, Any]] = {}


@lru_cache(maxsize=128)
def _versioned_form(text: str) -> dict[str, Any]:
    return _schema(text)


def _schema(text: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(text)
    for prop in schema.get("properties", {}).values():
        _apply_vocabulary(prop)
    Draft202012Validator.check_schema(schema)
    return schema


# Vocabularies a form field can name (``x-vocabulary``) instead of repeating the list and its labels.
VOCABULARIES: dict[str, Mapping[Any, str]] = {"categories": levels.CATEGORIES,
                                              "lead_agencies": {agency: agency for agency in LEAD_AGENCIES},
                                              "action_owner_roles": {r: role_name(r) for r in ACTION_OWNER_ROLES}}


def _apply_vocabulary(prop: dict[str, Any]) -> None:
    name = prop.get("x-vocabulary")
    if name is None:
        return
    if name not in VOCABULARIES:
        raise ValueError(f"unknown vocabulary {name!r}")
    prop["enum"] = list(VOCABULARIES[name])
    prop["x-labels"] = {str(value): label for value, label in VOCABULARIES[name].items()}


def fields(schema: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    props: dict[str, Any] = schema.get("properties", {})
    order = schema.get("x-order") or list(props)
    return [(name, props[name]) for name in order if name in props]


def widget(prop: Mapping[str, Any]) -> str:
    if "x-widget" in prop:
        return str(prop["x-widget"])
    if prop.get("format") == "date":
        return "date"
    if prop.get("type") == "array":
        return "checkboxes"
    if "enum" in prop or prop.get("type") == "boolean":
        return "radios"
    return "text"


def options(prop: Mapping[str, Any]) -> list[tuple[str, str]]:
    if prop.get("type") == "array":
        prop = prop.get("items", {})
    if prop.get("type") == "boolean":
        return [("true", "Yes"), ("false", "No")]
    labels = prop.get("x-labels", {})
    return [(str(v), labels.get(str(v), str(v))) for v in prop.get("enum", [])]


def label(name: str, prop: Mapping[str, Any]) -> str:
    return str(prop.get("title") or name.replace("_", " ").capitalize())


def answer_text(prop: Mapping[str, Any], value: Any) -> str:
    """An answer in words, as the form offered it: the option's label, Yes or No, a date as '1 June 2027'."""
    if value is None or value == "" or value == []:
        return "Not given"
    labels = dict(options(prop))
    if isinstance(value, list):
        return ", ".join(labels.get(option_value(v), str(v)) for v in value)
    if option_value(value) in labels:
        return labels[option_value(value)]
    day = dates.parse_day(value) if widget(prop) == "date" else None
    return f"{day.day} {day:%B %Y}" if day else str(value)


def _lower(label: str) -> str:
    """'Exit date' -> 'exit date' but 'MAPPA category' and 'PNC ID' keep their capitals."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def parse_submission(
    schema: Mapping[str, Any], form: Mapping[str, list[str]]
) -> tuple[dict[str, Any], list[FieldError]]:
    """Turn posted HTML form values (name -> list of strings) into typed data; report unparseable fields."""
    data: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, prop in fields(schema):
        kind = widget(prop)
        if kind == "date":
            parts = [(form.get(f"{name}-{p}") or [""])[0].strip() for p in ("day", "month", "year")]
            if not any(parts):
                continue
            missing = [p for p, given in zip(("day", "month", "year"), parts, strict=True) if not given]
            if missing:
                errors.append(FieldError(name, f"{label(name, prop)} must include a {' and '.join(missing)}"))
                continue
            try:
                day, month, year = (int(p) for p in parts)
                data[name] = date(year, month, day).isoformat()
            except (ValueError, OverflowError):  # not digits, no such day, or too many digits for a date
                errors.append(FieldError(name, f"{label(name, prop)} must be a real date"))
            continue
        values = [v for v in form.get(name, []) if v != ""]
        if prop.get("type") == "array":
            data[name] = values
        elif not values:
            continue
        elif prop.get("type") == "boolean":
            data[name] = values[0] == "true"
        elif prop.get("type") == "integer":
            try:
                data[name] = int(values[0])
            except ValueError:
                errors.append(FieldError(name, f"{label(name, prop)} must be a whole number"))
        elif shows(values[0]):  # only spaces, line breaks or invisible characters: not answered
            data[name] = values[0].strip()
    return data, errors


def required_message(name: str, prop: Mapping[str, Any]) -> str:
    """What to say when a required answer is missing: the field's ``x-required-message``, or built from its title
    and widget ("Select the MAPPA category", "Enter the sentence date", "Enter what was done")."""
    if prop.get("x-required-message"):
        return str(prop["x-required-message"])
    text = _lower(label(name, prop))
    kind = widget(prop)
    if kind in ("radios", "checkboxes", "select"):
        return f"Select {text}"
    if kind == "date":
        return f"Enter the {text}" if "date" in text.lower() else f"Enter a date for {text}"
    return f"Enter {text}"


def _format_message(label: str, error: ValidationError) -> str:
    if error.validator_value != "date":
        return f"{label} is not valid"
    if dates.is_real_day(error.instance):
        return f"{label} must be a date {dates.RANGE_TEXT}"
    return f"{label} must be a real date"


def _message(error: ValidationError, schema: Mapping[str, Any]) -> FieldError:
    props = schema.get("properties", {})
    if error.validator == "required":
        name = str(error.message.split("'")[1])
        return FieldError(name, required_message(name, props.get(name, {})))
    path = ".".join(str(p) for p in error.absolute_path) or "data"
    top = str(error.absolute_path[0]) if error.absolute_path else ""
    prop = props.get(top, {})
    name = label(top, prop) if top else "The form"
    messages = {
        "enum": f"Select a valid option for {_lower(name)}",
        "format": _format_message(name, error),
        "minLength": required_message(top, prop) if top else "Enter an answer",
        "maxLength": f"{name} must be {error.validator_value} characters or fewer",
        "type": f"{name} has the wrong type",
        "minItems": f"Select at least {error.validator_value} option for {_lower(name)}",
        "additionalProperties": f"Unexpected field: {error.message}",
        "minimum": f"{name} must be {error.validator_value} or more",
        "maximum": f"{name} must be {error.validator_value} or less",
    }
    if error.validator in ("enum", "not") and isinstance(error.schema, Mapping) and error.schema.get("x-enum-message"):
        return FieldError(path, str(error.schema["x-enum-message"]))
    return FieldError(path, prop.get("x-error-message") or messages.get(str(error.validator), error.message))


def validate(schema: Mapping[str, Any], data: Mapping[str, Any]) -> list[FieldError]:
    """Errors in field order, one per field. Keys the form does not declare are refused: they would otherwise
    become workflow variables (and could overwrite case facts such as status or level)."""
    validator = Validator(schema, format_checker=_FORMAT_CHECKER)
    found = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    declared = schema.get("properties", {})
    errors = [FieldError(key, "Unexpected field: this form does not ask for it") for key in data if key not in declared]
    errors += [e for e in date_errors(schema, data) if e.field not in {f.path[0] for f in found if f.path}]
    seen: set[str] = {e.field for e in errors}
    for error in (_message(e, schema) for e in found):
        if error.field not in seen and not error.message.startswith("Unexpected field"):
            seen.add(error.field)
            errors.append(error)
    order = {name: i for i, (name, _) in enumerate(fields(schema))}
    return sorted(errors, key=lambda e: order.get(e.field.split(".")[0], len(order)))


# -- dates that must be in the future or the past (``x-date``) ----------------------------------------------------
def date_errors(schema: Mapping[str, Any], data: Mapping[str, Any], today: date | None = None) -> list[FieldError]:
    """Dates on the wrong side of today, or implausibly far ahead, for the fields whose ``x-date`` says so."""
    errors = []
    props = dict(fields(schema))
    for name, prop in props.items():
        when = prop.get("x-date")
        day = dates.parse_day(data.get(name)) if when in ("future", "past") else None
        message = _date_message(label(name, prop), str(when), day, today or clock.today()) if day else None
        message = message or _order_message(name, prop, props, data) or _age_message(name, props, data, today)
        if message:
            errors.append(FieldError(name, message))
    return errors


def on_or_after(form_key: str, name: str, data: Mapping[str, Any], start: date | datetime | None,
                since: str) -> list[FieldError]:
    """The date answered in ``name`` is on or after ``start``, a day the service recorded and the form does not ask
    (the day a disclosure was decided, a referral approved; an instant counts by its day in London): what was done
    is never dated before what it follows. ``since`` says what happened then; the field's title is the shipped
    form's ``form_key``."""
    day = dates.parse_day(data.get(name))
    first = dates.to_london(start).date() if isinstance(start, datetime) else start
    if day is None or first is None or day >= first:
        return []
    title = label(name, load_form(form_key)["properties"].get(name, {}))
    return [FieldError(name, f"{title} must be on or after {dates.long_date(first)}, {since}")]


def _age_message(name: str, props: Mapping[str, Any], data: Mapping[str, Any], today: date | None) -> str | None:
    """``x-min-age``: a date of birth at least that many years ago (the age of criminal responsibility is 10).
    ``x-max-age``: a date of birth less than that many years before the day in the date field ``x-age-on`` (today
    without one): the person is under that age then (a child is under 18); ``x-max-age-message`` says so in the
    form's words."""
    prop = props[name]
    least, most, other = int(prop.get("x-min-age") or 0), int(prop.get("x-max-age") or 0), prop.get("x-age-on")
    born = dates.parse_day(data.get(name)) if least or most else None
    if born is None:
        return None
    if least and born > _years_after(today or clock.today(), -least):
        return f"{label(name, prop)} must be at least {least} years ago"
    on = dates.parse_day(data.get(other)) if other else today or clock.today()
    if not most or on is None or born > _years_after(on, -most):
        return None
    when = f"before the {label(other, props.get(other, {})).lower()}" if other else "ago"
    return str(prop.get("x-max-age-message") or f"{label(name, prop)} must be less than {most} years {when}")


def _order_message(name: str, prop: Mapping[str, Any], props: Mapping[str, Any], data: Mapping[str, Any]) -> str | None:
    """``x-after``: the field's date comes after each date field it names, when both are given (a licence ends
    after the sentence, which comes after the birth)."""
    day = dates.parse_day(data.get(name)) if prop.get("x-after") else None
    for other in prop.get("x-after", []) if day else []:
        earlier = dates.parse_day(data.get(other))
        if earlier is not None and day is not None and day <= earlier:
            return f"{label(name, prop)} must be after the {label(other, props.get(other, {})).lower()}"
    return None


def _date_message(label: str, when: str, day: date, today: date) -> str | None:
    if when == "future" and day < today:
        return f"{label} must be today or in the future"
    if when == "future" and day > _years_after(today, FUTURE_YEARS):
        return f"{label} must be within the next {FUTURE_YEARS} years"
    if when == "past" and day > today:
        return f"{label} must be today or in the past"
    return None


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# -- answers asked only after another answer (conditional reveals) -------------------------------------------------
@dataclass(frozen=True)
class Reveal:
    """``field`` is asked only when the radios ``under`` are answered ``value`` (as the form posts it)."""

    field: str
    under: str
    value: str


def option_value(value: Any) -> str:
    """An answer as the form posts it: ``true``/``false`` for booleans, else the value as text."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def reveals(schema: Mapping[str, Any]) -> dict[str, Reveal]:
    """Fields an ``if``/``then`` requires only when one radio field has one value, and nowhere else. A field that
    several answers need (or that is always required) is always asked, so nobody can lose what they typed."""
    found: dict[str, list[Reveal]] = {}
    for part in schema.get("allOf", []):
        condition = _single_answer(schema, part)
        if condition is None:
            continue
        for name in (part.get("then") or {}).get("required", []):
            found.setdefault(name, []).append(Reveal(name, *condition))
    always = set(schema.get("required", []))
    props = schema.get("properties", {})
    return {name: found[name][0] for name in found
            if len(found[name]) == 1 and name not in always and name in props and found[name][0].under != name}


def _single_answer(schema: Mapping[str, Any], part: Any) -> tuple[str, str] | None:
    tested = (part.get("if") or {}).get("properties", {}) if isinstance(part, Mapping) else {}
    if len(tested) != 1:
        return None
    [(under, test)] = tested.items()
    values = [test["const"]] if "const" in test else test.get("enum", [])
    prop = schema.get("properties", {}).get(under, {})
    if len(values) != 1 or widget(prop) != "radios" or option_value(values[0]) not in dict(options(prop)):
        return None  # no single radio answer to reveal it under (or the answer is not offered): always asked
    return under, option_value(values[0])


def hidden(schema: Mapping[str, Any], data: Mapping[str, Any]) -> set[str]:
    """The fields not asked given these answers (the answer that reveals them was not given)."""
    return {name for name, reveal in reveals(schema).items()
            if reveal.under not in data or option_value(data[reveal.under]) != reveal.value}


def drop_hidden(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The answers without those to fields that were not asked: they are ignored, never stored."""
    unasked = hidden(schema, data)
    return {key: value for key, value in data.items() if key not in unasked}
