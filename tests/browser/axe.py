"""axe-core (npm, node_modules/axe-core) run inside a real page: WCAG 2.2 A and AA rules only.

The app never serves axe. Our Content-Security-Policy allows only nonce'd scripts, so ``page.add_script_tag`` with
inline content is refused by the page; ``page.evaluate`` runs the source through the DevTools protocol instead,
which CSP does not govern, and leaves the page's own policy untouched for everything else the test checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_RUN = """async (tags) => {
  const result = await window.axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, help: v.help, impact: v.impact,
    targets: v.nodes.map((n) => n.target.map((t) => Array.isArray(t) ? t.join(" >> ") : t).join(" >> ")),
  }));
}"""


@dataclass(frozen=True)
class Violation:
    rule: str
    help: str
    impact: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:5]) + (f" (+{len(self.targets) - 5} more)" if len(self.targets) > 5 else "")
        return f"{self.rule} [{self.impact}]: {self.help} -> {shown}"


@cache
def axe_source() -> str:
    if not AXE_JS.is_file():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci` (axe-core is a devDependency in package.json)")
    return AXE_JS.read_text(encoding="utf-8")


def run_axe(page: Any) -> list[Violation]:
    """Inject axe-core into the page (once per document) and return its WCAG 2.2 A/AA violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    found = page.evaluate(_RUN, WCAG_22_A_AA)
    return [Violation(v["id"], v["help"], v["impact"] or "", tuple(v["targets"])) for v in found]
