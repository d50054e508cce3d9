// Shows a process diagram read-only with bpmn-js and highlights the current and finished steps.
// Data comes from a JSON script element: {xml, active: [ids], completed: [ids]}. Returns the viewer (null when the
// diagram could not be read) for pages that add to it.
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
  canvas.zoom("fit-viewport");
  const registry = viewer.get("elementRegistry");
  for (const id of data.completed) {
    if (registry.get(id)) canvas.addMarker(id, "app-done-step");
  }
  for (const id of data.active) {
    if (registry.get(id)) canvas.addMarker(id, "app-current-step");
  }
  container.dataset.ready = "true";
  container.dataset.active = data.active.join(" ");
  return viewer;
}

const container = document.getElementById("diagram");
const dataElement = document.getElementById("diagram-data");
if (container && dataElement) showDiagram(container, dataElement);
