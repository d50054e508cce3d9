"""A check's finding: which file and element, how serious, and what is wrong."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

Severity = Literal["error", "warning"]  # an error stops publishing; a warning does not
SEVERITIES: tuple[str, ...] = get_args(Severity)


@dataclass(frozen=True)
class Finding:
    file: str
    element_id: str | None
    severity: Severity
    message: str
    kind: str = "model"  # xml, parse, lane, form, gateway, timer, due, flow, script, hook, data

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def error(file: str, element_id: str | None, message: str, kind: str) -> Finding:
    return Finding(file, element_id, "error", message, kind)


def warning(file: str, element_id: str | None, message: str, kind: str) -> Finding:
    return Finding(file, element_id, "warning", message, kind)
