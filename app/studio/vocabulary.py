"""What the studio's properties panel offers: lane roles, form keys and domain hooks (each defined once elsewhere)."""

from __future__ import annotations

from typing import Any

from services.forms import FORMS_DIR
from services.hooks import HOOKS
from workflows.lanes import ROLE_NAMES


def form_keys(draft_files: dict[str, str]) -> list[str]:
    """The shipped forms and the draft's own ``forms/<key>.json``."""
    shipped = {path.stem for path in FORMS_DIR.glob("*.json")}
    own = {name.removeprefix("forms/").removesuffix(".json") for name in draft_files
           if name.startswith("forms/") and name.endswith(".json")}
    return sorted(shipped | own)


def panel_vocabulary(draft_files: dict[str, str]) -> dict[str, Any]:
    return {"roles": sorted(ROLE_NAMES.values()), "forms": form_keys(draft_files),
            "hooks": [{"key": key, "text": text} for key, text in sorted(HOOKS.items())]}
