"""Run-time limits for BPMN scripts and expressions: a time limit and a size limit, enforced in process.

Time: the policy compiles a ``_tick_()`` call into the top of every loop body, comprehension step, function
and lambda; it stops the run once the deadline has passed (and keeps stopping it, should the script catch that).
No tracing: a script without loops pays nothing for it. Size: the operations that can build a large object in
one C call (``*``, ``**``, ``<<``, ``+``, ``%`` formatting, ``range``, ``sum``, ``str.join``, padding,
``list.extend``, ...) are compiled into calls of guards that work out the size of the result first, refuse it
over ``max_length`` items and charge it to the run's budget. What no guard sees (a list doubled by slice
assignment) is caught by the process's resident memory, read by the tick after any slow loop step and every
``_RSS_EVERY`` steps. A limit reached raises ScriptLimitExceeded at the script's boundary: an ordinary failing
script for the engine, so an incident for its instance.
"""

from __future__ import annotations

import ast
import operator
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import CodeType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer
from RestrictedPython.Guards import safer_getattr

FORMAT_WIDTH_LIMIT = 10_000  # widths in f-string format specs, checked when the script compiles
_GUARDED_OPS: dict[type[ast.operator], str] = {
    ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_",
}
_RSS_EVERY = 1024  # loop steps between two reads of the resident memory
_SLOW_STEP = 0.002  # seconds: a loop step this slow may have allocated much; read the resident memory after it
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_SEQUENCES = (str, bytes, list, tuple)
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


class LimitPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, with the size-building operators compiled into guard calls."""

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


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class ScriptRun:
    """The limits of one script or expression run: its deadline, its budget and the guards that charge it."""

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.spent = 0
        self.failure: str | None = None
        self.deadline = self.last_tick = 0.0
        self.ticks = 0
        self.rss_start: int | None = None

    # -- guards put in the script's globals ------------------------------------------------------------------
    def guards(self) -> dict[str, Any]:
        return {"_tick_": self.tick, "_add_": self.add, "_mul_": self.mul, "_pow_": self.pow, "_lshift_": self.lshift,
                "_mod_": self.mod, "_inplacevar_": self.inplacevar, "_getattr_": self.getattr, "range": self.range,
                "sum": self.sum}

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
        if isinstance(obj, str | bytes) and name in _REFUSED_TEXT:
            self.stop(f"str.{name}() is not allowed in scripts")
        if isinstance(obj, str | bytes) and name in _TEXT_GUARDS:
            return _bound(self, obj, _TEXT_GUARDS[name], value)
        if isinstance(obj, list) and name == "extend":
            return _bound(self, obj, _extend, value)
        return value

    # -- the deadline: ``_tick_()`` runs at the top of every loop body, comprehension step and function call -----
    def stop(self, reason: str) -> None:
        self.failure = self.failure or reason
        raise _Stop(self.failure)

    def tick(self) -> bool:
        now = time.monotonic()
        if self.failure is not None or now > self.deadline:
            self.stop(f"the script ran for more than {self.limits.seconds:g} s (time limit)")
        self.ticks += 1
        if self.limits.max_memory and (now - self.last_tick > _SLOW_STEP or self.ticks % _RSS_EVERY == 0):
            self._check_memory()
        self.last_tick = now
        return True

    def _check_memory(self) -> None:
        """Compare the resident memory with its first reading (taken late: short scripts never pay for it)."""
        rss = _resident_bytes()
        if rss is None or self.rss_start is None:
            self.rss_start = rss
        elif rss - self.rss_start > self.limits.max_memory:
            self.stop(f"the script used more than {self.limits.max_memory // 2**20} MB (memory limit)")

    def run(self, code: CodeType, scope: dict[str, Any], evaluate: bool) -> Any:
        """Run restricted code under the limits; any limit reached comes out as ScriptLimitExceeded."""
        self.deadline = self.last_tick = time.monotonic()
        self.deadline += self.limits.seconds
        try:
            result = eval(code, scope) if evaluate else None  # noqa: S307 - restricted bytecode, guarded globals
            if not evaluate:
                exec(code, scope)  # noqa: S102 - restricted bytecode, guarded globals
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
