"""Scripts, conditions and timer expressions run restricted: no files, imports, dunders or network."""

from __future__ import annotations

import pytest

from workflows.scripting import RestrictedEnvironment, ScriptRejected, check_script


@pytest.fixture
def env() -> RestrictedEnvironment:
    return RestrictedEnvironment()


@pytest.mark.parametrize("script", [
    "open('/etc/passwd').read()",
    "import os",
    "().__class__.__base__.__subclasses__()",
    "x = getattr((), '__class__')",
    "__import__('os').system('true')",
    "eval('1')",
])
def test_escapes_fail(env: RestrictedEnvironment, script: str) -> None:
    with pytest.raises((ScriptRejected, NameError, ImportError, SyntaxError, AttributeError, TypeError)):
        env.execute(script, {})


def test_plain_scripts_run_and_return_data(env: RestrictedEnvironment) -> None:
    data = {"level": 2, "items": [1, 2]}
    env.execute("level = level + 1\ntotal = sum(items)\nlabel = 'Level ' + str(level)", data)
    assert data == {"level": 3, "items": [1, 2], "total": 3, "label": "Level 3"}


def test_date_helpers(env: RestrictedEnvironment) -> None:
    assert env.evaluate("add_working_days('2026-12-24', 1)", {}) == "2026-12-29"  # Christmas and Boxing Day
    assert env.evaluate("add_months('2026-01-31', 1)", {}) == "2026-02-28"
    assert env.evaluate("start_of_day('2026-07-01')", {}) == "2026-07-01T08:00:00+00:00"  # 9am BST


def test_helper_names_cannot_be_overwritten_by_data(env: RestrictedEnvironment) -> None:
    with pytest.raises(ValueError, match="today"):
        env.execute("x = 1", {"today": "2026-01-01"})


def test_check_script_reports_compile_errors() -> None:
    assert check_script("a.__dict__", expression=True) is not None
    assert check_script("level == 1", expression=True) is None
