// A model's bottlenecks: the diagram with, on each user task, how many are waiting and overdue now and the median
// and 90th-percentile time spent. Data: {xml, active, completed, activities: [{id, waiting, overdue, median, p90}]}.
// The page's table gives the same figures to everyone; the overlays repeat them on the diagram.
import { showDiagram } from "./diagram.mjs";

function badge(text, kind) {
  const span = document.createElement("span");
  span.className = `app-bottleneck__count app-bottleneck__count--${kind}`;
  span.textContent = text;
  return span;
}

function overlayFor(activity) {
  const box = document.createElement("div");
  box.className = "app-bottleneck";
  box.dataset.step = activity.id;
  box.append(badge(`${activity.waiting} waiting`, "waiting"));
  if (activity.overdue) box.append(badge(`${activity.overdue} overdue`, "overdue"));
  if (activity.median) {
    const times = document.createElement("span");
    times.className = "app-bottleneck__times";
    times.textContent = `median ${activity.median} · 90% ${activity.p90}`;
    box.append(times);
  }
  return box;
}

async function showBottlenecks(container, dataElement) {
  const viewer = await showDiagram(container, dataElement);
  if (!viewer) return;
  const { activities } = JSON.parse(dataElement.textContent);
  const overlays = viewer.get("overlays");
  const registry = viewer.get("elementRegistry");
  for (const activity of activities) {
    if (registry.get(activity.id)) {
      overlays.add(activity.id, "bottleneck", { position: { bottom: 4, left: 0 }, html: overlayFor(activity) });
    }
  }
  container.dataset.overlays = String(activities.length);
}

const container = document.getElementById("bottleneck-diagram");
const dataElement = document.getElementById("bottleneck-data");
if (container && dataElement) showBottlenecks(container, dataElement);
