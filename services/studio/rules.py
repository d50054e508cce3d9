"""What the engine reads on each element, judged before publishing: lanes and roles, forms, due rules, gateways,
timers, scripts and expressions, hooks, and whether the forms cover the data conditions and scripts read."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from services.forms import FORMS_DIR
from services.hooks import FORM_HOOKS, HOOKS
from services.studio.expressions import problems, read_names, set_names
from services.studio.findings import Finding, error, warning
from services.studio.flowgraph import BPMN, flow_findings, local
from workflows.lanes import LANE_ROLES

SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
WORKING_DAYS = re.compile(r"^\d+WD$", re.IGNORECASE)
BARE_ISO = re.compile(r"^(R\d*/)?P[0-9WDTHMSY.]+$|^\d{4}-\d{2}-\d{2}", re.IGNORECASE)
EXPRESSIONS = ("dueExpression", "assigneeExpression", "roleExpression")
TIMERS = {"timeDuration": TimerEventDefinition.parse_iso_duration,
          "timeDate": TimerEventDefinition.parse_time_or_duration,
          "timeCycle": TimerEventDefinition.parse_iso_recurring_interval}


@dataclass
class Context:
    """What one model's files provide: forms, and the data names forms, scripts and decisions set."""

    draft_forms: dict[str, set[str]]
    data_set: set[str] = field(default_factory=set)
    reads: list[tuple[str, str, set[str]]] = field(default_factory=list)  # (file, element id, names)

    def form_fields(self, key: str) -> set[str] | None:
        if key in self.draft_forms:
            return self.draft_forms[key]
        path = FORMS_DIR / f"{key}.json"
        if not key.replace("_", "").isalnum() or not path.is_file():
            return None
        return set(json.loads(path.read_text()).get("properties", {}))


def _properties(node: etree._Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in node.iter(f"{SPIFF}property")}


def _lanes(process: etree._Element) -> dict[str, str]:
    """flow node id -> the name of the innermost lane holding it."""
    lanes: dict[str, str] = {}
    for lane in process.iter(f"{BPMN}lane"):  # document order: an inner lane comes after (overrides) its outer
        for ref in lane.iterchildren(f"{BPMN}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or ""
    return lanes


def _lane_of(node: etree._Element, lanes: dict[str, str]) -> str | None:
    current: etree._Element | None = node
    while current is not None:
        if current.get("id") in lanes:
            return lanes[current.get("id", "")]
        current = current.getparent()
    return None


def _code(file: str, element_id: str, what: str, text: str, ctx: Context, *, expression: bool) -> Iterator[Finding]:
    for problem in problems(text, expression=expression):
        yield error(file, element_id, f"{what} {problem}", "script")
    ctx.reads.append((file, element_id, read_names(text, expression=expression)))
    if not expression:
        ctx.data_set.update(set_names(text))


def _user_task(file: str, task: etree._Element, lanes: dict[str, str], ctx: Context) -> Iterator[Finding]:
    task_id, label = task.get("id", ""), f"user task '{task.get('name') or task.get('id')}'"
    lane = _lane_of(task, lanes)
    if lane is None:
        yield error(file, task_id, f"{label} is in no lane: put it in a lane named after a role", "lane")
    elif lane not in LANE_ROLES:
        yield error(file, task_id, f"{label} is in lane '{lane}', which names no known role (known: "
                                   f"{', '.join(sorted(LANE_ROLES))})", "lane")
    props = _properties(task)
    form_key = props.get("formKey")
    fields = ctx.form_fields(form_key) if form_key else None
    if not form_key and props.get("hook") in FORM_HOOKS:
        pass  # the services give the step its form
    elif not form_key:
        yield error(file, task_id, f"{label} names no form (the formKey property)", "form")
    elif fields is None:
        yield error(file, task_id, f"{label} names form '{form_key}', which does not exist", "form")
    else:
        ctx.data_set.update(fields)
    due_in = props.get("dueIn")
    if due_in and not WORKING_DAYS.match(due_in) and not _parses(TimerEventDefinition.parse_iso_duration, due_in):
        yield error(file, task_id, f"{label} has due rule '{due_in}': give an ISO 8601 duration such as P10D, or "
                                   "working days such as 10WD", "due")
    for name in EXPRESSIONS:
        if props.get(name):
            yield from _code(file, task_id, f"{label}'s {name}", props[name], ctx, expression=True)
    hook = props.get("hook")
    if hook and hook not in HOOKS:
        yield error(file, task_id, f"{label} declares hook '{hook}', which the services do not know (known: "
                                   f"{', '.join(sorted(HOOKS))})", "hook")


def _parses(parse: object, text: str) -> bool:
    try:
        parse(text)  # type: ignore[operator]
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises bare Exception (and ValueError, AttributeError)
        return False
    return True


def _timer(file: str, event: etree._Element, ctx: Context) -> Iterator[Finding]:
    event_id = event.get("id", "")
    for definition in event.iter(f"{BPMN}timerEventDefinition"):
        for child in definition:
            kind, text = local(child), (child.text or "").strip()
            if kind not in TIMERS:
                continue
            if not text:
                yield error(file, event_id, f"timer {kind} is empty", "timer")
            elif BARE_ISO.match(text):
                yield error(file, event_id, f"timer {kind} '{text}' is read as an expression: quote a literal "
                                            f"value (\"{text}\")", "timer")
            else:
                yield from _code(file, event_id, f"timer {kind}", text, ctx, expression=True)
                literal = _literal(text)
                if literal is not None and not _parses(TIMERS[kind], literal):
                    yield error(file, event_id, f"timer {kind} '{literal}' is not a valid ISO 8601 "
                                                f"{'duration' if kind == 'timeDuration' else 'date or cycle'}",
                                "timer")


def _literal(text: str) -> str | None:
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _gateways(file: str, process: etree._Element, ctx: Context) -> Iterator[Finding]:
    flows = list(process.iter(f"{BPMN}sequenceFlow"))
    for flow in flows:
        condition = flow.find(f"{BPMN}conditionExpression")
        if condition is not None and (condition.text or "").strip():
            yield from _code(file, flow.get("id", ""), "condition", (condition.text or "").strip(), ctx,
                             expression=True)
    for gateway in process.iter(f"{BPMN}exclusiveGateway", f"{BPMN}inclusiveGateway"):
        out = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
        if len(out) < 2:
            continue
        for flow in out:
            condition = flow.find(f"{BPMN}conditionExpression")
            if flow.get("id") != gateway.get("default") and (condition is None or not (condition.text or "").strip()):
                yield error(file, flow.get("id", ""), f"flow '{flow.get('name') or flow.get('id')}' leaves gateway "
                            f"'{gateway.get('name') or gateway.get('id')}' without a condition and is not its "
                            "default", "gateway")


def _scripts(file: str, process: etree._Element, ctx: Context) -> Iterator[Finding]:
    for task in process.iter(f"{BPMN}scriptTask"):
        script = task.find(f"{BPMN}script")
        yield from _code(file, task.get("id", ""), "script", script.text or "" if script is not None else "", ctx,
                         expression=False)
    for kind in ("preScript", "postScript"):
        for node in process.iter(f"{SPIFF}{kind}"):
            owner = node.getparent().getparent() if node.getparent() is not None else None
            owner_id = owner.get("id", "") if owner is not None else ""
            yield from _code(file, owner_id, kind, node.text or "", ctx, expression=False)


def _process(file: str, process: etree._Element, ctx: Context) -> Iterator[Finding]:
    lanes = _lanes(process)
    yield from _scripts(file, process, ctx)
    for task in process.iter(f"{BPMN}userTask"):
        yield from _user_task(file, task, lanes, ctx)
    yield from _gateways(file, process, ctx)
    for event in process.iter(f"{BPMN}startEvent", f"{BPMN}intermediateCatchEvent", f"{BPMN}boundaryEvent"):
        yield from _timer(file, event, ctx)


def _draft_forms(files: dict[str, bytes]) -> dict[str, set[str]]:
    found = {}
    for name, data in files.items():
        if name.startswith("forms/") and name.endswith(".json"):
            found[name.removeprefix("forms/").removesuffix(".json")] = set(json.loads(data).get("properties", {}))
    return found


def _decision_outputs(root: etree._Element) -> set[str]:
    return {node.get("name", "") for node in root.iter() if local(node) == "output" and node.get("name")}


def model_rules(trees: dict[str, etree._Element], files: dict[str, bytes]) -> list[Finding]:
    ctx = Context(_draft_forms(files))
    findings: list[Finding] = []
    for name, root in trees.items():
        if name.endswith(".dmn"):
            ctx.data_set.update(_decision_outputs(root))
            continue
        for process in root.iterchildren(f"{BPMN}process"):
            findings.extend(_process(name, process, ctx))
        findings.extend(flow_findings(name, root))
    for file, element_id, names in ctx.reads:
        missing = sorted(names - ctx.data_set)
        if missing:
            findings.append(warning(file, element_id, f"reads {', '.join(missing)}, which no form field, script or "
                                                       "decision of this model sets", "data"))
    return findings
