"""Categories and levels: which level of management each MAPPA category may have. The one statement of the rule.

Category 3 offenders ("other dangerous offenders") are MAPPA offenders only because they need active
multi-agency management: they are managed at Level 2 or 3, never at Level 1, and only a Category 3 referral can be
"rejected, not MAPPA managed" (MAPPA.md §2, §4). Task forms, the API, the process models' scripts and the case
projection all read this module: forms are narrowed per case before they are shown, published or validated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

CATEGORIES: dict[int, str] = {
    1: "Category 1 - registered sexual offender",
    2: "Category 2 - violent or other sexual offender",
    3: "Category 3 - other dangerous offender",
    4: "Category 4 - terrorist or terrorism-risk offender",
}
LEVELS = (1, 2, 3)
NOT_MANAGED = "not managed"  # a choice that leaves MAPPA without a level (Category 3 only)
CATEGORY_3_MESSAGE = "Category 3 offenders are managed at Level 2 or 3 only"
NOT_MANAGED_MESSAGE = "Only a Category 3 referral can be rejected as not MAPPA managed"

# Form fields whose answer decides the level: answer -> level (NOT_MANAGED: leaves MAPPA, Category 3 only).
# Answers not listed (exit, ...) set no level.
LEVEL_CHOICES: dict[str, dict[str, int | str]] = {
    "screening_outcome": {"accepted_level_2": 2, "accepted_level_3": 3, "rejected_level_1": 1,
                          "not_mappa_managed": NOT_MANAGED},
    "review_outcome": {"level_1": 1, "level_2": 2, "level_3": 3, "retain_endorsed": 1, "retain_no_oversight": 1,
                       "refer_level_2": 2, "refer_level_3": 3},
    "proposed_level": {"1": 1, "2": 2, "3": 3},
    "rescreen_level": {"1": 1, "2": 2, "3": 3},
}
# A form that confirms the category in the same answer names the field; the level rule then follows it.
CATEGORY_FIELD = "confirmed_category"


def allowed_levels(category: int | None) -> tuple[int, ...]:
    return (2, 3) if category == 3 else LEVELS


def allows(category: int | None, level: int | str | None) -> bool:
    if level == NOT_MANAGED:
        return category == 3
    return level is None or level in allowed_levels(category)


def message(choice: int | str) -> str:
    return NOT_MANAGED_MESSAGE if choice == NOT_MANAGED else CATEGORY_3_MESSAGE


def refused_answers(field: str, category: int | None) -> list[Any]:
    """The answers to ``field`` that a case of ``category`` may not be given."""
    choices = LEVEL_CHOICES.get(field, {})
    return [answer for answer, level in choices.items() if not allows(category, level)]


def _typed(prop: Mapping[str, Any], answers: list[str]) -> list[Any]:
    return [int(a) for a in answers] if prop.get("type") == "integer" else answers


def narrow(schema: Mapping[str, Any], category: int | None) -> dict[str, Any]:
    """The form as it applies to a case of ``category``: answers the case may not be given are removed (or, when
    the form confirms the category itself, refused by a condition on the confirmed category)."""
    result = copy.deepcopy(dict(schema))
    props: dict[str, Any] = result.get("properties", {})
    confirms_category = CATEGORY_FIELD in props
    for field in LEVEL_CHOICES:
        prop = props.get(field)
        if prop is None:
            continue
        if confirms_category:
            for cat in (*CATEGORIES, None):
                effective = category if cat is None else cat
                refused = [v for v in _typed(prop, refused_answers(field, effective)) if v in prop["enum"]]
                if refused:
                    rule = {"not": {"enum": refused}, "x-enum-message": CATEGORY_3_MESSAGE if effective == 3
                            else NOT_MANAGED_MESSAGE}
                    given = ({"properties": {CATEGORY_FIELD: {"const": cat}}, "required": [CATEGORY_FIELD]}
                             if cat is not None else {"not": {"required": [CATEGORY_FIELD]}})
                    result.setdefault("allOf", []).append({"if": given, "then": {"properties": {field: rule}}})
            continue
        refused = _typed(prop, refused_answers(field, category))
        if refused:
            prop["enum"] = [v for v in prop["enum"] if v not in refused]
            prop["x-enum-message"] = CATEGORY_3_MESSAGE if category == 3 else NOT_MANAGED_MESSAGE
    return result


def check(data: Mapping[str, Any], category: int | None) -> list[tuple[str, str]]:
    """(field, message) for each answer in ``data`` that the category does not allow."""
    category = int(data[CATEGORY_FIELD]) if data.get(CATEGORY_FIELD) not in (None, "") else category
    problems = []
    for field, choices in LEVEL_CHOICES.items():
        answer = data.get(field)
        if answer is None:
            continue
        level = choices.get(str(answer))
        if level is not None and not allows(category, level):
            problems.append((field, message(level)))
    return problems
