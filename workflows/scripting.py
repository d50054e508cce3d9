"""Restricted evaluation of BPMN scripts, gateway conditions and timer expressions.

SpiffWorkflow runs script text with plain ``exec``/``eval``. Here every script and expression is compiled
with RestrictedPython (no imports, no ``_``-prefixed attributes, guarded attribute/item access) and runs
against a small allow-list of builtins and date helpers. Task data goes in; plain data comes back out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import CodeType
from typing import Any
from zoneinfo import ZoneInfo

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from workflows.calendar import ENGLAND_AND_WALES, WorkingCalendar
from workflows.clock import current_engine_time
from workflows.limits import LimitPolicy, ScriptLimits, ScriptRun

LONDON = ZoneInfo("Europe/London")


class ScriptRejected(Exception):
    """The script text does not compile under the restrictions."""


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.astimezone(LONDON).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def make_helpers(calendar: WorkingCalendar) -> dict[str, Callable[..., Any]]:
    """Functions a process owner may call from BPMN scripts and expressions."""

    def today() -> str:
        return current_engine_time().astimezone(LONDON).date().isoformat()

    def now() -> str:
        return current_engine_time().isoformat()

    def add_days(day: Any, days: int) -> str:
        return (_as_date(day) + timedelta(days=days)).isoformat()

    def add_weeks(day: Any, weeks: int) -> str:
        return (_as_date(day) + timedelta(weeks=weeks)).isoformat()

    def add_months(day: Any, months: int) -> str:
        d = _as_date(day)
        month_index = d.month - 1 + months
        year, month = d.year + month_index // 12, month_index % 12 + 1
        for day_of_month in (d.day, 30, 29, 28):
            try:
                return date(year, month, day_of_month).isoformat()
            except ValueError:
                continue
        raise ValueError("unreachable")

    def add_working_days(day: Any, days: int) -> str:
        return calendar.add_working_days(_as_date(day), days).isoformat()

    def start_of_day(day: Any, hour: int = 9) -> str:
        """An aware UTC instant for ``hour``:00 London time on ``day`` (for timer events)."""
        local = datetime.combine(_as_date(day), time(hour), LONDON)
        return local.astimezone(UTC).isoformat()

    def days_between(first: Any, second: Any) -> int:
        return (_as_date(second) - _as_date(first)).days

    return {
        "today": today, "now": now, "add_days": add_days, "add_weeks": add_weeks, "add_months": add_months,
        "add_working_days": add_working_days, "start_of_day": start_of_day, "days_between": days_between,
    }


_BUILTINS: dict[str, Any] = {name: safe_builtins[name] for name in (
    "None", "False", "True", "abs", "bool", "dict", "float", "int", "len", "list", "max", "min", "range",
    "round", "sorted", "str", "sum", "tuple", "zip", "isinstance", "set", "any", "all", "enumerate",
) if name in safe_builtins}
for _name, _fn in (("dict", dict), ("list", list), ("set", set), ("any", any), ("all", all),
                   ("enumerate", enumerate), ("sum", sum), ("max", max), ("min", min), ("sorted", sorted)):
    _BUILTINS.setdefault(_name, _fn)

BUILTIN_NAMES = frozenset(_BUILTINS)

_GUARDS: dict[str, Any] = {
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_iter_unpack_sequence,
    "_write_": full_write_guard,
}


@lru_cache(maxsize=2048)
def _compile_eval(expression: str) -> CodeType:
    result = compile_restricted_eval(expression, "<bpmn expression>", policy=LimitPolicy)
    if result.errors or result.code is None:
        raise ScriptRejected("; ".join(result.errors) or "could not compile")
    return result.code


@lru_cache(maxsize=2048)
def _compile_exec(script: str) -> CodeType:
    result = compile_restricted_exec(script, "<bpmn script>", policy=LimitPolicy)
    if result.errors or result.code is None:
        raise ScriptRejected("; ".join(result.errors) or "could not compile")
    return result.code


_PLAIN = (str, int, float, bool, list, dict, date, datetime, type(None))  # the values a script leaves in task data
_CONTAINERS = (list, dict)
_MISSING = object()


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that only runs RestrictedPython-compiled code, within ``limits``."""

    def __init__(self, calendar: WorkingCalendar = ENGLAND_AND_WALES, limits: ScriptLimits | None = None) -> None:
        self.helpers = make_helpers(calendar)
        self.limits = limits or ScriptLimits()
        super().__init__({"__builtins__": _BUILTINS, **_GUARDS, **self.helpers})

    def evaluate(self, expression: str, context: Mapping[str, Any], external_context: Any = None) -> Any:
        code = _compile_eval(expression)
        run = ScriptRun(self.limits)
        scope = {**self.globals, **run.guards(), **(external_context or {}), **context}
        return run.run(code, scope, evaluate=True)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        clash = set(self.helpers).intersection(context)
        if clash:
            raise ValueError(f"task data overwrites helper function(s): {sorted(clash)}")
        code = _compile_exec(script)
        run = ScriptRun(self.limits)
        scope: dict[str, Any] = {**self.globals, **run.guards(), **(external_context or {}), **context}
        run.run(code, scope, evaluate=False)
        kept: dict[str, Any] = {}
        changed: dict[str, Any] = {}  # what the task will store: new or rebound values, containers changed in place
        for key, value in scope.items():
            if key.startswith("_") or key in self.globals or not isinstance(value, _PLAIN):
                continue
            kept[key] = value
            if context.get(key, _MISSING) is not value or (run.mutated and isinstance(value, _CONTAINERS)):
                changed[key] = value
        run.check_data(changed)
        for key in list(context):
            if key not in scope:
                del context[key]
        context.update(kept)
        return True

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise ScriptRejected("service tasks are not enabled")


def restricted_script_engine(calendar: WorkingCalendar = ENGLAND_AND_WALES,
                             limits: ScriptLimits | None = None) -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment(calendar, limits))


def check_script(text: str, *, expression: bool) -> str | None:
    """Compile-check a script or expression; return the error text, or None when it compiles."""
    try:
        (_compile_eval if expression else _compile_exec)(text)
    except (ScriptRejected, SyntaxError) as err:
        return str(err)
    return None
