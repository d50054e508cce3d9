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


def _straight_line(statement: str, times: int) -> str:
    """A script without a loop: ``statement`` (with ``{i}`` numbered) written out ``times`` times."""
    return "\n".join(statement.format(i=i) for i in range(times))


def test_a_straight_line_script_is_stopped_at_its_time_limit() -> None:
    script = _straight_line("x{i} = sorted(range(10_000), reverse=True)", 400)  # about 0.2 s of work, no loop
    with pytest.raises(ScriptLimitExceeded, match=r"ran for more than 0.02 s \(time limit\)"):
        RestrictedEnvironment(limits=ScriptLimits(seconds=0.02)).execute(script, {})


def test_a_straight_line_script_is_stopped_at_its_memory_limit() -> None:
    script = _straight_line("a{i} = list(range(10**5))", 30) + "\n" + _straight_line("a{i} = None", 30)
    data: dict[str, object] = {}
    with pytest.raises(ScriptLimitExceeded, match=r"used more than 16 MB \(memory limit\)"):  # 30 x 3.6 MB
        RestrictedEnvironment(limits=ScriptLimits(seconds=5, max_memory=16 * 2**20)).execute(script, data)
    assert data == {}


def test_the_end_of_a_run_is_checked_too() -> None:
    with pytest.raises(ScriptLimitExceeded, match=r"time limit"):  # one C call, no tick inside it
        RestrictedEnvironment(limits=ScriptLimits(seconds=0.001)).evaluate("sorted(range(10**6), reverse=True)", {})


@pytest.mark.parametrize("script", [
    "x = list(range(10**7))", "x = dict.fromkeys(range(10**7))", "x = 'x' * 10**8", "x = [0] * 10**8",
    "x = bytes(10**9)", "x = bytearray(10**9)", "x = str.ljust('x', 10**8)", "x = str.join('', ['ab' * 5_000] * 2)",
    "x = str.replace('a' * 10**3, 'a', 'b' * 10**3)", "x = [0]\nlist.extend(x, [0] * 10**5)",
    "x = str.expandtabs('\\t')",
])
def test_one_statement_cannot_build_a_huge_value(script: str) -> None:
    with pytest.raises((ScriptLimitExceeded, NameError)):  # bytes and bytearray are not scripts' builtins at all
        RestrictedEnvironment(limits=SMALL).execute(script, {})


@pytest.mark.parametrize(("script", "data", "name"), [
    ("x = dict.fromkeys(range(10**5))", {}, "x"),  # 1.3 MB of JSON
    ("rows.extend(['%s' % i for i in range(5_000)] * 40)", {"rows": []}, "rows"),  # grown in place
    ("groups['a'] = ['g' * 1_000] * 1_100", {"groups": {}}, "groups"),  # an item written in place
    ("small = 1\nnotes = ['n' * 100_000] * 11", {}, "notes"),
])
def test_a_script_may_not_leave_more_than_max_data_in_its_task(script: str, data: dict[str, object],
                                                               name: str) -> None:
    with pytest.raises(ScriptLimitExceeded) as refused:
        RestrictedEnvironment().execute(script, data)
    assert str(refused.value) == (f"the script left more than 1,048,576 bytes of data in its task (data limit), "
                                  f"the largest value being '{name}'")
    assert "x" not in data and "notes" not in data  # nothing of a refused script is kept


def test_data_a_script_leaves_unchanged_is_not_charged() -> None:
    data = {"history": ["h" * 1_000] * 2_000, "n": 1}  # 2 MB already there (a form's data, say), only read
    RestrictedEnvironment().execute("n = n + 1\ncount = len(history)\nlast = history[-1][:3]", data)
    assert (data["n"], data["count"]) == (2, 2_000)


def test_ticks_leave_every_kind_of_statement_working() -> None:
    data: dict[str, object] = {"items": [3, 1, 2]}
    RestrictedEnvironment(limits=SMALL).execute(
        "def pick(xs):\n    for x in xs:\n        if x > 1:\n            return x\n    return None\n"
        "try:\n    first = pick(items)\n    bad = items[10]\nexcept:\n    caught = True\nelse:\n"
        "    caught = False\nfinally:\n    done = 'yes'\nwhile True:\n    break\nelse:\n    never = 1\n"
        "label = 'big' if first > 2 else 'small'", data)
    assert {k: data[k] for k in ("first", "caught", "done", "label")} == {
        "first": 3, "caught": True, "done": "yes", "label": "big"}
