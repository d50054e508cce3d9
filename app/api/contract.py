"""One declaration per API contract: a JSON Schema model per body, query and response, and ``@operation``.

``Model`` names a JSON Schema (draft 2020-12) once: it is the validator of the request (compiled once, checked
with the ``jsonschema`` library) and the ``components/schemas`` entry of ``/api/v1/openapi.json``. ``@operation``
registers a Flask route with its guard, validates the body and query string against their models (a 422 naming
each field path, one GOV.UK-style message per field) and records the operation, from which the document's
``paths`` are generated. Schema extensions: ``x-required-message`` and ``x-enum-message`` (the forms' own) and
``x-error-path: parent`` (report a member's error on the value that holds it). Domain rules that need the database
stay in services and still answer 422 on their field; vocabularies are read from their one home (services,
workflows.lanes) into ``enum``s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.api.body import json_object
from app.routing import MAX_ID, parse_id
from app.security import api_requires, public
from services import dates
from services.errors import FieldError, ValidationFailed
from services.text import Validator
from services.vocabulary import field_label

Schema = dict[str, Any]
COMPONENTS = "#/components/schemas/"
_URI = "urn:mappa-flow:api"
_FORMATS = FormatChecker(formats=[])


@_FORMATS.checks("date")
def _is_day(value: object) -> bool:
    return not isinstance(value, str) or dates.parse_day(value) is not None


ERROR_RESPONSES = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 412: "PreconditionFailed",
                   413: "TooLarge", 422: "Invalid", 428: "PreconditionRequired", 429: "TooManyRequests"}

# Every named schema: the document's components/schemas, and what a $ref in a model resolves to.
SCHEMAS: dict[str, Schema] = {}
_registry: Registry[Any] = Registry()


def ref(name: str) -> Schema:
    return {"$ref": COMPONENTS + name}


def nullable(kind: str, **extra: Any) -> Schema:
    return {"type": [kind, "null"], **extra}


class Model:
    """A named JSON Schema: registered as a component once, compiled once, used to validate and to document."""

    def __init__(self, name: str, schema: Schema, *, null_is_absent: bool = False) -> None:
        if name in SCHEMAS:
            raise ValueError(f"schema {name} declared twice")
        Draft202012Validator.check_schema(schema)
        self.name, self.schema = name, schema
        SCHEMAS[name] = schema
        self._validator: Any = None
        self.null_is_absent = null_is_absent  # members sent as null count as not given (dropped before checks)

    @property
    def ref(self) -> Schema:
        return ref(self.name)

    def validator(self) -> Any:
        """Built on first use (every component is registered by then), then kept."""
        if self._validator is None:
            global _registry
            if _URI not in _registry:
                _registry = Registry().with_resource(_URI, DRAFT202012.create_resource(
                    {"components": {"schemas": SCHEMAS}}))
            # A schema without references is checked as it is: resolving a root $ref costs on every request.
            root = {"$ref": f"{_URI}{COMPONENTS}{self.name}"} if "$ref" in json.dumps(self.schema) else self.schema
            self._validator = Validator(root, registry=_registry, format_checker=_FORMATS)
        return self._validator

    def errors(self, data: Any, prefix: str = "") -> list[FieldError]:
        """Unexpected fields first (in the order sent), then one error per field in path order."""
        found = list(self.validator().iter_errors(data))
        if not found:
            return []
        found.sort(key=lambda e: [str(p) for p in e.absolute_path])
        unexpected = [e for e in found if e.validator == "additionalProperties"]
        order = {name: i for i, name in enumerate(self.schema.get("properties", {}))}
        fields = sorted((_field_error(self.schema, e, prefix) for e in found if e.validator != "additionalProperties"),
                        key=lambda f: order.get(f.field.removeprefix(prefix).split(".")[0], len(order)))
        errors = [error for e in unexpected for error in _unexpected(e, prefix)] + fields
        seen: dict[str, FieldError] = {}
        for error in errors:
            seen.setdefault(error.field, error)
        return list(seen.values())

    def load(self, data: Any) -> Any:
        if self.null_is_absent:
            data = _without_nulls(data)
        errors = self.errors(data)
        if errors:
            raise ValidationFailed(errors)
        return data


def _without_nulls(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _without_nulls(value) for key, value in data.items() if value is not None}
    return data


# --- messages ----------------------------------------------------------------------------------------------------

_KINDS = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
          "object": "a JSON object", "array": "a list", "null": "null"}


def _path(parts: Iterable[Any], prefix: str = "") -> str:
    return prefix + ".".join(str(p) for p in parts)


def _resolve(schema: Any) -> Schema:
    while isinstance(schema, Mapping) and "$ref" in schema:
        schema = SCHEMAS[str(schema["$ref"]).removeprefix(COMPONENTS)]
    return dict(schema) if isinstance(schema, Mapping) else {}


def _declared(root: Schema, path: list[Any]) -> Schema:
    """The schema declared for the member at ``path`` ({} when there is none)."""
    schema = _resolve(root)
    for part in path:
        if isinstance(part, int):
            schema = _resolve(schema.get("items", {}))
        else:
            schema = _resolve(schema.get("properties", {}).get(part, {}))
    return schema


def _label(root: Schema, path: list[Any]) -> str:
    """What a member is called: its declared title (a form field's) unless a question, else services.vocabulary."""
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return "The body"
    title = _declared(root, path).get("title")
    return str(title) if title and not str(title).endswith("?") else field_label(names[-1])


def _unexpected(error: ValidationError, prefix: str) -> list[FieldError]:
    declared = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    return [FieldError(_path([*error.absolute_path, key], prefix), "Unexpected field") for key in instance
            if key not in declared]


def _kinds(expected: Any) -> str:
    kinds = [expected] if isinstance(expected, str) else list(expected)
    return " or ".join(_KINDS.get(kind, kind) for kind in kinds)


_REQUIRED = re.compile(r"^'(.+)' is a required property$")


def _field_error(root: Schema, error: ValidationError, prefix: str) -> FieldError:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = _REQUIRED.match(error.message)
        name = missing.group(1) if missing else ""
        return FieldError(_path([*path, name], prefix), _enter(root, [*path, name]))
    declared = _declared(root, path)
    if declared.get("x-error-path") == "parent":  # a member of a value that is checked as a whole (level_decision)
        path = path[:-1]
    if error.validator in ("enum", "const") and declared.get("x-enum-message"):
        return FieldError(_path(path, prefix) or "body", str(declared["x-enum-message"]))
    return FieldError(_path(path, prefix) or "body", _message(root, path, error))


def _message(root: Schema, path: list[Any], error: ValidationError) -> str:
    name, value, keyword = _label(root, path), error.validator_value, str(error.validator)
    if keyword == "type":
        return f"{name} must be {_kinds(value)}"
    if keyword == "enum" and isinstance(value, list):
        return f"{name} must be one of {', '.join(str(v) for v in value if v is not None)}"
    if keyword in ("minLength", "pattern"):
        return _enter(root, path)
    if keyword == "format":
        return f"{name} must be a real date" if not dates.is_real_day(error.instance) else \
            f"{name} must be a date {dates.RANGE_TEXT}"
    words = {"const": "must be", "maxLength": "must be at most", "minimum": "must be at least",
             "maximum": "must be at most", "maxItems": "must have at most"}
    if keyword in words:
        unit = " characters" if keyword == "maxLength" else " items" if keyword == "maxItems" else ""
        return f"{name} {words[keyword]} {value}{unit}"
    return f"{name} is not valid"


def _enter(root: Schema, path: list[Any]) -> str:
    declared = _declared(root, path)
    return str(declared.get("x-required-message") or f"Enter {_lower(_label(root, path))}")


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:] if label[1:2].islower() or len(label) == 1 else label


# --- query strings ---------------------------------------------------------------------------------------------------

def _query_value(raw: str, schema: Schema) -> Any:
    """A query string value as the JSON its schema declares (left as text when it is not one: the model says so)."""
    kinds = schema.get("type", "string")
    if "integer" in kinds:
        number = parse_id(raw) if not raw.startswith("-") else None
        return raw if number is None else number
    if "boolean" in kinds and raw in ("true", "false"):
        return raw == "true"
    return raw


def query_values(model: Model) -> dict[str, Any]:
    """The declared query parameters given (empty ones count as not given), typed by the model."""
    properties = model.schema["properties"]
    given = {name: _query_value(request.args[name].strip(), schema) for name, schema in properties.items()
             if request.args.get(name, "").strip()}
    if model.schema.get("additionalProperties") is False:  # unknown parameters are refused, by name
        given |= {name: request.args[name] for name in request.args if name not in properties}
    return given


# --- operations ------------------------------------------------------------------------------------------------------

Response = Model | Schema | str  # a model, an inline schema (documents, attachments), or a description only


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    view: str
    summary: str
    tag: str
    permission: str | None
    description: str | None = None
    body: Model | None = None
    query: Model | None = None
    responses: Mapping[int, Any] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    parameters: tuple[Schema, ...] = ()
    request_body: Schema | None = None
    optional_body: bool = False


OPERATIONS: list[Operation] = []
PATH_PARAMS = {"case_id": "Case id", "task_id": "Task id", "meeting_id": "MAPP meeting id", "token_id": "API token id",
               "key": "Process id (the model's key), e.g. mappa_referral", "n": "Version number",
               "draft_id": "Draft id", "trial_id": "Trial id",
               "name": "File name, e.g. referral.bpmn or forms/referral.json"}


def operation(bp: Blueprint, method: str, rule: str, *, summary: str, tag: str, permission: str | None,
              write: str | None = None, description: str | None = None, body: Model | None = None,
              query: Model | None = None, responses: Mapping[int, Any], errors: tuple[int, ...] = (),
              parameters: tuple[Schema, ...] = (), wrap: Callable[..., Any] | None = None,
              optional_body: bool = False, check_query: bool = True, request_body: Schema | None = None,
              ) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """Route ``rule`` to the view behind its guard (``permission``; None: public), validating the JSON body
    (passed as ``body``; ``optional_body``: no body is ``{}``) and the query string (passed as ``query``) first;
    ``wrap`` goes between (``idempotent``). ``check_query=False``: the query is documented by its model but parsed
    by the view with the parser the web page shares. ``request_body``: a body that is not JSON (an upload)."""

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @wraps(view)
        def validated(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if query is not None and check_query:
                kwargs["query"] = query.load(query_values(query))
            if body is not None:
                kwargs["body"] = body.load({} if optional_body and not request.content_length else json_object())
            return view(*args, **kwargs)

        inner = wrap(validated) if wrap is not None else validated
        guarded = public(inner) if permission is None else api_requires(permission, write=write)(inner)
        bp.add_url_rule(rule, view.__name__, guarded, methods=[method])
        OPERATIONS.append(Operation(method.lower(), rule, view.__name__, summary, tag, permission, description,
                                    body, query, responses, errors, parameters, request_body, optional_body))
        return guarded

    return decorate


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _media(response: Any, description: str) -> Schema:
    if isinstance(response, Model):
        return {"description": description, "content": {"application/json": {"schema": response.ref}}}
    return {"description": description, **response}


def error_responses(*statuses: int) -> Schema:
    """Error responses; an operation that takes a token (401) may also answer 429 (too many bad tokens)."""
    listed = (*statuses, 429) if 401 in statuses else statuses
    return {str(status): {"$ref": f"#/components/responses/{ERROR_RESPONSES[status]}"} for status in listed}


def _path_parameters(rule: str) -> list[Schema]:
    found = []
    for converter, name in re.findall(r"<(?:([^:<>]+):)?([^<>]+)>", rule):
        schema: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "int" else {
            "type": "string"}
        found.append({"name": name, "in": "path", "required": True, "description": PATH_PARAMS.get(name, name),
                      "schema": schema})
    return found


def _query_parameters(model: Model) -> list[Schema]:
    return [{"name": name, "in": "query", "required": name in model.schema.get("required", []),
             **({"description": schema["description"]} if "description" in schema else {}),
             "schema": {k: v for k, v in schema.items() if k != "description"}}
            for name, schema in model.schema["properties"].items()]


def _described(op: Operation) -> Schema:
    responses: Schema = {}
    for status, response in op.responses.items():
        if isinstance(response, tuple):
            model, description, *more = response
            responses[str(status)] = _media(model, description) | (more[0] if more else {})
        else:
            responses[str(status)] = _media(response, response.schema.get("description", "The answer")
                                            if isinstance(response, Model) else "The answer")
    described: Schema = {
        "operationId": _camel(op.view), "summary": op.summary, "tags": [op.tag],
        **({"description": op.description} if op.description else {}),
        "parameters": [*_path_parameters(op.rule), *(_query_parameters(op.query) if op.query else []),
                       *op.parameters],
        **({"requestBody": {"required": not op.optional_body,
                            "content": {"application/json": {"schema": op.body.ref}}}} if op.body else {}),
        **({"requestBody": op.request_body} if op.request_body else {}),
        "responses": error_responses(*op.errors, *((401, 403) if op.permission else ())) | responses,
    }
    if op.permission is None:
        described["security"] = []
    if not described["parameters"]:
        del described["parameters"]
    return described


def paths() -> dict[str, Schema]:
    """The document's ``paths`` from the declared operations (rules are relative to the server URL)."""
    found: dict[str, Schema] = {}
    for op in OPERATIONS:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", op.rule)
        found.setdefault(path, {})[op.method] = _described(op)
    return found
