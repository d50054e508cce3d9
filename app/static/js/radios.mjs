// A radio that reveals a follow-up question: GOV.UK Frontend marks it aria-expanded, which ARIA does not allow on
// a radio (axe aria-allowed-attr, critical; govuk-frontend issue 979, kept there as a known issue). We follow the
// specification: the attribute is removed whenever it is set. The revealed question still follows its radio in
// reading and tab order, and aria-controls still names it.
const isRevealingRadio = (node) => node instanceof Element && node.matches(".govuk-radios__input[aria-controls]");

export function stripExpanded(root = document) {
  for (const input of root.querySelectorAll(".govuk-radios__input[aria-expanded]")) input.removeAttribute("aria-expanded");
}

stripExpanded();
new MutationObserver((records) => {
  for (const { target } of records) {
    if (isRevealingRadio(target) && target.hasAttribute("aria-expanded")) target.removeAttribute("aria-expanded");
  }
}).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-expanded"] });
