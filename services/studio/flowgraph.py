"""Unreachable and dead-end elements of a BPMN process, container by container (process, sub-process)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from services.studio.findings import Finding, error

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CONTAINERS = ("process", "subProcess", "transaction")
FLOW_NODES = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess", "startEvent", "endEvent", "boundaryEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
    "eventBasedGateway", "complexGateway",
})


def local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _has(node: etree._Element, definition: str) -> bool:
    return node.find(f"{BPMN}{definition}") is not None


def _link_name(node: etree._Element) -> str | None:
    link = node.find(f"{BPMN}linkEventDefinition")
    return link.get("name") if link is not None else None


def _exempt(node: etree._Element) -> bool:
    """Started by an event or a compensation, not by a sequence flow."""
    return (node.get("isForCompensation") == "true" or node.get("triggeredByEvent") == "true"
            or local(node) in ("startEvent", "boundaryEvent"))


def _container_findings(file: str, container: etree._Element) -> Iterator[Finding]:
    nodes = {n.get("id"): n for n in container if local(n) in FLOW_NODES and n.get("id")}
    outgoing: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    incoming: set[str] = set()
    for flow in container.iterchildren(f"{BPMN}sequenceFlow"):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source in outgoing and target in nodes:
            outgoing[source].append(target)
            incoming.add(target)
    starts = [i for i, n in nodes.items() if local(n) == "startEvent" and n.getparent() is container]
    if not starts:  # no start event: every element without an incoming flow starts (BPMN implicit start)
        starts = [i for i, n in nodes.items() if i not in incoming and not _exempt(n)]
    attached: dict[str, list[str]] = {}
    catches: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        if local(node) == "boundaryEvent":
            attached.setdefault(node.get("attachedToRef", ""), []).append(node_id)
        if local(node) == "intermediateCatchEvent" and _link_name(node):
            catches.setdefault(_link_name(node) or "", []).append(node_id)
    reached, queue = set(starts), list(starts)
    while queue:
        node_id = queue.pop()
        node = nodes[node_id]
        following = outgoing[node_id] + attached.get(node_id, [])
        if local(node) == "intermediateThrowEvent" and _link_name(node):
            following += catches.get(_link_name(node) or "", [])
        for nxt in following:
            if nxt not in reached:
                reached.add(nxt)
                queue.append(nxt)
    for node_id, node in nodes.items():
        label = f"'{node.get('name') or node_id}'"
        if node_id not in reached and not _exempt(node):
            yield error(file, node_id, f"{label} cannot be reached from a start event", "flow")
        ends_here = local(node) == "endEvent" or (local(node) == "intermediateThrowEvent" and _link_name(node))
        compensation = _has(node, "compensateEventDefinition")
        by_event = node.get("isForCompensation") == "true" or node.get("triggeredByEvent") == "true"
        if not outgoing[node_id] and not ends_here and not compensation and not by_event:
            yield error(file, node_id, f"{label} has no outgoing sequence flow: the process stops there without an "
                                       "end event", "flow")


def flow_findings(file: str, root: etree._Element) -> list[Finding]:
    found: list[Finding] = []
    for container in root.iter(*(f"{BPMN}{c}" for c in CONTAINERS)):
        if local(container) == "process" and container.get("isExecutable") == "false":
            continue
        found.extend(_container_findings(file, container))
    return found
