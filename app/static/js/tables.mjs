// Wide tables scroll sideways inside their own box, so the page itself never does at 320 px (WCAG 1.4.10 reflow).
// Each GOV.UK table is wrapped in .app-table-scroll; while the table is wider than the box, the box is a named,
// focusable region so keyboard users can scroll it (axe: scrollable-region-focusable). Without JS the page scrolls.

function labelFor(table) {
  const caption = table.querySelector("caption");
  if (caption) return caption.textContent.trim();
  const named = table.getAttribute("aria-label");
  if (named) return named;
  let node = table.closest(".app-table-scroll") ?? table;
  while (node && node !== document.body) {
    let sibling = node.previousElementSibling;
    while (sibling) {
      const heading = sibling.matches("h1, h2, h3, h4") ? sibling : sibling.querySelector("h1, h2, h3, h4");
      if (heading) return heading.textContent.trim();
      sibling = sibling.previousElementSibling;
    }
    node = node.parentElement;
  }
  return "Table";
}

// A box the page already named (aria-label or aria-labelledby in its template) keeps that name.
function sync(box) {
  const named = box.dataset.namedBy === "template";
  if (box.scrollWidth > box.clientWidth + 1) {
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    if (!named) box.setAttribute("aria-label", `${labelFor(box.querySelector("table"))} (scrolls sideways)`);
  } else {
    box.removeAttribute("tabindex");
    box.removeAttribute("role");
    if (!named) box.removeAttribute("aria-label");
  }
}

const observer = new ResizeObserver((entries) => entries.forEach((entry) => sync(entry.target)));
for (const table of document.querySelectorAll("table.govuk-table")) {
  let box = table.parentElement;
  if (box.hasAttribute("aria-label") || box.hasAttribute("aria-labelledby")) box.dataset.namedBy = "template";
  if (!box.classList.contains("app-table-scroll")) {
    box = document.createElement("div");
    box.className = "app-table-scroll";
    table.before(box);
    box.append(table);
  }
  sync(box);
  observer.observe(box);
}
