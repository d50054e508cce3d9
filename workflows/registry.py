"""Model registry: parse a process model version once and keep the parsed specs in memory."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from workflows.lanes import UnknownLane, role_for_lane
from workflows.xmlsafety import UnsafeXml, parse_untrusted_xml


class ModelError(ValueError):
    """A process model cannot be used; the message names the file and element where known."""


@dataclass(frozen=True)
class StepDefinition:
    """What the app needs to know about one user task in a model."""

    bpmn_id: str
    name: str
    lane: str
    role: str
    form_key: str | None
    due_in: str | None  # ISO 8601 duration, or "<n>WD" working days, from the moment the task becomes ready
    due_expression: str | None  # expression over task data giving a date or instant
    assignee_expression: str | None  # expression over task data giving a username
    role_expression: str | None = None  # expression giving the role when the lane is only the default
    show_data: tuple[str, ...] = ()  # workflow data keys the step's page shows
    hook: str | None = None  # domain hook the services key on (declared, never matched on the BPMN id)


@dataclass
class ParsedModel:
    process_id: str
    checksum: str
    spec: Any
    subprocess_specs: dict[str, Any]
    steps: dict[str, StepDefinition] = field(default_factory=dict)


def checksum_of(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def _step_definitions(specs: list[Any]) -> dict[str, StepDefinition]:
    steps: dict[str, StepDefinition] = {}
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            props = (task_spec.extensions or {}).get("properties", {})
            try:
                role = role_for_lane(task_spec.lane)
            except UnknownLane as err:
                raise ModelError(f"user task '{task_spec.bpmn_name or task_spec.bpmn_id}': {err}") from None
            steps[task_spec.bpmn_id] = StepDefinition(
                bpmn_id=task_spec.bpmn_id,
                name=task_spec.bpmn_name or task_spec.bpmn_id,
                lane=task_spec.lane,
                role=role,
                form_key=props.get("formKey"),
                due_in=props.get("dueIn"),
                due_expression=props.get("dueExpression"),
                assignee_expression=props.get("assigneeExpression"),
                role_expression=props.get("roleExpression"),
                show_data=tuple(k.strip() for k in props.get("showData", "").split(",") if k.strip()),
                hook=props.get("hook") or None,
            )
    return steps


def parse_model(process_id: str, files: dict[str, bytes]) -> ParsedModel:
    """Parse one version of a model (its BPMN and DMN files; its forms are skipped) with a fresh parser."""
    parser = SpiffBpmnParser()
    try:
        for name, data in sorted(files.items()):
            if not name.endswith((".bpmn", ".dmn")):
                continue  # forms/<key>.json travel with the version; the engine does not read them
            tree = parse_untrusted_xml(data)
            if name.endswith(".dmn"):
                parser.add_dmn_xml(tree, filename=name)
            else:
                parser.add_bpmn_xml(tree, filename=name)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except UnsafeXml as err:
        raise ModelError(str(err)) from None
    except SpiffWorkflowException as err:
        raise ModelError(str(err)) from None
    except KeyError:
        raise ModelError(f"no executable process with id '{process_id}'") from None
    steps = _step_definitions([spec, *subprocess_specs.values()])
    return ParsedModel(process_id, checksum_of(files), spec, subprocess_specs, steps)


class ModelRegistry:
    """Parsed models keyed by checksum: a model version is parsed once per process."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], ParsedModel] = {}
        self._lock = threading.Lock()

    def get(self, process_id: str, files: dict[str, bytes], checksum: str | None = None) -> ParsedModel:
        key = (process_id, checksum or checksum_of(files))
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        parsed = parse_model(process_id, files)
        with self._lock:
            self._cache[key] = parsed
        return parsed

    def cached(self, process_id: str, checksum: str) -> ParsedModel | None:
        with self._lock:
            return self._cache.get((process_id, checksum))
