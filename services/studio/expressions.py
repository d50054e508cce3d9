"""Scripts and expressions as the sandbox sees them: do they compile, call only allowed helpers, build no
obviously huge literal, and which data names do they read?"""

from __future__ import annotations

import ast

from workflows.calendar import ENGLAND_AND_WALES
from workflows.scripting import BUILTIN_NAMES, check_script, make_helpers

HELPERS = frozenset(make_helpers(ENGLAND_AND_WALES))
CALLABLE = HELPERS | BUILTIN_NAMES
MAX_LITERAL = 10_000_000  # characters or items a literal repetition may build (the run-time limit catches the rest)


def _tree(text: str, expression: bool) -> ast.AST | None:
    try:
        return ast.parse(text, mode="eval" if expression else "exec")
    except SyntaxError:
        return None


def _size(node: ast.AST) -> int | None:
    """How many characters or items a literal (or a repetition of literals) makes; None when not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
        return len(node.value)
    if isinstance(node, ast.List | ast.Tuple):
        return len(node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for seq, times in ((node.left, node.right), (node.right, node.left)):
            size, count = _size(seq), _count(times)
            if size is not None and count is not None:
                return size * count
    return None


def _count(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Pow):
        left, right = _count(node.left), _count(node.right)
        if left is not None and right is not None:
            if isinstance(node.op, ast.Mult):
                return left * right
            return left**right if right < 64 else MAX_LITERAL**2
    return None


def problems(text: str, *, expression: bool) -> list[str]:
    """Why this script or expression may not run (empty when it may)."""
    rejected = check_script(text, expression=expression)
    if rejected:
        return [f"does not compile under the sandbox: {rejected}"]
    tree = _tree(text, expression)
    if tree is None:
        return []
    assigned = assigned_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = ", ".join(a.name for a in node.names) if isinstance(node, ast.Import) else node.module
            found.append(f"imports {modules}: scripts may not import modules (use the allowed helpers)")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in CALLABLE \
                and node.func.id not in assigned:
            found.append(f"calls {node.func.id}(), which is not an allowed helper (allowed: "
                         f"{', '.join(sorted(HELPERS))}, and simple builtins such as len, str, int)")
        if isinstance(node, ast.BinOp | ast.Constant):
            size = _size(node)
            if size is not None and size > MAX_LITERAL:
                found.append(f"builds a value of {size:,} characters or items (at most {MAX_LITERAL:,})")
                break
    return found


def assigned_names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


def read_names(text: str, *, expression: bool) -> set[str]:
    """Data names the text reads that it does not set itself (helpers and builtins left out)."""
    tree = _tree(text, expression)
    if tree is None:
        return set()
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    comprehension = {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    return read - assigned_names(tree) - comprehension - CALLABLE


def set_names(text: str) -> set[str]:
    tree = _tree(text, False)
    return assigned_names(tree) if tree is not None else set()
