"""Scripts run with a time and a memory limit: a runaway script puts its own instance in error, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workflows import Engine
from workflows.engine import completed_bpmn_ids
from workflows.limits import ScriptLimitExceeded, ScriptLimits
from workflows.registry import ParsedModel, parse_model
from workflows.scripting import RestrictedEnvironment

MODEL = Path(__file__).parent / "models" / "script_limits.bpmn"
NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
SMALL = ScriptLimits(seconds=0.05, max_length=10_000, budget=100_000)


@pytest.fixture
def model() -> ParsedModel:
    return parse_model("script_limits", {MODEL.name: MODEL.read_bytes()})


@pytest.fixture
def engine() -> Engine:
    return Engine(limits=SMALL)


@pytest.mark.parametrize(("script", "reason"), [
    ("loop", "the script ran for more than 0.05 s (time limit)"),
    ("huge", "the script would build an object of 1,000,000,000 items, over the limit of 10,000 (memory limit)"),
])
def test_a_runaway_script_puts_its_instance_in_error_and_others_keep_running(
        engine: Engine, model: ParsedModel, script: str, reason: str) -> None:
    runaway, result = engine.start(model, {"script": script}, NOW)
    healthy, healthy_result = engine.start(model, {"script": "plain"}, NOW)

    assert result.error is not None and reason in result.error.message
    assert result.error.task_name in ("Loop forever", "Build a 1 GB string")
    assert not engine.ready_user_tasks(runaway, model)
    engine.dump(runaway)  # the instance in error still saves, to be retried once the model is fixed
    assert healthy_result.error is None
    [check] = engine.ready_user_tasks(healthy, model)
    assert engine.complete(healthy, check.task_id, {}, NOW).error is None
    assert healthy.is_completed() and "plain_script" in completed_bpmn_ids(healthy)


@pytest.mark.parametrize("text", [
    "'x' * 10**9", "'x'.ljust(10**9)", "''.join(['a' * 10_000] * 10_000)", "'%1000000000d' % 1", "2 ** 10**9",
    "1 << 10**10", "sum(range(10**12))", "[x for x in range(10**4) for y in range(10**4)]",
])
def test_expressions_building_huge_values_are_refused(text: str) -> None:
    with pytest.raises(ScriptLimitExceeded):
        RestrictedEnvironment(limits=SMALL).evaluate(text, {})


@pytest.mark.parametrize("script", [
    "while True: pass",
    "x = [0]\nwhile True: x[len(x):] = x",  # no guard sees slice assignment: the time or memory limit stops it
    "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nx = f(50)",
    "x = 'x'\nwhile True: x += x",
    "rows = []\nwhile True: rows.append('y' * 10_000)",
])
def test_runaway_scripts_are_stopped(script: str) -> None:
    with pytest.raises(ScriptLimitExceeded):
        RestrictedEnvironment(limits=SMALL).execute(script, {})


def test_ordinary_scripts_run_as_before() -> None:
    data = {"items": [3, 1, 2]}
    RestrictedEnvironment(limits=SMALL).execute(
        "total = sum(items)\nnames = ', '.join(str(i) * 2 for i in sorted(items))\nlabel = '%s items' % len(items)\n"
        "padded = 'a'.ljust(5)\nfor i in range(3):\n    total += i", data)
    assert data["total"] == 9 and data["names"] == "11, 22, 33" and data["label"] == "3 items"
