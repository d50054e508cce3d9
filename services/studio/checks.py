"""The studio's checks on a set of model files (BPMN, DMN, ``forms/<key>.json``), each naming its element.

Run on every save and before publishing; publishing is refused while an error stands. The first two kinds
(``xml``: the file is unsafe or not a BPMN/DMN document; ``parse``: SpiffWorkflow cannot read it) and ``script``
(code the sandbox refuses) also refuse an import: nothing is stored.
"""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from services.studio.findings import Finding, error
from services.studio.rules import model_rules
from workflows.xmlsafety import UnsafeXml, parse_untrusted_xml

__all__ = ["Finding", "check", "errors_of", "refusals"]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "http://www.omg.org/spec/DMN/20151101/dmn.xsd")
REFUSING = frozenset({"xml", "parse", "script"})


def _root_problem(root: etree._Element, name: str) -> str | None:
    namespace = etree.QName(root).namespace or ""
    local = etree.QName(root).localname
    if local == "definitions" and name.endswith(".bpmn") and namespace == BPMN_NS:
        return None
    if local == "definitions" and name.endswith(".dmn") and namespace in DMN_NAMESPACES:
        return None
    wanted = "a BPMN 2.0 <definitions>" if name.endswith(".bpmn") else "a DMN <definitions>"
    return f"the root element is <{local}> in namespace {namespace or '(none)'!r}: expected {wanted}"


def _xml(name: str, data: bytes) -> tuple[etree._Element | None, Finding | None]:
    try:
        root = parse_untrusted_xml(data)
    except UnsafeXml as err:
        return None, error(name, None, f"{name}: {err}", "xml")
    problem = _root_problem(root, name)
    return (None, error(name, None, f"{name}: {problem}", "xml")) if problem else (root, None)


def _form(name: str, data: bytes) -> Finding | None:
    try:
        schema = json.loads(data)
        Draft202012Validator.check_schema(schema)
    except (ValueError, SchemaError) as err:
        return error(name, None, f"{name} is not a JSON Schema form: {str(err).splitlines()[0]}", "form")
    if not isinstance(schema, dict) or schema.get("type") != "object":  # true, [] or a string are schemas too
        return error(name, None, f'{name} is not a form: give a JSON Schema object with "type": "object" and its '
                                 'questions under "properties"', "form")
    return None


def documents(files: dict[str, bytes]) -> tuple[dict[str, etree._Element], list[Finding]]:
    """The files' XML trees, and what refuses any file (unsafe, wrong root, unknown kind, broken form)."""
    trees: dict[str, etree._Element] = {}
    findings: list[Finding] = []
    for name, data in sorted(files.items()):
        if name.endswith((".bpmn", ".dmn")):
            root, problem = _xml(name, data)
            if root is not None:
                trees[name] = root
        elif name.startswith("forms/") and name.endswith(".json"):
            problem = _form(name, data)
        else:
            problem = error(name, None, f"{name}: only .bpmn, .dmn and forms/<key>.json files belong to a model",
                            "xml")
        if problem:
            findings.append(problem)
    return trees, findings


def _named_in(message: str, root: etree._Element | None) -> str | None:
    """The id of the element a message names (by id, or by its name), when SpiffWorkflow gave no node."""
    if root is None:
        return None
    best: tuple[int, str] | None = None
    for node in root.iter():
        if not isinstance(node.tag, str) or not node.get("id"):
            continue
        for label in (node.get("id", ""), node.get("name", "")):
            if len(label) > 2 and label in message and (best is None or len(label) > best[0]):
                best = (len(label), node.get("id", ""))
    return best[1] if best else None


def _spiff_finding(err: SpiffWorkflowException, fallback: str, trees: dict[str, etree._Element]) -> Finding:
    message = str(err).split("\n")[0]
    file = getattr(err, "file_name", "") or fallback
    element = getattr(err, "id", "") or _named_in(message, trees.get(file))
    return error(file, element or None, message, "parse")


def _first_process(file: str, root: etree._Element) -> Finding:
    process = root.find(f"{{{BPMN_NS}}}process")
    return error(file, process.get("id") if process is not None else None,
                 f"{file} has no executable process: mark one isExecutable=\"true\"", "parse")


def spiff_parse(trees: dict[str, etree._Element]) -> list[Finding]:
    """What SpiffWorkflow says of the files: each file, then every executable process and what it calls."""
    parser = SpiffBpmnParser()
    for name, root in trees.items():
        try:
            (parser.add_dmn_xml if name.endswith(".dmn") else parser.add_bpmn_xml)(root, filename=name)
        except SpiffWorkflowException as err:
            return [_spiff_finding(err, name, trees)]
    bpmn = [name for name in trees if name.endswith(".bpmn")]
    if bpmn and not parser.get_process_ids():
        return [_first_process(bpmn[0], trees[bpmn[0]])]
    for process_id in parser.get_process_ids():
        try:
            parser.get_subprocess_specs(process_id)
        except SpiffWorkflowException as err:
            return [_spiff_finding(err, bpmn[0], trees)]
        except RecursionError:
            return [error(bpmn[0], process_id, "the process is too long to parse: split it into call activities",
                          "parse")]
    return []


def check(files: dict[str, bytes], process_id: str | None = None) -> list[Finding]:
    """The findings on a model's files; with ``process_id`` (a draft's or version's model), also that one of its
    processes still has that id: cases find their model by it, and a model without it cannot be published."""
    trees, findings = documents(files)
    if findings:
        return findings
    rules = model_rules(trees, files)
    named = {f.element_id for f in rules if f.severity == "error"}
    return [f for f in spiff_parse(trees) if f.element_id not in named] + rules + _renamed(trees, process_id)


def _renamed(trees: dict[str, etree._Element], process_id: str | None) -> list[Finding]:
    bpmn = sorted(name for name in trees if name.endswith(".bpmn"))
    ids = {process.get("id") for name in bpmn for process in trees[name].iterchildren(f"{{{BPMN_NS}}}process")}
    if process_id is None or not bpmn or process_id in ids:
        return []
    return [error(bpmn[0], None, f"No process has the id '{process_id}', which this model is published under: "
                                 f"give its main process that id again (its cases are found by it)", "process")]


def errors_of(files: dict[str, bytes], process_id: str | None = None) -> list[Finding]:
    return [f for f in check(files, process_id) if f.severity == "error"]


def refusals(findings: list[Finding]) -> list[Finding]:
    """The findings that refuse an upload outright (nothing is stored)."""
    return [f for f in findings if f.severity == "error" and f.kind in REFUSING]
