"""Compare two versions of a process model (or a draft with a version): what was added, removed and changed.

Elements are matched by id; a step whose id changed but which SpiffWorkflow's own diff aligns by its place in the
graph (workflows.migration.renamed_steps) is one changed element, not a removal and an addition. Forms are compared
field by field: a version's own ``forms/<key>.json`` files, or else the shipped form its user tasks name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.catalogue import BPMN_DIR
from services.errors import FieldError, NotFound, ValidationFailed
from services.instances import ENGINE
from services.models import ProcessModel
from services.studio import drafts
from services.studio.elements import REFERENCES, Element, read
from workflows.migration import renamed_steps
from workflows.registry import ModelError, parse_model

FORMS_DIR = BPMN_DIR.parent / "forms"
FORM_PREFIX = "forms/"
CHANGE_KINDS = ("added", "removed", "changed")  # what a Change says of its element
LONG = 60  # longer values (scripts, documentation) are said to have changed, not quoted


@dataclass(frozen=True)
class Change:
    id: str
    type: str
    name: str
    change: str  # added, removed, changed
    details: list[str]
    fields: list[Change] | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "type": self.type, "name": self.name, "change": self.change,
                                "details": self.details}
        if self.fields is not None:
            body["fields"] = [f.as_json() for f in self.fields]
        return body


@dataclass(frozen=True)
class Comparison:
    elements: list[Change]
    forms: list[Change]

    def as_json(self) -> dict[str, Any]:
        return {"elements": [c.as_json() for c in self.elements], "forms": [c.as_json() for c in self.forms]}


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return f"'{text}'"


def _named(facts: dict[str, str], elements: dict[str, Element]) -> dict[str, str]:
    """Facts as a reader sees them: an element named by its name, not its id."""
    return {k: (elements[v].name or v if k in REFERENCES and v in elements else v) for k, v in facts.items()}


def _element_changes(old: Element | None, new: Element, old_all: dict[str, Element],
                     new_all: dict[str, Element]) -> list[str]:
    before = {"name": old.name, **old.facts} if old else {}
    after = {"name": new.name, **new.facts} if old else dict(new.facts)
    same = {k for k in before.keys() & after.keys() if before[k] == after[k]}
    shown_before, shown_after = _named(before, old_all), _named(after, new_all)
    if old is None:
        return [f"{k}: {_show(v)}" if len(_show(v)) <= LONG else k for k, v in shown_after.items()]
    return _fact_changes({k: v for k, v in shown_before.items() if k not in same},
                         {k: v for k, v in shown_after.items() if k not in same})


def _fact_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    details = []
    for key in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if before is None:
            details.append(f"{key} added: {_show(after)}" if len(_show(after)) <= LONG else f"{key} added")
        elif after is None:
            details.append(f"{key} removed (was {_show(before)})" if len(_show(before)) <= LONG else f"{key} removed")
        elif max(len(_show(before)), len(_show(after))) > LONG or "\n" in f"{before}{after}":
            details.append(f"{key} changed")
        else:
            details.append(f"{key}: {_show(before)} -> {_show(after)}")
    return details


def compare_elements(old: dict[str, Element], new: dict[str, Element], renamed: dict[str, str]) -> list[Change]:
    changes = []
    for ident, before in old.items():
        after = new.get(renamed.get(ident, ident))
        if after is None:
            changes.append(Change(ident, before.type, before.name, "removed", []))
            continue
        details = [f"id: '{ident}' -> '{after.id}'"] if after.id != ident else []
        details += [f"type: {before.type} -> {after.type}"] if after.type != before.type else []
        details += _element_changes(before, after, old, new)
        if details:
            changes.append(Change(after.id, after.type, after.name, "changed", details))
    matched = {renamed.get(i, i) for i in old}
    changes += [Change(i, e.type, e.name, "added", _element_changes(None, e, old, new)) for i, e in new.items()
                if i not in matched]
    order = {"removed": 0, "changed": 1, "added": 2}
    return sorted(changes, key=lambda c: (order[c.change], c.id))


def _forms(files: dict[str, bytes], elements: dict[str, Element]) -> dict[str, dict[str, Any]]:
    """The forms this version's user tasks use: its own form files, else the shipped ones."""
    own = {name.removeprefix(FORM_PREFIX).removesuffix(".json"): _schema(name, data) for name, data in files.items()
           if name.startswith(FORM_PREFIX) and name.endswith(".json")}
    for key in {e.facts["form"] for e in elements.values() if e.facts.get("form")} - own.keys():
        path = FORMS_DIR / f"{key}.json"
        if key.replace("_", "").isalnum() and path.is_file():
            own[key] = json.loads(path.read_text())
    return own


def _schema(name: str, data: bytes) -> dict[str, Any]:
    try:
        schema = json.loads(data)
    except ValueError:
        schema = None
    if not isinstance(schema, dict):
        raise ValidationFailed([FieldError(name, "This form is not a JSON object, so it cannot be compared")])
    return schema


def _field_facts(schema: dict[str, Any], name: str) -> dict[str, Any]:
    facts = dict(schema.get("properties", {}).get(name, {}))
    facts["required"] = "yes" if name in schema.get("required", []) else "no"
    return facts


def compare_form(key: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> Change | None:
    if old is None or new is None:
        schema = new if old is None else old
        assert schema is not None
        return Change(key, "form", str(schema.get("title", key)), "added" if old is None else "removed", [])
    details = _fact_changes({k: v for k, v in old.items() if k != "properties"},
                            {k: v for k, v in new.items() if k != "properties"})
    fields = []
    before, after = old.get("properties", {}), new.get("properties", {})
    for name in [*before, *(n for n in after if n not in before)]:
        title = str((after.get(name) or before.get(name) or {}).get("title", name))
        if name not in after or name not in before:
            fields.append(Change(name, "field", title, "removed" if name not in after else "added", []))
        elif found := _fact_changes(_field_facts(old, name), _field_facts(new, name)):
            fields.append(Change(name, "field", title, "changed", found))
    if not details and not fields:
        return None
    return Change(key, "form", str(new.get("title", key)), "changed", details, fields)


def _renamed(process_id: str, old: dict[str, bytes], new: dict[str, bytes]) -> dict[str, str]:
    try:
        return renamed_steps(ENGINE, parse_model(process_id, old), parse_model(process_id, new))
    except ModelError:
        return {}  # a draft that does not parse yet: elements are matched by id alone


def compare(process_id: str, old: dict[str, bytes], new: dict[str, bytes]) -> Comparison:
    old_elements, new_elements = read(old), read(new)
    elements = compare_elements(old_elements, new_elements, _renamed(process_id, old, new))
    old_forms, new_forms = _forms(old, old_elements), _forms(new, new_elements)
    forms = [compare_form(key, old_forms.get(key), new_forms.get(key)) for key in sorted(old_forms | new_forms)]
    return Comparison(elements, [f for f in forms if f is not None])


def version_row(process_id: str, version: int, field: str) -> ProcessModel:
    """The version asked for in a request's ``field`` (a 422 naming the field when there is none)."""
    try:
        return drafts.version_row(process_id, version)
    except NotFound as err:
        raise ValidationFailed([FieldError(field, err.message)]) from None


def is_model(process_id: str) -> bool:
    return drafts.latest_version(process_id) is not None


def _model(process_id: str) -> None:
    if not is_model(process_id):
        raise NotFound(f"no process model {process_id!r}")


def compare_versions(process_id: str, from_version: int, to_version: int) -> Comparison:
    _model(process_id)
    old, new = version_row(process_id, from_version, "from"), version_row(process_id, to_version, "to")
    return compare(process_id, drafts.version_files(process_id, old.version),
                   drafts.version_files(process_id, new.version))


def compare_draft(process_id: str, from_version: int, draft_id: int) -> Comparison:
    """A draft compared with a published version (usually the one it was started from)."""
    _model(process_id)
    old = version_row(process_id, from_version, "from")
    draft = drafts.load_draft(draft_id, process_id)
    return compare(process_id, drafts.version_files(process_id, old.version), drafts.draft_files(draft))
