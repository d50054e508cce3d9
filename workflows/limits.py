"""Run-time limits for BPMN scripts and expressions: a time limit and a size limit, enforced in process.

Time: the policy compiles a ``_tick_()`` call into the top of every loop body, comprehension step, function
and lambda, and after every statement that does more than bind names to names and constants, at every level
(straight-line code too); the run ticks once more when the script ends. A tick stops the run once the deadline
has passed (and keeps stopping it, should the script catch that). No tracing. Size: the operations that can
build a large object in one C call (``*``, ``**``, ``<<``, ``+``, ``%`` formatting, ``range``, ``sum``,
``str.join``, padding, ``list.extend``, ...) are compiled into calls of guards that work out the size of the
result first, refuse it over ``max_length`` items and charge it to the run's budget. What no guard sees (a list
doubled by slice assignment, ``list(range(n))`` statement after statement) is caught by the process's resident
memory: read when the run starts, then by any tick ``_MEMORY_EVERY`` seconds or more after the last reading.
Data: what a script adds to or changes in its task's data is stored with the instance, so its JSON may take at
most ``max_data`` bytes. A limit reached raises ScriptLimitExceeded at the script's boundary: an ordinary
failing script for the engine, so an incident for its instance.
"""

from __future__ import annotations

import ast
import json
import operator
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from types import CodeType
from typing import Any, cast

from RestrictedPython import RestrictingNodeTransformer
from RestrictedPython.Guards import full_write_guard, safer_getattr

FORMAT_WIDTH_LIMIT = 10_000  # widths in f-string format specs, checked when the script compiles
_GUARDED_OPS: dict[type[ast.operator], str] = {
    ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_",
}
_MEMORY_EVERY = 0.002  # seconds between two readings of the resident memory (one costs about 2 us)
# Statements made only of these nodes cannot take long or build much: no tick after them.
_CHEAP_NODES = (ast.Assign, ast.Name, ast.Constant, ast.expr_context, ast.Pass, ast.Global, ast.Nonlocal,
                ast.UnaryOp, ast.unaryop, ast.BoolOp, ast.boolop)
# Statements after which nothing runs: a tick there would be dead code.
_LAST_STATEMENTS = (ast.Return, ast.Raise, ast.Break, ast.Continue)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_SEQUENCES = (str, bytes, list, tuple)
# Methods that change a list or dict in place: after one, the task data's containers count as changed.
_MUTATORS = frozenset({"append", "extend", "insert", "update", "setdefault", "pop", "popitem", "remove", "clear",
                       "sort", "reverse"})
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.isub, "/=": operator.itruediv, "//=": operator.ifloordiv, "|=": operator.ior,
    "&=": operator.iand, ">>=": operator.irshift, "^=": operator.ixor,
}


class ScriptLimitExceeded(Exception):
    """A script or expression reached its time or size limit and was stopped."""


class _Stop(BaseException):
    """Raised inside the restricted code: a BaseException, so the script's own ``except Exception`` cannot keep it."""


@dataclass(frozen=True)
class ScriptLimits:
    seconds: float = 1.0  # wall-clock time of one script or expression
    max_length: int = 1_000_000  # items or characters in one object built by a guarded operation
    max_int_bits: int = 100_000  # size of one integer built by ``*``, ``**`` or ``<<``
    budget: int = 20_000_000  # items or characters built by guarded operations in one run
    max_memory: int = 128 * 2**20  # bytes the process's resident memory may grow by during one run
    max_data: int = 2**20  # bytes of JSON a script may add to or change in its task's data (shipped ones: < 1 KB)


class LimitPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, with the size-building operators compiled into guard calls and ticks added."""

    def visit_Module(self, node: ast.Module) -> Any:
        module = cast(ast.Module, super().visit_Module(node))
        for parent in ast.walk(module):  # ast.walk has queued a node's children before it yields the node
            for field in ("body", "orelse", "finalbody"):
                statements = getattr(parent, field, None)
                if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                    setattr(parent, field, _ticked_statements(statements))
        return module

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_While(self, node: ast.While) -> Any:
        return _ticked(self.node_contents_visit(node))

    def visit_For(self, node: ast.For) -> Any:
        return _ticked(super().visit_For(node))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        return _ticked(super().visit_FunctionDef(node))

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        return _ticked(super().visit_Lambda(node))

    def visit_comprehension(self, node: ast.comprehension) -> Any:
        return _ticked(super().visit_comprehension(node))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        spec = node.format_spec
        if isinstance(spec, ast.JoinedStr):
            if not all(isinstance(part, ast.Constant) for part in spec.values):
                self.error(node, "Format specs computed at run time are not allowed in f-strings.")
            elif max(map(int, re.findall(r"\d+", ast.unparse(spec))), default=0) > FORMAT_WIDTH_LIMIT:
                self.error(node, f"A format width over {FORMAT_WIDTH_LIMIT} is not allowed in f-strings.")
        return self.node_contents_visit(node)


def _tick_call(near: ast.AST) -> ast.expr:
    call = ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[])
    return ast.fix_missing_locations(ast.copy_location(call, near))


def _ticked(node: Any) -> Any:
    """``node`` with a tick first: at the top of a loop or function body, before a comprehension's conditions."""
    if isinstance(node, ast.Lambda):
        node.body = ast.copy_location(ast.BoolOp(ast.And(), [_tick_call(node), node.body]), node.body)
    elif isinstance(node, ast.comprehension):
        node.ifs.insert(0, _tick_call(node.iter))
    else:
        node.body.insert(0, ast.fix_missing_locations(ast.copy_location(ast.Expr(_tick_call(node)), node)))
    return node


def _is_tick(statement: ast.stmt) -> bool:
    call = statement.value if isinstance(statement, ast.Expr) else None
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "_tick_"


def _needs_tick(statement: ast.stmt) -> bool:
    if _is_tick(statement) or isinstance(statement, _LAST_STATEMENTS):
        return False
    return not all(isinstance(node, _CHEAP_NODES) for node in ast.walk(statement))


def _ticked_statements(statements: list[ast.stmt]) -> list[ast.stmt]:
    """``statements`` with a tick after each one that may take time or build something."""
    ticked: list[ast.stmt] = []
    for statement in statements:
        ticked.append(statement)
        if _needs_tick(statement):
            tick = ast.Expr(_tick_call(statement))
            ticked.append(ast.fix_missing_locations(ast.copy_location(tick, statement)))
    return ticked


_statm: tuple[int, int] | None = None  # (pid, descriptor of /proc/<pid>/statm), opened once per process
_statm_lock = threading.Lock()


def _resident_bytes() -> int | None:
    """The resident memory of this process: one ``pread`` of /proc/self/statm, kept open (reopened after a fork)."""
    global _statm
    pid = os.getpid()
    try:
        if _statm is None or _statm[0] != pid:
            with _statm_lock:
                if _statm is None or _statm[0] != pid:
                    if _statm is not None:
                        os.close(_statm[1])  # the parent's, inherited through fork
                    _statm = (pid, os.open("/proc/self/statm", os.O_RDONLY))
        return int(os.pread(_statm[1], 128, 0).split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None


def _stored_size(name: str, value: Any, limit: int) -> int:
    """About the length of ``value`` as JSON, counted only until it passes ``limit`` (so a huge value costs little)."""
    if isinstance(value, str):
        return len(value) + 2
    if not isinstance(value, list | dict):
        return len(str(value)) + 2  # a number, date or None
    size = 0
    try:
        for chunk in _ENCODER.iterencode(value):
            size += len(chunk)
            if size > limit:
                break
    except (ValueError, RecursionError):
        raise ScriptLimitExceeded(f"'{name}' cannot be stored: it contains itself or is nested too deeply") from None
    return size


_ENCODER = json.JSONEncoder(default=str, separators=(",", ":"))
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class ScriptRun:
    """The limits of one script or expression run: its deadline, its budget and the guards that charge it."""

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.spent = 0
        self.failure: str | None = None
        self.deadline = self.last_memory = 0.0
        self.rss_start: int | None = None
        self.mutated = False  # the script changed some object in place (item or attribute written, a mutator called)

    # -- guards put in the script's globals ------------------------------------------------------------------
    def guards(self) -> dict[str, Any]:
        return {"_tick_": self.tick, "_add_": self.add, "_mul_": self.mul, "_pow_": self.pow, "_lshift_": self.lshift,
                "_mod_": self.mod, "_inplacevar_": self.inplacevar, "_getattr_": self.getattr, "_write_": self.write,
                "range": self.range, "sum": self.sum}

    def write(self, obj: Any) -> Any:
        """``obj[k] = v``, ``del obj[k]``, ``obj.a = v``: RestrictedPython's write guard, noting the change."""
        self.mutated = True
        return full_write_guard(obj)

    def inplacevar(self, op: str, x: Any, y: Any) -> Any:
        """``x op= y``: the same guards as the plain operators."""
        guarded = {"+=": self.add, "*=": self.mul, "**=": self.pow, "<<=": self.lshift, "%=": self.mod}
        if op in guarded:
            return guarded[op](x, y)
        if op not in _INPLACE:
            self.stop(f"operator {op} is not allowed")
        return _INPLACE[op](x, y)

    def charge(self, size: int, what: str = "an object") -> None:
        if size > self.limits.max_length:
            self.stop(f"the script would build {what} of {size:,} items, over the limit of "
                      f"{self.limits.max_length:,} (memory limit)")
        self.spent += size
        if self.spent > self.limits.budget:
            self.stop(f"the script built more than {self.limits.budget:,} items in all (memory limit)")

    def bits(self, bits: int) -> None:
        if bits > self.limits.max_int_bits:
            self.stop(f"the script would build a number of {bits:,} bits, over the limit of "
                      f"{self.limits.max_int_bits:,} (memory limit)")

    def add(self, a: Any, b: Any) -> Any:
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            self.charge(len(a) + len(b))
        return a + b

    def mul(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int):
            self.bits(a.bit_length() + b.bit_length())
        elif isinstance(a, _SEQUENCES) and isinstance(b, int):
            self.charge(len(a) * max(b, 0))
        elif isinstance(b, _SEQUENCES) and isinstance(a, int):
            self.charge(len(b) * max(a, 0))
        return a * b

    def pow(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and b > 0:
            self.bits(max(a.bit_length() - 1, 1) * b)
        return a**b

    def lshift(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and b > 0:
            self.bits(a.bit_length() + b)
        return a << b

    def mod(self, a: Any, b: Any) -> Any:
        if isinstance(a, str | bytes):
            text = a.decode("latin-1") if isinstance(a, bytes) else a
            widths = [w for m in _PERCENT_SPEC.finditer(text) for w in m.groups() if w]
            if "*" in widths:
                self.stop("'*' widths are not allowed in % formatting")
            self.charge(len(a) + sum(int(w) for w in widths), "a formatted string")
        return a % b

    def range(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > self.limits.max_length:
            self.stop(f"range of {len(numbers):,} numbers is over the limit of {self.limits.max_length:,}")
        return numbers

    def sum(self, values: Iterable[Any], start: Any = 0) -> Any:
        if not isinstance(start, int | float):
            self.stop("sum() adds numbers only")
        return sum(values, start)

    def getattr(self, obj: Any, name: str, default: Any = None) -> Any:
        value = safer_getattr(obj, name, default)
        if name in _MUTATORS:
            self.mutated = True
        if isinstance(obj, str | bytes) and name in _REFUSED_TEXT:
            self.stop(f"str.{name}() is not allowed in scripts")
        if isinstance(obj, str | bytes) and name in _TEXT_GUARDS:
            return _bound(self, obj, _TEXT_GUARDS[name], value)
        if isinstance(obj, list) and name == "extend":
            return _bound(self, obj, _extend, value)
        if (obj is str or obj is bytes) and name in _REFUSED_TEXT:
            self.stop(f"str.{name}() is not allowed in scripts")
        if (obj is str or obj is bytes) and name in _TEXT_GUARDS:  # str.ljust(text, n): the same guard as text.ljust(n)
            return _unbound(self, _TEXT_GUARDS[name], value)
        if obj is list and name == "extend":
            return _unbound(self, _extend, value)
        return value

    # -- the deadline: ``_tick_()`` runs in every loop step and function call, after statements, at the end ------
    def stop(self, reason: str) -> None:
        self.failure = self.failure or reason
        raise _Stop(self.failure)

    def tick(self) -> bool:
        now = time.monotonic()
        if self.failure is not None or now > self.deadline:
            self.stop(f"the script ran for more than {self.limits.seconds:g} s (time limit)")
        if self.limits.max_memory and now - self.last_memory >= _MEMORY_EVERY:
            self.last_memory = now
            self._check_memory()
        return True

    def _check_memory(self) -> None:
        """Compare the resident memory with its reading when the run started."""
        rss = _resident_bytes()
        if rss is None or self.rss_start is None:
            self.rss_start = rss
        elif rss - self.rss_start > self.limits.max_memory:
            self.stop(f"the script used more than {self.limits.max_memory // 2**20} MB (memory limit)")

    def check_data(self, values: Mapping[str, Any]) -> None:
        """Refuse to leave more than ``max_data`` bytes of JSON in the task: it is stored with the instance."""
        total, largest, largest_size = 0, "", -1
        for name, value in values.items():
            size = _stored_size(name, value, self.limits.max_data - total)
            total += size
            if size > largest_size:
                largest, largest_size = name, size
            if total > self.limits.max_data:
                raise ScriptLimitExceeded(
                    f"the script left more than {self.limits.max_data:,} bytes of data in its task (data limit), "
                    f"the largest value being '{largest}'")

    def run(self, code: CodeType, scope: dict[str, Any], evaluate: bool) -> Any:
        """Run restricted code under the limits; any limit reached comes out as ScriptLimitExceeded."""
        if self.limits.max_memory:
            self.rss_start = _resident_bytes()
        self.deadline = self.last_memory = time.monotonic()
        self.deadline += self.limits.seconds
        try:
            result = eval(code, scope) if evaluate else None  # noqa: S307 - restricted bytecode, guarded globals
            if not evaluate:
                exec(code, scope)  # noqa: S102 - restricted bytecode, guarded globals
            self.tick()  # the end of the run: a last statement that overran the deadline or grew memory stops here
        except _Stop as stop:
            raise ScriptLimitExceeded(str(stop)) from None
        except MemoryError:
            raise ScriptLimitExceeded("the script ran out of memory (memory limit)") from None
        if self.failure is not None:  # the script caught the stop with a bare except and finished anyway
            raise ScriptLimitExceeded(self.failure)
        return result


def _bound(run: ScriptRun, obj: Any, check: Callable[..., int], method: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any) -> Any:
        materialised = [list(a) if not isinstance(a, str | bytes | int | dict) else a for a in args]
        run.charge(check(obj, *materialised), "a string or list")
        return method(*materialised)
    return guarded


def _unbound(run: ScriptRun, check: Callable[..., int], method: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(obj: Any, *args: Any) -> Any:
        return _bound(run, obj, check, partial(method, obj))(*args)
    return guarded


def _join(sep: Any, items: list[Any]) -> int:
    return sum(len(item) for item in items if isinstance(item, str | bytes)) + len(sep) * max(len(items) - 1, 0)


def _pad(text: Any, width: int, *_: Any) -> int:
    return max(len(text), width)


def _replace(text: Any, old: Any, new: Any, count: int = -1) -> int:
    times = len(text) + 1 if not old else text.count(old)
    return len(text) + (times if count < 0 else min(times, count)) * len(new)


def _extend(items: list[Any], more: list[Any]) -> int:
    return len(items) + len(more)


_TEXT_GUARDS: dict[str, Callable[..., int]] = {
    "join": _join, "ljust": _pad, "rjust": _pad, "center": _pad, "zfill": _pad, "replace": _replace,
}
_REFUSED_TEXT = frozenset({"expandtabs", "translate", "maketrans"})
