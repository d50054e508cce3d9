// Shows a process diagram read-only with bpmn-js and highlights the current and finished steps.
// Data comes from a JSON script element: {xml, active: [ids], completed: [ids]}. Returns the viewer (null when the
// diagram could not be read) for pages that add to it.
//
// Readable first: the diagram fits its box unless that would draw labels smaller than 12px (bpmn-js draws them at
// 12px at scale 1); then it opens at a readable scale on the current step and people pan (drag) or use the zoom
// buttons ("Zoom in", "Zoom out", "Fit") placed before the diagram.

const READABLE = 1; // labels are 12px at scale 1
const STEP = 1.25;

export async function showDiagram(container, dataElement) {
  const data = JSON.parse(dataElement.textContent);
  const viewer = new window.BpmnJS({ container });
  try {
    await viewer.importXML(data.xml);
  } catch (err) {
    container.textContent = "The diagram could not be shown: " + err.message;
    return null;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  for (const id of data.completed) {
    if (registry.get(id)) canvas.addMarker(id, "app-done-step");
  }
  for (const id of data.active) {
    if (registry.get(id)) canvas.addMarker(id, "app-current-step");
  }
  const focus = data.active.map((id) => registry.get(id)).find((element) => element && element.width);
  const controls = zoomControls(container, canvas, focus);
  controls.readable();
  container.dataset.ready = "true";
  container.dataset.active = data.active.join(" ");
  return viewer;
}

// Zoom buttons before the diagram and a polite status that says the zoom; returns {readable} to open the view.
function zoomControls(container, canvas, focus) {
  const group = document.createElement("div");
  group.className = "govuk-button-group app-diagram-zoom";
  const status = document.createElement("p");
  status.className = "govuk-body-s app-diagram-zoom__status";
  status.setAttribute("aria-live", "polite");
  const show = () => {
    const scale = canvas.zoom();
    container.dataset.zoom = scale.toFixed(3);
    status.textContent = `Zoom ${Math.round(scale * 100)}%`;
  };
  const centre = () => {
    const box = canvas.viewbox();
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  };
  const readable = () => {
    canvas.zoom("fit-viewport", "auto");
    if (canvas.zoom() < READABLE) {
      canvas.zoom(READABLE);
      if (focus) canvas.scrollToElement(focus, { top: 40, bottom: 40, left: 40, right: 40 });
      else canvas.scroll({ dx: -canvas.viewbox().x, dy: -canvas.viewbox().y });
    }
    show();
  };
  const buttons = [
    ["Zoom in", () => canvas.zoom(canvas.zoom() * STEP, centre())],
    ["Zoom out", () => canvas.zoom(canvas.zoom() / STEP, centre())],
    ["Fit", () => canvas.zoom("fit-viewport", "auto")],
  ];
  for (const [label, act] of buttons) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "govuk-button govuk-button--secondary app-diagram-zoom__button";
    button.textContent = label;
    button.addEventListener("click", () => {
      act();
      show();
    });
    group.append(button);
  }
  group.append(status);
  container.before(group);
  return { readable };
}

const container = document.getElementById("diagram");
const dataElement = document.getElementById("diagram-data");
if (container && dataElement) showDiagram(container, dataElement);
