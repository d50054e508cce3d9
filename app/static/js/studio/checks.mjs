// The checks of a draft (services.studio.checks: {file, element_id, severity, message}) listed beside the diagram,
// each naming its element: a link that selects the element and scrolls it into view, and a marker on the diagram.

const OVERLAY_TYPE = "studio-check";

// ``viewer``: the bpmn-js modeler or viewer showing ``file``, or null (a decision table: the list only).
export function showChecks(list, summary, viewer, findings, file) {
  const registry = viewer ? viewer.get("elementRegistry") : null;
  const overlays = viewer ? viewer.get("overlays") : null;
  overlays?.remove({ type: OVERLAY_TYPE });
  list.replaceChildren();
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.length - errors;
  summary.textContent = findings.length
    ? `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`
    : "No problems found";
  summary.dataset.errors = String(errors);
  const named = new Set();
  for (const finding of findings) {
    const item = document.createElement("li");
    if (finding.element_id && !named.has(finding.element_id)) {
      named.add(finding.element_id); // the error summary of a refused publish links here
      item.id = `field-${finding.element_id}`;
    }
    item.className = `app-check app-check--${finding.severity}`;
    item.dataset.element = finding.element_id || "";
    const tag = document.createElement("strong");
    tag.className = `govuk-tag govuk-tag--${finding.severity === "error" ? "red" : "yellow"}`;
    tag.textContent = finding.severity === "error" ? "Error" : "Warning";
    item.append(tag, " ");
    const element = registry && finding.element_id && finding.file === file ? registry.get(finding.element_id) : undefined;
    if (element) {
      const link = document.createElement("a");
      link.href = `#${finding.element_id}`;
      link.className = "govuk-link";
      link.textContent = finding.message;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        select(viewer, element);
      });
      item.append(link);
      mark(overlays, finding);
    } else {
      item.append(finding.element_id ? `${finding.message} (${finding.file}: ${finding.element_id})`
                                     : `${finding.message} (${finding.file})`);
    }
    list.append(item);
  }
  return errors;
}

function select(viewer, element) {
  const canvas = viewer.get("canvas");
  if (typeof canvas.scrollToElement === "function") canvas.scrollToElement(element);
  try {
    viewer.get("selection").select(element);
  } catch {
    /* a viewer without selection: scrolling there is enough */
  }
}

function mark(overlays, finding) {
  const marker = document.createElement("span");
  marker.className = `app-check-marker app-check-marker--${finding.severity}`;
  marker.title = finding.message;
  marker.textContent = "!";
  try {
    overlays.add(finding.element_id, OVERLAY_TYPE, { position: { top: -12, right: 12 }, html: marker });
  } catch {
    /* an element bpmn-js draws without a shape (a lane set, a process): the list still names it */
  }
}
