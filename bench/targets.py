"""The issue-13 speed targets of bench/RESULTS.md: SQLite and PostgreSQL side by side, ratios stated."""

from __future__ import annotations

from typing import Any


def _ms(value: float | None) -> str:
    if value is None or value != value:  # NaN
        return "-"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _get(tree: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _verdict(ratio: float | None, limit: float) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.2f} ({'met' if ratio <= limit else 'missed'}: <= {limit:g})"


def _per_backend(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {"sqlite": {"measured": results.get("measured", {}), "step": results.get("step", {})}}
    if "postgresql" in results:
        found["postgresql"] = results["postgresql"]
    return found


def targets(results: dict[str, Any]) -> tuple[str, list[str]]:
    """(the markdown table, one line per target with its ratio)."""
    sizes = [str(s) for s in results["sizes"]]
    small, big = sizes[0], sizes[-1]
    backends = _per_backend(results)
    sweeps = results.get("sweep", {})
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    head = "| measure | " + " | ".join(names[b] for b in backends) + " |"
    lines = [head, "|---|" + "---|" * len(backends)]
    summary: list[str] = []

    def row(label: str, cell: Any) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(b, v) for b, v in backends.items()) + " |")

    def p50(b: str, v: dict[str, Any], size: str, key: str) -> float | None:
        return _get(v, "measured", size, key, "p50_ms")

    row(f"`GET /healthz` (no auth), ms p50 at {int(big):,}", lambda b, v: _ms(p50(b, v, big, "floor")))
    row(
        f"authenticated no-op `GET /api/v1/settings` (token, guard, one read), ms p50 at {int(big):,}",
        lambda b, v: _ms(p50(b, v, big, "noop")),
    )
    row(
        "raw SpiffWorkflow on the same step (deserialise, complete, serialise), ms p50",
        lambda b, v: _ms(_get(v, "step", "raw_engine", "total", "p50_ms")),
    )
    row(
        "same step via `services.tasks.complete` in-process + commit, ms p50",
        lambda b, v: _ms(_get(v, "step", "complete_service", "p50_ms")),
    )
    row(
        f"**HTTP completion** `POST /api/v1/tasks/{{id}}/complete` at {int(big):,}, ms p50",
        lambda b, v: f"**{_ms(p50(b, v, big, 'complete_http'))}**",
    )

    def completion_ratio(b: str, v: dict[str, Any]) -> float | None:
        http, noop = p50(b, v, big, "complete_http"), p50(b, v, big, "noop")
        raw = _get(v, "step", "raw_engine", "total", "p50_ms")
        return http / (noop + raw) if http and noop and raw else None

    row("ratio HTTP completion / (no-op + raw engine); target <= 2", lambda b, v: _verdict(completion_ratio(b, v), 2))
    for size in (small, big):
        row(
            f"inbox `GET /api/v1/tasks` (page of 200) at {int(size):,}, ms p50 (tasks returned)",
            lambda b, v, size=size: f"{_ms(p50(b, v, size, 'inbox'))} "
            f"({_get(v, 'measured', size, 'inbox', 'tasks_returned')})",
        )
    for size in (small, big):
        row(
            f"**inbox, equal page** `GET /api/v1/tasks?limit=N` at {int(size):,}, ms p50 (tasks returned)",
            lambda b, v, size=size: f"**{_ms(p50(b, v, size, 'inbox_page'))}** "
            f"({_get(v, 'measured', size, 'inbox_page', 'tasks_returned')})",
        )

    def inbox_ratio(b: str, v: dict[str, Any]) -> float | None:
        one, two = p50(b, v, small, "inbox_page"), p50(b, v, big, "inbox_page")
        same = _get(v, "measured", small, "inbox_page", "tasks_returned") == _get(
            v, "measured", big, "inbox_page", "tasks_returned"
        )
        return two / one if one and two and same else None

    row(f"ratio inbox page {int(big):,} / {int(small):,}; target <= 1.5", lambda b, v: _verdict(inbox_ratio(b, v), 1.5))
    for size in (small, big):
        row(
            f"sweep with 100 timers due, timers waiting at {int(size):,} open cases: count",
            lambda b, v, size=size: str(_get(sweeps, b, size, "waiting") or "-"),
        )
        row(
            f"    whole `services.scheduler.sweep(now)` / its timer step alone, ms p50 at {int(size):,}",
            lambda b, v, size=size: f"{_ms(_get(sweeps, b, size, 'sweep_p50_ms'))} / "
            f"{_ms(_get(sweeps, b, size, 'timer_step_p50_ms'))} (fired {_get(sweeps, b, size, 'timers_fired')})",
        )

    def sweep_ratio(b: str, key: str) -> float | None:
        one, two = _get(sweeps, b, small, key), _get(sweeps, b, big, key)
        return two / one if one and two else None

    row(
        f"ratio sweep {int(big):,} / {int(small):,}: whole sweep; timer step; target <= 1.5",
        lambda b, v: f"{_verdict(sweep_ratio(b, 'sweep_p50_ms'), 1.5)}; "
        f"{_verdict(sweep_ratio(b, 'timer_step_p50_ms'), 1.5)}",
    )
    if results.get("sweep_measured_again"):
        again = results["sweep_measured_again"]
        lines.append(f"| (the sweep rows were measured again by `bench.run --sweep-only` on {again}, on this "
                     "run's data sets) | " + " | ".join("" for _ in backends) + " |")
    for b, v in backends.items():
        summary.append(
            f"{names[b]}: completion ratio {_verdict(completion_ratio(b, v), 2)}, inbox ratio "
            f"{_verdict(inbox_ratio(b, v), 1.5)}, sweep ratio {_verdict(sweep_ratio(b, 'sweep_p50_ms'), 1.5)} "
            f"(timer step {_verdict(sweep_ratio(b, 'timer_step_p50_ms'), 1.5)})"
        )
    return "\n".join(lines), summary


def plans(results: dict[str, Any]) -> str:
    """The inbox page's query plan on each database at the largest size."""
    big = str(max(results["sizes"]))
    out = []
    for b, v in _per_backend(results).items():
        plan = _get(v, "measured", big, "inbox_plan") or []
        out.append(f"{b} ({int(big):,} open cases):\n\n```\n" + "\n".join(plan) + "\n```")
    return "\n\n".join(out)
