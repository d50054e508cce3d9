"""Reading PostgreSQL's plan of a SQLAlchemy query: which plan nodes read which table, through which index; filling a
table with copies of real rows first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from services.db import db


def fill(table: str, statement: str, params: dict[str, Any], *, analyse: bool = True) -> None:
    """Run ``statement`` (an INSERT of copies of real rows into ``table``) and commit; then, unless told not to,
    analyse the table, so the planner weighs its indexes against a real table."""
    db.session.execute(text(statement), params)
    db.session.commit()
    if analyse:
        db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()


def table_scans(query: Any, table: str) -> set[tuple[str, str | None]]:
    """(node type, index) of every plan node that reads ``table``; a bitmap heap scan names the indexes of its
    bitmap index scans, joined by ``+``."""
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True})
    [[plan]] = db.session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).all()
    found, nodes = set(), [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node.get("Relation Name") == table:
            index = node.get("Index Name")
            if node["Node Type"] == "Bitmap Heap Scan":
                index = "+".join(sorted(_bitmap_indexes(node))) or None
            found.add((node["Node Type"], index))
    return found


def _bitmap_indexes(node: dict[str, Any]) -> set[str]:
    names, below = set(), list(node.get("Plans", []))
    while below:
        child = below.pop()
        below.extend(child.get("Plans", []))
        if child["Node Type"] == "Bitmap Index Scan":
            names.add(child["Index Name"])
    return names
