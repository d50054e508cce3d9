// The studio's own properties panel: GOV.UK form fields that edit, on the selected diagram element, what our engine
// reads (workflows/registry.py and workflows/engine.py): a lane's role, a user task's form, due rule, assignee
// expression and hook (spiffworkflow:property), timer definitions, sequence-flow conditions, script text and
// documentation. Every change goes through bpmn-js modeling commands, so undo and redo cover it.
// ``vocab``: {roles: [lane names], forms: [form keys], hooks: [{key, text}]} from the page.

const DUE_RULES = [
  { value: "", text: "No due date" },
  { value: "duration", text: "A duration (for example P10D)" },
  { value: "working_days", text: "Working days (for example 10WD)" },
  { value: "expression", text: "An expression (for example add_months(release_date, -6))" },
];
const TIMER_KINDS = [
  { value: "timeDate", text: "At a date (expression)" },
  { value: "timeDuration", text: "After a duration" },
  { value: "timeCycle", text: "Repeating cycle" },
];

export function createPanel(container, modeler, vocab) {
  const moddle = modeler.get("moddle");
  const modeling = modeler.get("modeling");
  let current = null;
  let uid = 0;

  // -- reading and writing the business object -------------------------------------------------------------
  function spiffProperties(bo) {
    const ext = bo.extensionElements;
    return ext ? (ext.get("values") || []).find((v) => v.$type === "spiffworkflow:Properties") : undefined;
  }
  function spiff(bo, name) {
    const props = spiffProperties(bo);
    const found = props ? props.get("properties").find((p) => p.name === name) : undefined;
    return found ? found.value || "" : "";
  }
  function setSpiff(element, name, value) {
    const bo = element.businessObject;
    let ext = bo.extensionElements;
    if (!ext) {
      if (!value) return;
      ext = moddle.create("bpmn:ExtensionElements", { values: [] });
      modeling.updateProperties(element, { extensionElements: ext });
    }
    let props = spiffProperties(bo);
    if (!props) {
      if (!value) return;
      props = moddle.create("spiffworkflow:Properties", { properties: [] });
      props.$parent = ext;
      modeling.updateModdleProperties(element, ext, { values: [...ext.get("values"), props] });
    }
    const list = props.get("properties");
    const prop = list.find((p) => p.name === name);
    if (!value) {
      if (prop) modeling.updateModdleProperties(element, props, { properties: list.filter((p) => p !== prop) });
    } else if (prop) {
      modeling.updateModdleProperties(element, prop, { value });
    } else {
      const created = moddle.create("spiffworkflow:Property", { name, value });
      created.$parent = props;
      modeling.updateModdleProperties(element, props, { properties: [...list, created] });
    }
  }
  function documentation(bo) {
    return (bo.get("documentation") || []).map((d) => d.text || "").join("\n");
  }
  function setDocumentation(element, text) {
    const docs = text ? [moddle.create("bpmn:Documentation", { text })] : [];
    modeling.updateModdleProperties(element, element.businessObject, { documentation: docs });
  }
  function expression(body) {
    return body ? moddle.create("bpmn:FormalExpression", { body }) : undefined;
  }
  function timerDefinition(bo) {
    return (bo.get("eventDefinitions") || []).find((d) => d.$type === "bpmn:TimerEventDefinition");
  }
  function dueRule(bo) {
    const expressionText = spiff(bo, "dueExpression");
    if (expressionText) return { rule: "expression", value: expressionText };
    const dueIn = spiff(bo, "dueIn");
    if (!dueIn) return { rule: "", value: "" };
    return /^\d+WD$/i.test(dueIn) ? { rule: "working_days", value: dueIn } : { rule: "duration", value: dueIn };
  }
  function setDueRule(element, rule, value) {
    setSpiff(element, "dueExpression", rule === "expression" ? value : "");
    setSpiff(element, "dueIn", rule === "duration" || rule === "working_days" ? value : "");
  }

  // -- GOV.UK form fields -----------------------------------------------------------------------------------------
  function group(labelText, control, hintText) {
    const div = document.createElement("div");
    div.className = "govuk-form-group";
    const label = document.createElement("label");
    label.className = "govuk-label govuk-label--s";
    label.htmlFor = control.id;
    label.textContent = labelText;
    div.append(label);
    if (hintText) {
      const hint = document.createElement("div");
      hint.className = "govuk-hint";
      hint.id = `${control.id}-hint`;
      hint.textContent = hintText;
      control.setAttribute("aria-describedby", hint.id);
      div.append(hint);
    }
    div.append(control);
    return div;
  }
  function input(name, value, onChange, { multiline = false, code = false } = {}) {
    const el = document.createElement(multiline ? "textarea" : "input");
    el.id = `studio-prop-${name}-${++uid}`;
    el.name = name;
    el.dataset.property = name;
    el.className = multiline ? "govuk-textarea" : "govuk-input";
    if (code) el.classList.add("app-code-input");
    if (multiline) el.rows = code ? 8 : 3;
    el.value = value;
    el.spellcheck = !code;
    el.addEventListener("change", () => onChange(el.value));
    return el;
  }
  function select(name, value, items, onChange) {
    const el = document.createElement("select");
    el.id = `studio-prop-${name}-${++uid}`;
    el.name = name;
    el.dataset.property = name;
    el.className = "govuk-select";
    const values = items.map((i) => i.value);
    const all = value && !values.includes(value) ? [...items, { value, text: `${value} (not known)` }] : items;
    for (const item of all) {
      const option = document.createElement("option");
      option.value = item.value;
      option.textContent = item.text;
      option.selected = item.value === value;
      el.append(option);
    }
    el.addEventListener("change", () => onChange(el.value));
    return el;
  }

  // -- one section per kind of element ----------------------------------------------------------------------------
  function laneFields(element) {
    const roles = [{ value: "", text: "Choose a role" }, ...vocab.roles.map((r) => ({ value: r, text: r }))];
    return [group("Role", select("role", element.businessObject.name || "", roles,
                                 (v) => modeling.updateProperties(element, { name: v || undefined })),
                  "The lane's role: its tasks go to people holding this role in the case's MAPPA area.")];
  }
  function userTaskFields(element) {
    const bo = element.businessObject;
    const forms = [{ value: "", text: "Choose a form" }, ...vocab.forms.map((f) => ({ value: f, text: f }))];
    const hooks = [{ value: "", text: "None" }, ...vocab.hooks.map((h) => ({ value: h.key, text: `${h.key}: ${h.text}` }))];
    const due = dueRule(bo);
    const dueValue = input("dueValue", due.value, (v) => setDueRule(element, ruleSelect.value, v.trim()));
    const ruleSelect = select("dueRule", due.rule, DUE_RULES, (rule) => setDueRule(element, rule, dueValue.value.trim()));
    return [
      group("Form", select("formKey", spiff(bo, "formKey"), forms, (v) => setSpiff(element, "formKey", v))),
      group("Due rule", ruleSelect),
      group("Due", dueValue, "P10D is ten days, 10WD ten working days; an expression gives a date."),
      group("Assignee expression", input("assigneeExpression", spiff(bo, "assigneeExpression"),
                                         (v) => setSpiff(element, "assigneeExpression", v.trim()), { code: true }),
            "Optional: the username the task goes to, for example lead_officer."),
      group("Domain hook", select("hook", spiff(bo, "hook"), hooks, (v) => setSpiff(element, "hook", v))),
    ];
  }
  function scriptFields(element) {
    return [group("Script", input("script", element.businessObject.script || "",
                                  (v) => modeling.updateProperties(element, { scriptFormat: "python", script: v }),
                                  { multiline: true, code: true }),
                  "Python, run in the sandbox with the allowed helpers only.")];
  }
  function flowFields(element) {
    const bo = element.businessObject;
    const body = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
    return [group("Condition", input("condition", body,
                                     (v) => modeling.updateProperties(element, { conditionExpression: expression(v.trim()) }),
                                     { multiline: true, code: true }),
                  "Taken when this expression is true, for example level == 1. Leave empty on the default flow.")];
  }
  function timerFields(element, definition) {
    const kind = TIMER_KINDS.find((k) => definition.get(k.value))?.value || "timeDate";
    const body = definition.get(kind) ? definition.get(kind).body || "" : "";
    const text = input("timer", body, (v) => setTimer(kindSelect.value, v.trim()), { code: true });
    const kindSelect = select("timerKind", kind, TIMER_KINDS, (k) => setTimer(k, text.value.trim()));
    function setTimer(chosen, value) {
      const props = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
      props[chosen] = expression(value);
      modeling.updateModdleProperties(element, definition, props);
    }
    return [group("Timer", kindSelect),
            group("Timer expression", text, "For example start_of_day(add_days(release_date, -10)) or \"P7D\".")];
  }
  function commonFields(element) {
    const bo = element.businessObject;
    const fields = [];
    if (!bo.$instanceOf("bpmn:Lane")) {
      fields.push(group("Name", input("name", bo.name || "", (v) => modeling.updateProperties(element, { name: v }))));
    }
    return fields;
  }

  function render(element) {
    current = element;
    container.replaceChildren();
    const heading = document.createElement("h2");
    heading.className = "govuk-heading-s";
    if (!element || element.type === "label") {
      heading.textContent = "Select an element to edit it";
      container.append(heading);
      container.dataset.element = "";
      return;
    }
    const bo = element.businessObject;
    heading.textContent = `${bo.$type.replace("bpmn:", "")} ${bo.id}`;
    container.append(heading);
    container.dataset.element = bo.id;
    const fields = commonFields(element);
    if (bo.$instanceOf("bpmn:Lane")) fields.push(...laneFields(element));
    if (bo.$instanceOf("bpmn:UserTask")) fields.push(...userTaskFields(element));
    if (bo.$instanceOf("bpmn:ScriptTask")) fields.push(...scriptFields(element));
    if (bo.$instanceOf("bpmn:SequenceFlow")) fields.push(...flowFields(element));
    const timer = bo.get("eventDefinitions") ? timerDefinition(bo) : undefined;
    if (timer) fields.push(...timerFields(element, timer));
    if (bo.$instanceOf("bpmn:BaseElement") && !bo.$instanceOf("bpmn:Process")) {
      fields.push(group("Documentation", input("documentation", documentation(bo),
                                               (v) => setDocumentation(element, v.trim()), { multiline: true })));
    }
    container.append(...fields);
  }

  modeler.on("selection.changed", ({ newSelection }) => render(newSelection.length === 1 ? newSelection[0] : null));
  // Undo, redo or an edit on the canvas: show the element's values again, unless someone is typing in the panel.
  modeler.on("commandStack.changed", () => {
    if (!container.contains(document.activeElement) || document.activeElement.tagName === "SELECT") {
      const registry = modeler.get("elementRegistry");
      render(current && registry.get(current.id) ? registry.get(current.id) : null);
    }
  });
  render(null);
  return { render };
}
