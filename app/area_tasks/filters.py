"""The work list's query string -> services.area_tasks.AreaTaskFilter, with a field error per bad value (the page
shows them in an error summary, the API answers 422)."""

from __future__ import annotations

from collections.abc import Mapping

from services.area_tasks import BANDS, SORTS, AreaTaskFilter
from services.errors import FieldError
from workflows.lanes import ROLE_BY_KEY

TRUE, FALSE = ("true", "yes", "1", "on"), ("", "false", "no", "0", "off")


def parse(args: Mapping[str, str]) -> tuple[AreaTaskFilter, list[FieldError]]:
    errors: list[FieldError] = []

    def text(key: str) -> str | None:
        return (args.get(key) or "").strip() or None

    def number(key: str, allowed: range, message: str) -> int | None:
        raw = text(key)
        if raw is None:
            return None
        if raw.isdigit() and int(raw) in allowed:
            return int(raw)
        errors.append(FieldError(key, message))
        return None

    def flag(key: str) -> bool:
        raw = (args.get(key) or "").strip().lower()
        if raw not in TRUE + FALSE:
            errors.append(FieldError(key, f"{key} must be true or false"))
        return raw in TRUE

    def choice(key: str, allowed: tuple[str, ...] | list[str], message: str) -> str | None:
        raw = text(key)
        if raw is not None and raw not in allowed:
            errors.append(FieldError(key, message))
            return None
        return raw

    found = AreaTaskFilter(
        step=text("step"), role=choice("role", list(ROLE_BY_KEY), "Choose a role from the list"),
        agency=text("agency"), assignee=text("assignee"), case=text("case"),
        level=number("level", range(1, 4), "Level must be 1, 2 or 3"),
        category=number("category", range(1, 5), "Category must be 1, 2, 3 or 4"),
        overdue=flag("overdue"), due_soon=flag("due_soon"), unclaimed=flag("unclaimed"),
        band=choice("band", tuple(BANDS), f"Days overdue must be one of {', '.join(BANDS)}"),
        sort=choice("sort", SORTS, f"Sort must be one of {', '.join(SORTS)}") or "due",
        page=number("page", range(1, 1_000_000), "Page must be a whole number from 1") or 1,
    )
    return found, errors
