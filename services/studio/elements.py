"""What a reader of a diagram sees in each element, read from the BPMN and DMN files: the facts a comparison lists.

Each flow node, sequence flow and decision becomes an ``Element`` with readable facts (name, lane, form, due rule,
assignee, role, hook, conditions, timers, messages, scripts, documentation, incoming and outgoing flows, rules).
The diagram layout (BPMNDI) is not a fact: moving a shape changes nothing.
Facts that name another element (a flow's ends, a boundary event's host) hold its id (REFERENCES): renaming a
task does not change the flows into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from services.errors import FieldError, ValidationFailed
from workflows.xmlsafety import UnsafeXml, parse_untrusted_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# spiffworkflow:property name -> the fact it states
PROPERTIES = {"formKey": "form", "dueIn": "due rule", "dueExpression": "due rule", "assigneeExpression": "assignee",
              "roleExpression": "role", "hook": "hook", "showData": "data shown"}
SCRIPTS = {"script": "script", "preScript": "script before", "postScript": "script after"}
TIMERS = ("timeDate", "timeDuration", "timeCycle")
REFERENCES = ("from", "to", "attached to")
SKIPPED = {"laneSet", "documentation", "extensionElements", "incoming", "outgoing", "ioSpecification",
           "dataObject", "dataObjectReference", "property", "textAnnotation", "association"}


@dataclass
class Element:
    id: str
    type: str
    name: str
    file: str
    facts: dict[str, str] = field(default_factory=dict)


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _text(node: etree._Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


def read(files: dict[str, bytes]) -> dict[str, Element]:
    """Every element of every BPMN and DMN file, by id."""
    elements: dict[str, Element] = {}
    for name, data in sorted(files.items()):
        if name.endswith((".bpmn", ".dmn")):
            try:
                root = parse_untrusted_xml(data)
            except UnsafeXml as err:  # a draft may be saved unfinished; published versions always parse
                raise ValidationFailed([FieldError(name, f"This file cannot be compared: {err}")]) from None
            elements.update(_bpmn(name, root) if name.endswith(".bpmn") else _dmn(name, root))
    return elements


def _bpmn(file: str, root: etree._Element) -> dict[str, Element]:
    lanes = {_text(ref): lane.get("name") or lane.get("id", "")
             for lane in root.iter(f"{{{BPMN}}}lane") for ref in lane.findall(f"{{{BPMN}}}flowNodeRef")}
    found: dict[str, Element] = {}
    for scope in root.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess"):
        for node in scope:
            kind = _local(node)
            if kind and kind not in SKIPPED and node.get("id"):
                found[node.get("id", "")] = _element(file, node, kind, lanes)
    for flow in (e for e in found.values() if e.type == "sequenceFlow"):
        source, target = flow.facts.pop("source", ""), flow.facts.pop("target", "")
        flow.facts["from"], flow.facts["to"] = source, target
        for end, key in ((source, "outgoing flows"), (target, "incoming flows")):
            if end in found:
                listed = found[end].facts.get(key, "")
                found[end].facts[key] = ", ".join(sorted(filter(None, [*listed.split(", "), flow.id])))
    return found


def _element(file: str, node: etree._Element, kind: str, lanes: dict[str, str]) -> Element:
    ident = node.get("id", "")
    facts: dict[str, str] = {}
    if ident in lanes:
        facts["lane"] = lanes[ident]
    inner = [] if kind == "subProcess" else list(node.iter())  # a subprocess's own elements are listed apart
    for prop in (n for n in inner if n.tag == f"{{{SPIFF}}}property"):
        label = PROPERTIES.get(prop.get("name", ""), f"property {prop.get('name')}")
        facts[label] = prop.get("value", "")
    for child in inner:
        local = _local(child)
        if local in SCRIPTS and _text(child):
            facts[SCRIPTS[local]] = _text(child)
        elif local in TIMERS:
            facts["timer"] = f"{local} {_text(child)}"
        elif local == "messageEventDefinition":
            facts["message"] = child.get("messageRef", "")
        elif local == "signalEventDefinition":
            facts["signal"] = child.get("signalRef", "")
        elif local in ("calledDecisionId", "messageVariable"):
            facts[local] = _text(child)
    documentation = node.find(f"{{{BPMN}}}documentation")
    if _text(documentation):
        facts["documentation"] = _text(documentation)
    condition = node.find(f"{{{BPMN}}}conditionExpression")
    if _text(condition):
        facts["condition"] = _text(condition)
    for attribute, label in (("default", "default flow"), ("attachedToRef", "attached to"),
                             ("cancelActivity", "interrupting"), ("calledElement", "calls"),
                             ("sourceRef", "source"), ("targetRef", "target")):
        if node.get(attribute) is not None:
            facts[label] = node.get(attribute, "")
    return Element(ident, kind, node.get("name", ""), file, facts)


def _dmn(file: str, root: etree._Element) -> dict[str, Element]:
    found = {}
    for decision in (n for n in root.iter() if _local(n) == "decision"):
        facts = {}
        table = next((n for n in decision.iter() if _local(n) == "decisionTable"), None)
        if table is not None:
            facts["hit policy"] = table.get("hitPolicy", "UNIQUE")
            for part in ("input", "output"):
                columns = [c.get("label") or c.get("name") or c.get("id", "") for c in table if _local(c) == part]
                facts[f"{part}s"] = ", ".join(columns)
            for rule in (r for r in table if _local(r) == "rule"):
                cells = [_text(next((t for t in entry.iter() if _local(t) == "text"), None)) or "-"
                         for entry in rule if _local(entry) in ("inputEntry", "outputEntry")]
                facts[f"rule {rule.get('id')}"] = " | ".join(cells)
        ident = decision.get("id", "")
        found[ident] = Element(ident, "decision", decision.get("name", ""), file, facts)
    return found
