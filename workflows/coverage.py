"""Which flow nodes of which process models have run: the test suite's BPMN coverage report."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODE_TAGS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "task", "userTask",
    "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask", "receiveTask", "callActivity",
    "subProcess", "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
}


class FlowNodeCoverage:
    def __init__(self) -> None:
        self.reached: dict[str, set[str]] = defaultdict(set)
        self.enabled = False

    def hit(self, process_id: str, bpmn_id: str) -> None:
        if self.enabled:
            self.reached[process_id].add(bpmn_id)

    def report(self, model_files: list[Path]) -> tuple[int, int, dict[str, list[str]]]:
        """(reached, total, {process_id: [missed node ids]}) over the given .bpmn files."""
        total = reached = 0
        missed: dict[str, list[str]] = {}
        for path in model_files:
            tree = etree.parse(str(path))
            for process in tree.iter(f"{{{BPMN_NS}}}process"):
                pid = process.get("id")
                nodes = [el.get("id") for el in process.iter() if etree.QName(el).localname in FLOW_NODE_TAGS]
                hit = [n for n in nodes if n in self.reached.get(pid, set())]
                total += len(nodes)
                reached += len(hit)
                gaps = sorted(set(nodes) - set(hit))
                if gaps:
                    missed[pid] = gaps
        return reached, total, missed


COVERAGE = FlowNodeCoverage()
