"""Synthetic MAPPA Flow data at national scale: N open cases spread over the lifecycle, plus closed history.

    python -m bench.generate --cases 100000 --db bench/out/bench-100000.db

Method (also written into bench/RESULTS.md):

1. A fresh SQLite file is built the way the tests build theirs: the Alembic migrations (Flask-Migrate
   ``upgrade()``), then ``services.demo.seed``: the shipped process models, the demo areas and users (random
   passwords, never printed) and a *sample* of 60 template cases in ``northshire`` created through the real
   service path (``services.cases.create_referral``, ``services.tasks.complete``: the engine runs every step and
   writes the state, the ``human_task`` inbox projection, the case projection and the history), spread over
   every lifecycle stage the demo seeder knows (``services.demo.STAGES``). Using the demo seeder keeps the
   generator in step with the process models. Should the seeder fail at 60 cases, smaller samples are tried.
2. Each template is classified: *tasks* (open, with ready human tasks), *waiting* (open, waiting for a timer or
   message, no ready task) or *closed* (no running instance, no ready task).
3. Templates are then *cloned* with bulk INSERTs (secondary indexes dropped during the load and rebuilt after,
   then ``ANALYZE``) until there are exactly N open cases - 25 % *tasks*, 75 % *waiting*, as most MAPPA cases sit
   between reviews - plus ``--closed`` x N closed ones (default 10 %). Cloned tables: ``mappa_case`` (new id, new
   reference numbered like the app's: area prefix, year, next number), ``process_instance`` (the state JSON
   copied with every SpiffWorkflow task id and the ``case_id`` rewritten, so every cloned task can really be
   completed and the steps it leads to get fresh ids), ``human_task`` (task ids matching the state) and
   ``case_event``. Clones are spread over 42 MAPPA areas: northshire 8 %, southmoor 3 %, the 40 other areas of
   England and Wales sharing the rest with uneven weights. The demo users live in the two demo areas, and each
   other area gets one coordinator and one probation referrer; clones outside northshire have no assignee or
   lead officer. Dates are spread too: each clone's history is aged by days (early-lifecycle cases, whose tasks
   age with them and may become overdue) to years (cases under review); ready tasks' due dates and the next
   review date are jittered (a review due soon stays due soon, an overdue one overdue). About 10 % of the
   unassigned northshire coordinator tasks are claimed by the coordinator. Engine timers (``next_timer_at`` and
   the timer inside the state) keep the template's instant. ``access_log`` is not cloned (it grows with every
   benchmark request).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from bench.common import BENCH_NOW, OUT, db_size, make_app, max_rss_mib, remove_db

# --- what to generate ------------------------------------------------------------------------------------------

# 40 of the 42 MAPPA areas of England and Wales; northshire and southmoor (the demo areas) are the other two.
NATIONAL_AREAS = [
    "avon_and_somerset",
    "bedfordshire",
    "cambridgeshire",
    "cheshire",
    "cleveland",
    "cumbria",
    "derbyshire",
    "devon_and_cornwall",
    "dorset",
    "durham",
    "dyfed_powys",
    "essex",
    "gloucestershire",
    "greater_manchester",
    "gwent",
    "hampshire",
    "hertfordshire",
    "humberside",
    "kent",
    "lancashire",
    "leicestershire",
    "lincolnshire",
    "london",
    "merseyside",
    "norfolk",
    "north_wales",
    "north_yorkshire",
    "northamptonshire",
    "northumbria",
    "nottinghamshire",
    "south_wales",
    "south_yorkshire",
    "staffordshire",
    "suffolk",
    "surrey",
    "sussex",
    "thames_valley",
    "warwickshire",
    "west_mercia",
    "west_midlands",
]
AREA_SHARE = {"northshire": 0.08, "southmoor": 0.03}

# Template cases come from the demo seeder (services.demo.seed), which walks cases through the lifecycle as users
# would; it is kept in step with the models, so the benchmark follows them. Each template is then classified:
#   tasks   - open, with ready human tasks (referral checks, screening, reviews due or overdue, ...)
#   waiting - open, no ready task: waiting for a timer (the next review date) or a message
#   closed  - no running instance and no ready task (exited, not eligible)
TEMPLATE_CASES = 60
OPEN_MIX = {"tasks": 0.25, "waiting": 0.75}  # most MAPPA cases sit between reviews at any moment
# cases waiting for their next review are drawn by level: Level 1 is by far the most common
STATUS_WEIGHTS = {"level 1": 8.0, "level 2": 3.0, "level 3": 0.5}
CLAIMED_SHARE = 0.10

FIRST = [
    "Adam",
    "Brian",
    "Carl",
    "Dean",
    "Errol",
    "Frank",
    "Gary",
    "Harry",
    "Ian",
    "Jack",
    "Kevin",
    "Liam",
    "Mark",
    "Neil",
    "Owen",
    "Paul",
    "Ross",
    "Steve",
    "Tom",
    "Wayne",
    "Aaron",
    "Callum",
    "Darren",
    "Jason",
    "Lee",
]
LAST = [
    "Ashby",
    "Brook",
    "Carter",
    "Dunn",
    "Ellis",
    "Foster",
    "Green",
    "Hale",
    "Irwin",
    "Jones",
    "Kemp",
    "Lowe",
    "Marsh",
    "Nash",
    "Oakes",
    "Price",
    "Reed",
    "Shaw",
    "Turner",
    "Walsh",
    "Young",
    "Booth",
    "Clarke",
    "Fox",
]


# --- step 1 and 2: schema, users, template cases through the real service path ---------------------------------


def build_empty(db_path: Path) -> None:
    """Schema, shipped models, the 42 areas and the demo users; no cases."""
    _build_base(db_path, template_cases=0)


def _build_sample(db_path: Path, say: Any) -> tuple[list[int], dict[str, Any]]:
    """The base with TEMPLATE_CASES demo cases; if the demo seeder fails at that count, fall back to fewer."""
    failures: list[str] = []
    for count in (TEMPLATE_CASES, 50, 40, 30, 15):
        try:
            return _build_base(db_path, count), {"template_cases_requested": count, "demo_seed_failures": failures}
        except Exception as err:  # noqa: BLE001 - reported, then retried with the demo's default size
            failures.append(f"seed(case_count={count}): {err.__class__.__name__}: {err}")
            say(f"services.demo.seed(case_count={count}) failed ({err.__class__.__name__}: {err}); retrying smaller")
    raise RuntimeError("services.demo.seed failed: " + "; ".join(failures))


def _build_base(db_path: Path, template_cases: int) -> list[int]:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from services.auth import hash_password
    from services.db import db
    from services.demo import seed
    from services.models import Area, MappaCase, User

    db_path.parent.mkdir(parents=True, exist_ok=True)
    remove_db(db_path)
    app = make_app(db_path)
    with app.app_context():
        try:
            upgrade()
            # demo areas and users (random passwords, never printed: the benchmark uses API tokens) and the cases
            seed(case_count=template_cases)
            db.session.commit()
            # the other 40 areas, each with a coordinator and a probation referrer (no cases are created as them)
            password_hash = hash_password(secrets.token_urlsafe(16))
            for code in NATIONAL_AREAS:
                area = Area(code=code, name=code.replace("_", " ").title())
                db.session.add(area)
                db.session.flush()
                for suffix, agency, roles in (
                    ("coordinator", "MAPPA Unit", {"coordinator"}),
                    ("probation", "Probation", {"offender_manager", "referrer"}),
                ):
                    user = User(
                        username=f"{code}_{suffix}",
                        display_name=f"{area.name} {suffix}",
                        agency=agency,
                        area_id=area.id,
                        password_hash=password_hash,
                        active=True,
                    )
                    user.roles = roles
                    db.session.add(user)
            db.session.commit()
            ids = list(db.session.scalars(select(MappaCase.id).order_by(MappaCase.id)))
        finally:
            db.session.remove()
            db.engine.dispose()
    return ids


# --- step 3: clone the templates with bulk INSERTs --------------------------------------------------------------

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _rows(con: sqlite3.Connection, sql: str, *args: Any) -> list[dict[str, Any]]:
    cur = con.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@dataclass
class CaseRows:
    """One case's rows as dicts: the case, its process instances, inbox tasks and history, each in id order."""

    case: dict[str, Any]
    instances: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @classmethod
    def read(cls, con: sqlite3.Connection, case_id: int) -> Self:
        return cls(_rows(con, "SELECT * FROM mappa_case WHERE id = ?", case_id)[0],
                   *(_rows(con, f"SELECT * FROM {table} WHERE case_id = ? ORDER BY id", case_id)  # noqa: S608
                     for table in ("process_instance", "human_task", "case_event")))


@dataclass
class Template(CaseRows):
    # state JSON split around the ids to rewrite: even items literal text, odd items an old id
    state_parts: dict[int, list[str]] = field(default_factory=dict)

    @property
    def ready(self) -> list[dict[str, Any]]:
        return [t for t in self.tasks if t["state"] == "ready"]

    @property
    def kind(self) -> str:
        if self.ready:
            return "tasks"
        if any(i["status"] != "completed" for i in self.instances):
            return "waiting"
        return "closed"

    @property
    def signature(self) -> str:
        """What the case is doing: its status and its ready steps (or what it waits for)."""
        ready = "+".join(sorted({t["bpmn_id"] for t in self.ready}))
        return f"{self.case['status']}: {ready or self.kind}"


def _split_state(state: str, case_id: int) -> list[str]:
    """Even items: literal text. Odd items: the first 24 characters of a SpiffWorkflow task id (a clone gives every
    task id a new last group) or "" for the case id in the workflow data."""
    pattern = re.compile(rf'({UUID_RE})|("case_id":{case_id})(?=[,}}])')
    parts: list[str] = []
    pos = 0
    for match in pattern.finditer(state):
        parts.append(state[pos : match.start()])
        parts.append(match.group(1)[:24] if match.group(1) else "")
        pos = match.end()
    parts.append(state[pos:])
    return parts


def _load_templates(con: sqlite3.Connection, case_ids: list[int]) -> list[Template]:
    out = []
    for case_id in case_ids:
        template = Template.read(con, case_id)
        for inst in template.instances:
            template.state_parts[inst["id"]] = _split_state(inst["state"], case_id)
        out.append(template)
    return out


def _dt(value: str | None, shift: timedelta) -> str | None:
    if value is None:
        return None
    return (datetime.fromisoformat(value) + shift).strftime("%Y-%m-%d %H:%M:%S.%f")


def _d(value: str | None, shift: timedelta) -> str | None:
    if value is None:
        return None
    return (date.fromisoformat(value) + shift).isoformat()


def _area_weights(area_ids: dict[str, int], rng: random.Random) -> tuple[list[int], list[float]]:
    rest = 1.0 - sum(AREA_SHARE.values())
    raw = {code: rng.uniform(0.4, 2.5) for code in NATIONAL_AREAS}
    total = sum(raw.values())
    weights = {**AREA_SHARE, **{code: rest * w / total for code, w in raw.items()}}
    codes = list(weights)
    return [area_ids[c] for c in codes], [weights[c] for c in codes]


CLONE_ID_BASE = 0xB3_0000_0000_00  # clones' task ids end in b3000000xxxx: no clash with random uuid4 in practice
TABLES = ("mappa_case", "process_instance", "human_task", "case_event")


class Cloner:
    def __init__(self, con: sqlite3.Connection, rng: random.Random) -> None:
        self.con = con
        self.rng = rng
        self.area_ids = dict(con.execute("SELECT code, id FROM area").fetchall())
        self.area_codes = {v: k for k, v in self.area_ids.items()}
        self.northshire = self.area_ids["northshire"]
        self.coordinator = con.execute("SELECT id FROM user_account WHERE username = 'coordinator'").fetchone()[0]
        self.areas, self.weights = _area_weights(self.area_ids, rng)
        self.next_id = {
            t: (con.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}").fetchone()[0] + 1)  # noqa: S608
            for t in TABLES
        }
        self.last_number: Counter[str] = Counter()
        for (reference,) in con.execute("SELECT reference FROM mappa_case"):
            prefix, _, number = reference.rpartition("-")
            if number.isdigit():
                self.last_number[prefix + "-"] = max(self.last_number[prefix + "-"], int(number))
        self.buffers: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self.columns = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in TABLES}
        self.today = BENCH_NOW.date()
        self.clones = 0

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] += 1
        return value

    def _reference(self, area_id: int, year: int) -> str:
        """References as services.cases numbers them: ``NO-2026-00042``, the next number for the area code's
        first two letters and the year (areas sharing a prefix share the sequence)."""
        prefix = f"{self.area_codes[area_id][:2].upper()}-{year}-"
        self.last_number[prefix] += 1
        return f"{prefix}{self.last_number[prefix]:05d}"

    def _ages(self, template: Template) -> tuple[int, int]:
        """(days the clone's history is aged by, days its open tasks' due dates and next review move)."""
        rng = self.rng
        if template.kind == "tasks" and len(template.instances) == 1:  # early in the lifecycle: a recent case
            age = rng.randint(0, 12)
            return age, -age  # its tasks age with it: some become overdue
        if template.kind == "tasks":
            return rng.randint(60, 1500), rng.randint(-10, 10)
        if template.kind == "waiting":
            return rng.randint(30, 1800), rng.randint(0, 90)
        return rng.randint(30, 1800), 0

    def clone(self, template: Template) -> None:
        rng = self.rng
        area_id = rng.choices(self.areas, self.weights)[0]
        local = area_id == self.northshire
        age_days, due_days = self._ages(template)
        age, due_shift = timedelta(days=-age_days), timedelta(days=due_days)
        case_id = self._id("mappa_case")
        c = dict(template.case)
        created = datetime.fromisoformat(c["created_at"]) + age
        c.update(
            id=case_id,
            area_id=area_id,
            reference=self._reference(area_id, created.year),
            offender_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            crn=f"X{rng.randint(100000, 999999)}",
            created_at=_dt(c["created_at"], age),
            updated_at=_dt(c["updated_at"], age),
        )
        if c.get("next_review_due") and template.kind != "closed":
            c["next_review_due"] = _d(c["next_review_due"], due_shift)
        if not local:
            c.update(referrer_id=None, lead_officer_id=None)
        self.buffers["mappa_case"].append(tuple(c[k] for k in self.columns["mappa_case"]))

        instance_ids = {inst["id"]: self._id("process_instance") for inst in template.instances}
        task_ids = {t["id"]: self._id("human_task") for t in template.tasks}
        # Every SpiffWorkflow task id of the clone gets a new last group (unique per clone): the tasks the engine
        # creates later from the copied state (the next steps) then get new ids too, as human_task requires.
        self.clones += 1
        suffix = f"{CLONE_ID_BASE + self.clones:012x}"
        case_text = f'"case_id":{case_id}'
        for inst in template.instances:
            parts = template.state_parts[inst["id"]]
            state = "".join(p if i % 2 == 0 else (p + suffix if p else case_text) for i, p in enumerate(parts))
            row = dict(
                inst,
                id=instance_ids[inst["id"]],
                case_id=case_id,
                state=state,
                started_at=_dt(inst["started_at"], age),
                ended_at=_dt(inst["ended_at"], age),
            )
            self.buffers["process_instance"].append(tuple(row[k] for k in self.columns["process_instance"]))
        for task in template.tasks:
            row = dict(
                task,
                id=task_ids[task["id"]],
                task_uuid=task["task_uuid"][:24] + suffix,
                instance_id=instance_ids[task["instance_id"]],
                case_id=case_id,
                area_id=area_id,
                created_at=_dt(task["created_at"], age),
                completed_at=_dt(task["completed_at"], age),
            )
            if task["state"] == "ready":
                if task["due_date"]:
                    old = date.fromisoformat(task["due_date"])
                    due = old + due_shift
                    if len(template.instances) > 1:  # a review due soon stays due soon, an overdue one overdue
                        due = min(due, self.today - timedelta(days=1)) if old < self.today else max(due, self.today)
                    row["due_date"] = due.isoformat()
                    row["overdue"] = int(due < self.today)
                if not local:
                    row["assignee_id"] = None
                elif task["role"] == "coordinator" and task["assignee_id"] is None and rng.random() < CLAIMED_SHARE:
                    row["assignee_id"] = self.coordinator
            elif task["due_date"]:
                row["due_date"] = _d(task["due_date"], age)
            if not local:
                row["completed_by_id"] = row["assignee_id"] = None
            self.buffers["human_task"].append(tuple(row[k] for k in self.columns["human_task"]))
        for ev in template.events:
            detail = ev["detail"]
            if '"task": ' in detail:
                detail = re.sub(r'"task": (\d+)', lambda m: f'"task": {task_ids.get(int(m.group(1)), 0)}', detail)
            row = dict(
                ev,
                id=self._id("case_event"),
                case_id=case_id,
                at=_dt(ev["at"], age),
                detail=detail,
                instance_id=instance_ids.get(ev["instance_id"]) if ev["instance_id"] else None,
                actor_id=ev["actor_id"] if local else None,
            )
            self.buffers["case_event"].append(tuple(row[k] for k in self.columns["case_event"]))
        if len(self.buffers["mappa_case"]) >= 5000:
            self.flush()

    def flush(self) -> None:
        for table in TABLES:
            rows = self.buffers[table]
            if rows:
                cols = self.columns[table]
                self.con.executemany(
                    f"INSERT INTO {table} ({', '.join(cols)}) "  # noqa: S608
                    f"VALUES ({', '.join('?' * len(cols))})",
                    rows,
                )
                rows.clear()
        # the app draws the next case reference from these counters: carry on after the cloned numbers
        self.con.executemany(
            "INSERT INTO reference_counter (prefix, last) VALUES (?, ?) "
            "ON CONFLICT(prefix) DO UPDATE SET last = max(last, excluded.last)",
            list(self.last_number.items()),
        )


def _pick(templates: list[Template], rng: random.Random) -> Template:
    return rng.choices(templates, [STATUS_WEIGHTS.get(t.case["status"], 1.0) for t in templates])[0]


def _plan(cases: int, closed_fraction: float, templates: list[Template], rng: random.Random) -> list[Template]:
    """The templates to clone, so that the open and closed totals come out exact and the open mix is OPEN_MIX."""
    by_kind: dict[str, list[Template]] = defaultdict(list)
    for t in templates:
        by_kind[t.kind].append(t)
    plan: list[Template] = []
    open_kinds = [k for k in OPEN_MIX if by_kind[k]]
    want_open = max(0, cases - sum(len(by_kind[k]) for k in OPEN_MIX))
    if open_kinds:
        kinds = rng.choices(open_kinds, [OPEN_MIX[k] for k in open_kinds], k=want_open)
        plan += [_pick(by_kind[k], rng) if k == "waiting" else rng.choice(by_kind[k]) for k in kinds]
    if by_kind["closed"]:
        want_closed = max(0, round(cases * closed_fraction) - len(by_kind["closed"]))
        plan += [rng.choice(by_kind["closed"]) for _ in range(want_closed)]
    rng.shuffle(plan)
    return plan


# --- driver ----------------------------------------------------------------------------------------------------


def generate(
    cases: int, db_path: Path, closed_fraction: float = 0.1, seed: int = 2026, verbose: bool = True
) -> dict[str, Any]:
    def say(message: str) -> None:
        if verbose:
            print(f"[generate {cases}] {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    template_ids, sample_info = _build_sample(db_path, say)
    sample_s = time.perf_counter() - started
    say(f"schema, users and {len(template_ids)} template cases through the services in {sample_s:.1f}s")

    clone_started = time.perf_counter()
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")  # a throwaway file, rebuilt from scratch on failure
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("PRAGMA cache_size=-200000")
    con.execute("BEGIN")
    rng = random.Random(seed)
    templates = _load_templates(con, template_ids)
    cloner = Cloner(con, rng)
    plan = _plan(cases, closed_fraction, templates, rng)
    # Bulk load without the secondary indexes, then build them once (exactly as the migrations defined them).
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name "
        "IN ('mappa_case', 'process_instance', 'human_task', 'case_event')"
    ).fetchall()
    for name, _sql in indexes:
        con.execute(f'DROP INDEX "{name}"')
    for number, template in enumerate(plan, 1):
        cloner.clone(template)
        if number % 20000 == 0:
            say(f"{number} clones")
    cloner.flush()
    for _name, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    con.execute("ANALYZE")  # as an operator would after a bulk load (the app never runs ANALYZE itself)
    con.execute("PRAGMA journal_mode=WAL")  # what the app sets on every connection anyway
    clone_s = time.perf_counter() - clone_started
    stats = _stats(con)
    con.close()
    mix = Counter(t.signature for t in templates)
    stats.update(
        **sample_info,
        requested_open_cases=cases,
        closed_fraction=closed_fraction,
        seed=seed,
        db=str(db_path),
        template_cases=len(templates),
        template_kinds=dict(Counter(t.kind for t in templates)),
        template_signatures=dict(sorted(mix.items())),
        sample_seconds=round(sample_s, 2),
        clone_seconds=round(clone_s, 2),
        total_seconds=round(time.perf_counter() - started, 2),
        db_bytes=db_size(db_path),
        max_rss_mib=round(max_rss_mib(), 1),
    )
    say(
        f"{stats['open_cases']} open + {stats['closed_cases']} closed cases, {stats['human_tasks']} human_task rows, "
        f"{stats['db_bytes'] / 2**20:.0f} MiB in {stats['total_seconds']:.1f}s"
    )
    return stats


def _case_tables(con: sqlite3.Connection) -> list[str]:
    """Other tables that hold rows per case: only the template cases have rows there."""
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return sorted(
        t
        for t in tables
        if t not in TABLES and any(r[1] == "case_id" for r in con.execute(f'PRAGMA table_info("{t}")'))
    )


def _stats(con: sqlite3.Connection) -> dict[str, Any]:
    def one(sql: str) -> Any:
        return con.execute(sql).fetchone()[0]

    # open: the case still has a running (or failed) process instance or a ready task
    live = (
        "(EXISTS (SELECT 1 FROM process_instance p WHERE p.case_id = c.id AND p.status != 'completed') "
        "OR EXISTS (SELECT 1 FROM human_task t WHERE t.case_id = c.id AND t.state = 'ready'))"
    )
    return {
        "cases": one("SELECT COUNT(*) FROM mappa_case"),
        "open_cases": one(f"SELECT COUNT(*) FROM mappa_case c WHERE {live}"),  # noqa: S608
        "closed_cases": one(f"SELECT COUNT(*) FROM mappa_case c WHERE NOT {live}"),  # noqa: S608
        "areas": one("SELECT COUNT(*) FROM area"),
        "process_instances": one("SELECT COUNT(*) FROM process_instance"),
        "state_bytes_avg": round(one("SELECT AVG(LENGTH(state)) FROM process_instance")),
        "human_tasks": one("SELECT COUNT(*) FROM human_task"),
        "ready_tasks": one("SELECT COUNT(*) FROM human_task WHERE state = 'ready'"),
        "case_events": one("SELECT COUNT(*) FROM case_event"),
        "northshire_cases": one(
            "SELECT COUNT(*) FROM mappa_case c JOIN area a ON a.id = c.area_id WHERE a.code = 'northshire'"
        ),
        "northshire_human_tasks": one(
            "SELECT COUNT(*) FROM human_task t JOIN area a ON a.id = t.area_id WHERE a.code = 'northshire'"
        ),
        "northshire_ready": one(
            "SELECT COUNT(*) FROM human_task t JOIN area a ON a.id = t.area_id "
            "WHERE a.code = 'northshire' AND t.state = 'ready'"
        ),
        "northshire_coordinator_ready": one(
            "SELECT COUNT(*) FROM human_task t JOIN area a ON a.id = t.area_id WHERE a.code = 'northshire' "
            "AND t.state = 'ready' AND t.role = 'coordinator'"
        ),
        "statuses": dict(con.execute("SELECT status, COUNT(*) FROM mappa_case GROUP BY status").fetchall()),
        "case_tables_not_cloned": _case_tables(con),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="open cases to generate (default 1000)")
    parser.add_argument(
        "--closed",
        type=float,
        default=0.1,
        help="closed (exited, not eligible) cases on top, as a fraction of --cases (default 0.1)",
    )
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to (re)create (default bench/out/...)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the cloning (the demo seeder has its own)")
    parser.add_argument("--stats", type=Path, default=None, help="also write the statistics as JSON here")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    db_path = (args.db or OUT / f"bench-{args.cases}.db").resolve()
    if db_path.name == "mappa.db" and db_path.parent.name == "instance":
        parser.error("refusing to overwrite the application's own database")
    stats = generate(args.cases, db_path, args.closed, args.seed, verbose=not args.quiet)
    text = json.dumps(stats, indent=2, default=str)
    if args.stats:
        args.stats.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
