"""BPMN coverage of the test suite: which flow nodes were reached and which gateway flows were taken.

The engine hands every instance it saves to ``COVERAGE.observe``; when enabled (the test suite), it walks the task
tree. A node counts once a task for it is READY, STARTED, COMPLETED or in ERROR (armed timers and unfired boundary
events do not count). A gateway's outgoing flow counts once a child of the completed gateway task reached the flow's
target: SpiffWorkflow drops the branches not taken from the tree, so the children left are the branches taken.
For an event-based gateway the child must have fired (a WAITING catch event is only armed).

Only the models given to ``count_only`` are counted (the shipped ones, by checksum), and nothing while
``paused()`` (demo data loading).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from lxml import etree
from SpiffWorkflow.util.task import TaskState

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
GATEWAY_TAGS = frozenset(
    {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
)
FLOW_NODE_TAGS = GATEWAY_TAGS | {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
}
SCOPE_TAGS = frozenset({"process", "subProcess"})
REACHED = TaskState.READY | TaskState.STARTED | TaskState.COMPLETED | TaskState.ERROR
# a definite child of a completed gateway that has not run (yet): a token arrived there
ARRIVED = TaskState.WAITING | TaskState.CANCELLED
_BOUNDARY_SPLIT = ".BoundaryEventSplit"

_paused: ContextVar[bool] = ContextVar("mappa_coverage_paused", default=False)


@dataclass(frozen=True)
class MissedFlow:
    process_id: str
    flow_id: str
    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.flow_id} ({self.source} -> {self.target})"


@dataclass
class CoverageReport:
    nodes_reached: int = 0
    nodes_total: int = 0
    flows_taken: int = 0
    flows_total: int = 0
    missed_nodes: dict[str, list[str]] = field(default_factory=dict)
    missed_flows: list[MissedFlow] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.nodes_reached == self.nodes_total and self.flows_taken == self.flows_total

    def lines(self) -> list[str]:
        out = [
            f"BPMN flow nodes reached: {_ratio(self.nodes_reached, self.nodes_total)}",
            f"BPMN gateway flows taken: {_ratio(self.flows_taken, self.flows_total)}",
        ]
        out += [f"  node not reached in {pid}: {', '.join(nodes)}" for pid, nodes in self.missed_nodes.items()]
        out += [f"  flow not taken in {flow.process_id}: {flow}" for flow in self.missed_flows]
        return out


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / max(whole, 1):.1f}%)"


class BpmnCoverage:
    def __init__(self) -> None:
        self.enabled = False
        self.nodes: dict[str, set[str]] = defaultdict(set)
        self.flows: dict[str, set[tuple[str, str]]] = defaultdict(set)  # (gateway id, target id): the child ran
        self.arrivals: dict[str, set[tuple[str, str]]] = defaultdict(set)  # the child is waiting or was cancelled
        self._only: frozenset[str] | None = None
        self._models: WeakKeyDictionary[Any, str] = WeakKeyDictionary()

    def count_only(self, checksums: Iterable[str]) -> None:
        """Count only instances of these model versions (by checksum)."""
        self._only = frozenset(checksums)

    def track(self, wf: Any, checksum: str) -> None:
        """Remember which model version an instance runs (called when the engine starts or loads one)."""
        if self.enabled:
            self._models[wf] = checksum

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Count nothing in this block (this thread or task only): demo loading is not a test."""
        token = _paused.set(True)
        try:
            yield
        finally:
            _paused.reset(token)

    def observe(self, wf: Any) -> None:
        if not self.enabled or _paused.get():
            return
        if self._only is not None and self._models.get(wf) not in self._only:
            return
        for task in wf.get_tasks(state=TaskState.ANY_MASK):
            self._observe_task(task)

    def _observe_task(self, task: Any) -> None:
        process_id = task.workflow.spec.name
        bpmn_id = task.task_spec.bpmn_id
        if bpmn_id and task.state & REACHED:
            self.nodes[process_id].add(bpmn_id)
        parent = task.parent
        source = parent.task_spec.bpmn_id if parent is not None and parent.state == TaskState.COMPLETED else None
        target = _target_id(task.task_spec)
        if source and target:
            if task.state & REACHED:
                self.flows[process_id].add((source, target))
            elif task.state & ARRIVED:
                self.arrivals[process_id].add((source, target))

    def report(self, model_files: Iterable[Path]) -> CoverageReport:
        """Nodes reached and gateway flows taken over the top-level processes of the given .bpmn files."""
        report = CoverageReport()
        for path in model_files:
            for process in etree.parse(str(path)).iter(f"{{{BPMN_NS}}}process"):
                self._report_process(process, report)
        return report

    def _report_process(self, process: Any, report: CoverageReport) -> None:
        pid = process.get("id")
        scopes = [pid] + [el.get("id") for el in process.iter(f"{{{BPMN_NS}}}subProcess")]
        nodes = set().union(*(self.nodes.get(s, set()) for s in scopes))
        flows = set().union(*(self.flows.get(s, set()) for s in scopes))
        arrivals = set().union(*(self.arrivals.get(s, set()) for s in scopes))
        elements = {el.get("id"): el for el in process.iter() if _tag(el) in FLOW_NODE_TAGS}
        report.nodes_total += len(elements)
        report.nodes_reached += len(elements.keys() & nodes)
        if elements.keys() - nodes:
            report.missed_nodes[pid] = sorted(elements.keys() - nodes)
        for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            source = elements.get(flow.get("sourceRef"))
            if source is None or _tag(source) not in GATEWAY_TAGS:
                continue
            edge = (flow.get("sourceRef"), flow.get("targetRef"))
            taken = edge in flows or (_tag(source) != "eventBasedGateway" and edge in arrivals)
            report.flows_total += 1
            if taken:
                report.flows_taken += 1
            else:
                target = elements.get(edge[1])
                report.missed_flows.append(MissedFlow(pid, flow.get("id"), _name(source), _name(target, edge[1])))


def _target_id(spec: Any) -> str | None:
    """The BPMN id of the node a task stands for; a task with boundary events is reached through a hidden split."""
    if spec.bpmn_id:
        return str(spec.bpmn_id)
    name = str(spec.name)
    return name[: -len(_BOUNDARY_SPLIT)] if name.endswith(_BOUNDARY_SPLIT) else None


def _tag(element: Any) -> str:
    return str(etree.QName(element).localname)


def _name(element: Any, fallback: str = "") -> str:
    if element is None:
        return fallback
    return str(element.get("name") or element.get("id"))


COVERAGE = BpmnCoverage()
