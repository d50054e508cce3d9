"""The national simulation: 42 MAPPA areas, 91,000 cases, then a year of work driven by the injected clock.

    .venv/bin/python -m bench.simulate [--areas 42] [--cases 91000] [--days 365] [--driven southmoor]

What is bulk-created and what is driven (also written into the ``simulate`` section of bench/RESULTS.md):

1. *Through the services*: the schema (Alembic), the shipped models, the areas and, per area, one member of staff
   per role (coordinator, administrator, chair, manager, offender manager, police, prison). Then, per area, one
   *template* case per shape - category x level (Level 1, 2, 3; category 3 only at Level 2/3), plus Level 1
   category 1 and 2 cases whose notification or licence ends after 0-3 more reviews - created by
   ``services.cases.create_referral`` and screened by ``services.tasks.complete``: the real engine on the shipped
   .bpmn files writes each template's state, inbox projection and history.
2. *Bulk*: each area's templates are cloned with bulk INSERTs (as bench/generate.py does) until the area has its
   share of the cases (categories and levels as MAPPA.md gives them). A clone gets new ids, a new reference, new
   SpiffWorkflow task ids in its state, and its dates moved: the template's *plan* (every date after the day it
   was made: next review, the review timer, exit dates) moves so that its next review falls evenly within the
   level's interval; its *history* (dates up to that day) is aged by 0-5 years.
3. *Driven*: the ``--driven`` areas (by default southmoor, 3 % of the cases: about 2,700, a large hub's worth
   of four) live through ``--days`` days: every day ``services.scheduler.sweep(now)`` runs; on working days
   simulated staff complete the ready tasks through ``services.tasks.complete`` (checks, screening, ViSOR,
   Level 1 reviews and endorsements, research, approving and distributing minutes, actions, exits), new
   referrals arrive through ``services.cases.create_referral`` at the national rate, and MAPP meetings are held
   through ``services.meetings`` (Level 2 weekly, Level 3 fortnightly: schedule, agenda, attendance, minutes with
   the level decision, next review and actions, submission; the chair approves them as a task). A fixed share of
   tasks is never done and another is done late, so they go overdue. The other areas' clones have their plan
   moved after the simulated year: they are in every table (inbox, agenda and sweep queries run against all of
   them) but no work falls due for them. A year of every case through the engine would be ~700,000 steps, and
   the driver measured ~25 ms of CPU per driven step (the service call, the sweep share, the day's queries): far
   beyond the 30-minute budget; driving northshire and southmoor (11 %, ~10,000 cases) is ~125,000 steps.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH_NOW,
    OUT,
    Target,
    backend,
    database_url,
    db_size,
    log,
    make_app,
    max_rss_mib,
    remove_db,
    replace_section,
)
from bench.generate import AREA_SHARE, NATIONAL_AREAS, CaseRows

# --- the nation (MAPPA.md) ----------------------------------------------------------------------------------------
# MAPPA.md §16: 91,040 MAPPA offenders on 31 March 2023, 68,357 of them registered sex offenders (category 1);
# category 3 "in the hundreds", category 4 (terrorism) very small; category 2 the rest.
CATEGORY_SHARE = {1: 68_357 / 91_040, 3: 0.005, 4: 0.002}
CATEGORY_SHARE[2] = 1.0 - sum(CATEGORY_SHARE.values())
# Levels: MAPPA.md gives "just over 1,000 at Level 3" of 50,210 (2 %); Level 2 at 6 % makes a hub of 700 cases
# hold 700 x (6 % x 3.25 + 2 % x 6.5) = 228 reviews a year: ~18 meetings of ~13 offenders, inside the
# "12-24 MAPP meetings a year and 5-20 offenders per meeting" MAPPA.md gives.
LEVEL_SHARE = {1: 0.92, 2: 0.06, 3: 0.02}
EXIT_SHARE = 0.12  # Level 1 category 1/2 cases whose notification or licence ends within the year
REFERRALS_PER_YEAR = 0.13  # new cases a year, as a share of the caseload (exits and referrals roughly balance)
NEGLECTED = 3  # % of tasks never done: they go overdue
LATE = 8  # % done a week after their due date
SIM_START = BENCH_NOW  # Wednesday 25 November 2026, 10:00 UTC (as the tests and benchmarks)
STAFF = {  # suffix: (agency, roles)
    "coordinator": ("MAPPA Unit", {"coordinator"}),
    "administrator": ("MAPPA Unit", {"administrator"}),
    "chair": ("Probation", {"chair"}),
    "manager": ("Probation", {"manager"}),
    "probation": ("Probation", {"offender_manager", "referrer"}),
    "police": ("Police", {"police", "referrer"}),
    "prison": ("Prison", {"prison", "referrer"}),
}
ROLE_STAFF = {"coordinator": "coordinator", "administrator": "administrator", "chair": "chair",
              "manager": "manager", "offender_manager": "probation", "police": "police", "prison": "prison"}


@dataclass(frozen=True)
class Shape:
    category: int
    level: int
    exit_after: int | None = None  # Level 1: notification or licence ends after this many more reviews

    @property
    def name(self) -> str:
        tail = f", leaves after {self.exit_after} review(s)" if self.exit_after is not None else ""
        return f"category {self.category}, level {self.level}{tail}"


SHAPES = [Shape(c, lv) for lv in (1, 2, 3) for c in (1, 2, 3, 4) if not (c == 3 and lv == 1)]
EXIT_SHAPES = [Shape(c, 1, k) for c in (1, 2) for k in range(4)]


def _areas(count: int) -> list[str]:
    return ["northshire", "southmoor", *NATIONAL_AREAS][:count]


def _area_cases(codes: list[str], cases: int, rng: random.Random) -> dict[str, int]:
    """Cases per area: northshire 8 %, southmoor 3 %, the other areas share the rest unevenly."""
    weights = {c: AREA_SHARE[c] for c in codes if c in AREA_SHARE}
    rest = [c for c in codes if c not in weights]
    raw = {c: rng.uniform(0.4, 2.5) for c in rest}
    left = 1.0 - sum(weights.values()) if rest else 0.0
    weights |= {c: left * w / sum(raw.values()) for c, w in raw.items()}
    total = sum(weights.values())
    counts = {c: int(cases * w / total) for c, w in weights.items()}
    counts[codes[0]] += cases - sum(counts.values())
    return counts


# --- step 1: schema, areas, staff, templates through the services ------------------------------------------------

def _app(target: Target) -> Any:
    """The app on the simulation's database; a SQLite file is written as a WAL database usually is
    (synchronous=NORMAL: a commit waits for the log, not for a checkpoint's fsync)."""
    from sqlalchemy import event

    from services.db import db

    app = make_app(target, SIM_START)
    if backend(target) == "sqlite":
        with app.app_context():
            event.listen(db.engine, "connect", lambda con, _rec: con.execute("PRAGMA synchronous=NORMAL"))
    return app


def _build(db_path: Path, codes: list[str], driven: set[str], rng: random.Random) -> dict[str, dict[Shape, int]]:
    from flask_migrate import upgrade

    from services.auth import hash_password
    from services.catalogue import sync_shipped_models
    from services.db import db
    from services.models import Area, User
    from workflows.coverage import COVERAGE

    remove_db(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    app = _app(db_path)
    templates: dict[str, dict[Shape, int]] = {}
    with app.app_context(), COVERAGE.paused():  # setting up is not a test of the models
        upgrade()
        sync_shipped_models()
        password = hash_password(secrets.token_urlsafe(16))  # nobody signs in: one hash for all
        for code in codes:
            area = Area(code=code, name=code.replace("_", " ").title())
            db.session.add(area)
            db.session.flush()
            for suffix, (agency, roles) in STAFF.items():
                user = User(username=f"{code}_{suffix}", display_name=f"{area.name} {suffix}", agency=agency,
                            area_id=area.id, password_hash=password, active=True)
                user.roles = roles
                db.session.add(user)
        db.session.commit()
        for code in codes:
            shapes = SHAPES + EXIT_SHAPES if code in driven else SHAPES  # no exits fall due in the other areas
            templates[code] = {shape: _template(code, shape, rng) for shape in shapes}
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return templates


def _user(username: str) -> Any:
    from services.auth import user_by_username

    user = user_by_username(username)
    assert user is not None, username
    return user


def _ready(case_id: int, bpmn_id: str) -> Any:
    from sqlalchemy import select

    from services.db import db
    from services.models import HumanTask

    return db.session.scalars(select(HumanTask).where(
        HumanTask.case_id == case_id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "ready")).one()


def _referral(shape: Shape, rng: random.Random, today: date, review_due: date) -> dict[str, Any]:
    level_requested = 3 if shape.level == 3 else 2
    data: dict[str, Any] = {
        "offender_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "date_of_birth": (today - timedelta(days=rng.randint(20 * 365, 70 * 365))).isoformat(),
        "crn": f"X{rng.randint(100000, 999999)}", "lead_agency": "Probation", "category": shape.category,
        "level_requested": level_requested, "custody": False,
        "rosh": "very_high" if level_requested == 3 else rng.choice(["medium", "high"]),
        "senior_resources_needed": level_requested == 3, "victims_flag": rng.random() < 0.6,
        "children_flag": rng.random() < 0.4, "vulnerable_adults_flag": rng.random() < 0.2,
        "referral_reason": "Escalating behaviour reported by partner agencies.",
    }
    if level_requested == 3:
        data["level3_reason"] = "Needs senior police and probation representation to authorise resources."
    # the end of notification (category 1) or licence (category 2): past the year, or after a few reviews
    if shape.exit_after is not None:
        end = review_due + timedelta(days=91 * shape.exit_after + rng.randint(20, 80))
    else:
        end = today + timedelta(days=rng.randint(800, 4000))
    if shape.category == 1:
        data["notification_end"] = end.isoformat()
    elif shape.category == 2:
        data["licence_end"] = end.isoformat()
    return data


def _screening_outcome(level: int) -> str:
    return {1: "rejected_level_1", 2: "accepted_level_2", 3: "accepted_level_3"}[level]


def _first_review(level: int, today: date) -> date:
    from services.rules import months_later
    from workflows.calendar import ENGLAND_AND_WALES

    if level == 1:
        return months_later(today, 3)
    return ENGLAND_AND_WALES.add_working_days(today, 19)


def _template(code: str, shape: Shape, rng: random.Random) -> int:
    """One case of this shape, referred and screened through the services: waiting for its first review."""
    from services import clock
    from services.cases import create_referral
    from services.tasks import complete

    today = clock.today()
    due = _first_review(shape.level, today)
    case = create_referral(_user(f"{code}_probation"), _referral(shape, rng, today, due))
    coordinator = _user(f"{code}_coordinator")
    complete(coordinator, _ready(case.id, "check_referral").id, {"referral_complete": "yes"})
    complete(coordinator, _ready(case.id, "screening_decision").id, {
        "screening_outcome": _screening_outcome(shape.level), "screening_rationale": "Screened.",
        "first_review_due": due.isoformat()})
    complete(_user(f"{code}_police"), _ready(case.id, "visor_record").id,
             {"visor_reference": f"VS{rng.randint(10000, 99999)}"})
    return case.id


# --- step 2: clone with bulk INSERTs ---------------------------------------------------------------------------

TABLES = ("mappa_case", "process_instance", "human_task", "case_event")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DAY = r"(?<![\d-])(\d{4}-\d{2}-\d{2})(?![\d])"
CLONE_BASE = 0x5100_0000_0000  # clones' SpiffWorkflow task ids end in 5100000xxxxx


class Text:
    """A text split around what a clone rewrites: SpiffWorkflow task ids, the case id and dates."""

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        """``pattern``: the template's (``_rewritten``)."""
        self.parts: list[Any] = []
        pos = 0
        for m in pattern.finditer(text):
            self.parts.append(text[pos:m.start()])
            if m.group(1):
                self.parts.append(("u", m.group(1)))
            elif m.group(2):
                self.parts.append(("c", m.group(2).split(":")[0]))
            else:
                self.parts.append(("d", date.fromisoformat(m.group(3))))
            pos = m.end()
        self.parts.append(text[pos:])
        self.plain = len(self.parts) == 1

    def render(self, clone: Clone) -> str:
        if self.plain:
            return str(self.parts[0])
        out = []
        for i, p in enumerate(self.parts):
            if i % 2 == 0:
                out.append(p)
            elif p[0] == "u":
                out.append(p[1][:24] + clone.suffix if clone.suffix else p[1])
            elif p[0] == "c":
                out.append(f"{p[1]}:{clone.case_id}")
            else:
                out.append(clone.day(p[1]).isoformat())
        return "".join(out)


@dataclass
class Clone:
    case_id: int
    suffix: str | None  # the last group of every SpiffWorkflow task id (None: keep the ids)
    made: date  # the day the template was made: later dates are its plan, earlier ones its history
    plan: int  # days the plan moves
    age: int  # days the history moves back

    def day(self, value: date) -> date:
        return value + timedelta(days=self.plan if value > self.made else -self.age)


def _rewritten(case_id: int) -> re.Pattern[str]:
    """What a clone of the case rewrites in its texts: SpiffWorkflow task ids, the case id and dates."""
    return re.compile(rf'({UUID})|("case_id":\s?{case_id})(?=[,}}])|{DAY}')


@dataclass
class Template(CaseRows):
    # the texts a clone rewrites, by (table, row id): each column's name and its split text
    texts: dict[tuple[str, int], list[tuple[str, Text]]] = field(default_factory=dict)


def _load(con: sqlite3.Connection, case_id: int) -> Template:
    t = Template.read(con, case_id)
    pattern = _rewritten(case_id)
    for table, rows in (("mappa_case", [t.case]), ("process_instance", t.instances), ("human_task", t.tasks),
                        ("case_event", t.events)):
        for row in rows:
            for key, value in row.items():
                if isinstance(value, str) and key not in ("reference", "offender_name", "crn"):
                    text = Text(value, pattern)
                    if not text.plain:
                        t.texts.setdefault((table, row["id"]), []).append((key, text))
    return t


class Cloner:
    def __init__(self, con: sqlite3.Connection, rng: random.Random) -> None:
        self.con, self.rng = con, rng
        self.next_id = {t: con.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {t}").fetchone()[0]  # noqa: S608
                        for t in TABLES}
        self.columns = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in TABLES}
        self.numbers: Counter[str] = Counter(dict(con.execute("SELECT prefix, last FROM reference_counter")))
        self.buffers: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self.clones = 0

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] += 1
        return value

    def _row(self, t: Template, table: str, row: dict[str, Any], clone: Clone, **changes: Any) -> tuple[Any, ...]:
        out = dict(row)
        for key, text in t.texts.get((table, row["id"]), ()):
            out[key] = text.render(clone)
        out.update(changes)
        return tuple(out[k] for k in self.columns[table])

    def clone(self, t: Template, made: date, plan: int, age: int) -> None:
        self.clones += 1
        case_id = self._id("mappa_case")
        clone = Clone(case_id, f"{CLONE_BASE + self.clones:012x}", made, plan, age)
        prefix = t.case["reference"].rsplit("-", 1)[0] + "-"
        self.numbers[prefix] += 1
        self.buffers["mappa_case"].append(self._row(
            t, "mappa_case", t.case, clone, id=case_id, reference=f"{prefix}{self.numbers[prefix]:05d}",
            offender_name=f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}",
            crn=f"X{self.rng.randint(100000, 999999)}"))
        instances = {i["id"]: self._id("process_instance") for i in t.instances}
        tasks = {k["id"]: self._id("human_task") for k in t.tasks}
        for inst in t.instances:
            self.buffers["process_instance"].append(self._row(
                t, "process_instance", inst, clone, id=instances[inst["id"]], case_id=case_id))
        for task in t.tasks:
            self.buffers["human_task"].append(self._row(
                t, "human_task", task, clone, id=tasks[task["id"]], case_id=case_id,
                instance_id=instances[task["instance_id"]], task_uuid=task["task_uuid"][:24] + clone.suffix))
        for ev in t.events:
            row = self._row(t, "case_event", ev, clone, id=self._id("case_event"), case_id=case_id,
                            instance_id=instances.get(ev["instance_id"]))
            detail_at = self.columns["case_event"].index("detail")
            detail = row[detail_at]
            if '"task": ' in detail:
                detail = re.sub(r'"task": (\d+)', lambda m: f'"task": {tasks.get(int(m.group(1)), 0)}', detail)
                row = (*row[:detail_at], detail, *row[detail_at + 1:])
            self.buffers["case_event"].append(row)
        if len(self.buffers["mappa_case"]) >= 5000:
            self.flush()

    def replan(self, t: Template, made: date, plan: int) -> None:
        """Move a template's own plan in place (its ids and history stay)."""
        clone = Clone(t.case["id"], None, made, plan, 0)
        for (table, row_id), texts in t.texts.items():
            for key, text in texts:
                self.con.execute(f"UPDATE {table} SET {key} = ? WHERE id = ?",  # noqa: S608
                                 (text.render(clone), row_id))

    def flush(self) -> None:
        for table in TABLES:
            rows = self.buffers[table]
            if rows:
                cols = self.columns[table]
                self.con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) "  # noqa: S608
                                     f"VALUES ({', '.join('?' * len(cols))})", rows)
                rows.clear()
        self.con.executemany("INSERT INTO reference_counter (prefix, last) VALUES (?, ?) "
                             "ON CONFLICT(prefix) DO UPDATE SET last = max(last, excluded.last)",
                             list(self.numbers.items()))


def _shape_mix(n: int, rng: random.Random) -> list[Shape]:
    """n shapes drawn by category and level share (category 3 is never Level 1: its Level 1 share goes to 2)."""
    out = []
    cats, cat_w = list(CATEGORY_SHARE), list(CATEGORY_SHARE.values())
    levels, level_w = list(LEVEL_SHARE), list(LEVEL_SHARE.values())
    for _ in range(n):
        cat = rng.choices(cats, cat_w)[0]
        level = rng.choices(levels, level_w)[0]
        if cat == 3 and level == 1:
            level = 2
        exit_after = rng.randrange(4) if level == 1 and cat in (1, 2) and rng.random() < EXIT_SHARE else None
        out.append(Shape(cat, level, exit_after))
    return out


def _interval(level: int) -> int:
    return {1: 91, 2: 16 * 7, 3: 8 * 7}[level]


def _clone_all(db_path: Path, codes: list[str], driven: set[str], counts: dict[str, int],
               templates: dict[str, dict[Shape, int]], days: int, rng: random.Random) -> dict[str, Any]:
    con = sqlite3.connect(db_path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-200000"):
        con.execute(f"PRAGMA {pragma}")
    con.execute("BEGIN")
    cloner = Cloner(con, rng)
    # every template read while the indexes stand (without them each read scans the growing tables)
    templates_read = {code: {shape: _load(con, case_id) for shape, case_id in templates[code].items()}
                      for code in codes}
    indexes = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND "
                          "tbl_name IN ('mappa_case', 'process_instance', 'human_task', 'case_event')").fetchall()
    for name, _sql in indexes:
        con.execute(f'DROP INDEX "{name}"')
    made = SIM_START.date()
    mix: Counter[str] = Counter()
    for code in codes:
        loaded = templates_read[code]
        want = counts[code] - len(loaded)
        for shape in _shape_mix(max(0, want), rng):
            if shape not in loaded:  # an area not driven: no exit falls due there within the year
                shape = Shape(shape.category, shape.level)
            t = loaded[shape]
            interval = _interval(shape.level)
            due = date.fromisoformat(t.case["next_review_due"])
            if code in driven:
                target = made + timedelta(days=rng.randint(1, interval))  # next review evenly over the interval
            else:  # not driven: the next review falls after the simulated year
                target = made + timedelta(days=days + 15 + rng.randint(1, interval))
            cloner.clone(t, made, (target - due).days, rng.randint(0, 1800))
            mix[f"category {shape.category}, level {shape.level}"] += 1
        if code not in driven:  # the templates themselves wait until after the year too
            for shape, t in loaded.items():
                target = made + timedelta(days=days + 15 + rng.randint(1, _interval(shape.level)))
                cloner.replan(t, made, (target - date.fromisoformat(t.case["next_review_due"])).days)
    cloner.flush()
    for _name, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return {"clones": cloner.clones, "clone_mix": dict(sorted(mix.items()))}


# --- step 3: the year ------------------------------------------------------------------------------------------

def _stable(task_id: int, salt: int) -> int:
    """A number 0-99 fixed for a task: decides whether it is neglected or done late."""
    return (task_id * 2654435761 + salt * 40503) % 2**32 % 100


@dataclass
class Tally:
    steps: Counter[str] = field(default_factory=Counter)
    timers_fired: int = 0
    overdue_marked: int = 0
    sweeps: int = 0
    sweep_seconds: float = 0.0
    referrals: int = 0
    meetings_held: int = 0
    agenda_items: int = 0
    minutes_submitted: int = 0
    actions_agreed: int = 0
    errors: list[str] = field(default_factory=list)
    conflicts: Counter[str] = field(default_factory=Counter)
    work_seconds: float = 0.0
    meeting_seconds: float = 0.0


class Year:
    def __init__(self, driven: list[str], area_cases: dict[str, int], rng: random.Random) -> None:
        from sqlalchemy import select

        from services.db import db
        from services.models import Area

        self.rng = rng
        self.driven = driven
        self.area_ids = {code: db.session.scalar(select(Area.id).where(Area.code == code)) for code in driven}
        self.staff = {code: {s: _user(f"{code}_{s}").id for s in STAFF} for code in driven}
        self.rate = {code: area_cases[code] * REFERRALS_PER_YEAR / 250 for code in driven}  # per working day
        self.meetings: dict[tuple[str, date, int], int] = {}
        self.refused: set[int] = set()  # tasks a completion failed on: not tried again
        self.tally = Tally()

    def user(self, code: str, suffix: str) -> Any:
        from services.db import db
        from services.models import User

        return db.session.get(User, self.staff[code][suffix])

    def day(self, now: datetime) -> None:
        from services import clock
        from services.db import db
        from services.scheduler import sweep

        started = time.perf_counter()
        report = sweep(now)
        self.tally.sweep_seconds += time.perf_counter() - started
        self.tally.sweeps += 1
        self.tally.timers_fired += report.timers_fired
        self.tally.overdue_marked += report.tasks_marked_overdue
        self.tally.errors += [f"{now.date()} sweep: {e}" for e in report.errors]
        db.session.remove()
        today = now.date()
        if today.weekday() >= 5:
            return
        with clock.as_of(now):
            started = time.perf_counter()
            for code in self.driven:
                self._meetings(code, now)
            self.tally.meeting_seconds += time.perf_counter() - started
            started = time.perf_counter()
            for code in self.driven:
                self._referrals(code)
                self._work(code, today)
            self.tally.work_seconds += time.perf_counter() - started

    # -- new referrals --------------------------------------------------------------------------------------------
    def _referrals(self, code: str) -> None:
        from services import clock
        from services.cases import create_referral
        from services.db import db

        rate = self.rate[code]
        count = int(rate) + (1 if self.rng.random() < rate - int(rate) else 0)
        today = clock.today()
        for _ in range(count):
            shape = _shape_mix(1, self.rng)[0]
            referrer = self.user(code, self.rng.choice(["probation", "probation", "police", "prison"]))
            try:
                create_referral(referrer, _referral(Shape(shape.category, max(shape.level, 2)), self.rng, today,
                                                    today + timedelta(days=60)))
                db.session.commit()
                self.tally.referrals += 1
            except Exception as err:  # noqa: BLE001 - counted and reported: the run's result says it failed
                db.session.rollback()
                self.tally.errors.append(f"{today} referral in {code}: {type(err).__name__}: {err}")

    # -- the day's tasks ----------------------------------------------------------------------------------------------
    def _work(self, code: str, today: date) -> None:
        from sqlalchemy import select

        from services.db import db
        from services.models import HumanTask

        rows = db.session.execute(select(HumanTask.id, HumanTask.bpmn_id, HumanTask.due_date, HumanTask.created_at,
                                         HumanTask.role, HumanTask.assignee_id, HumanTask.case_id).where(
            HumanTask.area_id == self.area_ids[code], HumanTask.state == "ready").order_by(HumanTask.id)).all()
        db.session.rollback()
        for task_id, bpmn_id, due, created, role, assignee_id, case_id in rows:
            if bpmn_id == "meeting_review" or task_id in self.refused:
                continue  # a review is held at a MAPP meeting: the minutes' approval completes it
            roll = _stable(task_id, 1)
            if roll < NEGLECTED:
                continue  # never done: it goes overdue
            if due is not None:
                early = timedelta(days=_stable(task_id, 2) % 4)
                when = due + timedelta(days=7) if roll < NEGLECTED + LATE else due - early
            else:
                when = created.date() + timedelta(days=1 + _stable(task_id, 2) % 3)
            if when > today:
                continue
            answers = self._answers(bpmn_id, task_id, case_id, today)
            if answers is None:
                continue
            who = self._who(code, role, assignee_id)
            self._complete(who, task_id, bpmn_id, answers, today)

    def _consider_disclosure(self, case_id: int) -> None:
        """The meeting decided not to disclose at each review of the case still without a decision (the coordinator
        records it, also for a case closed since the meeting, in the transaction that approves the minutes)."""
        from sqlalchemy import select

        from services import disclosures
        from services.db import db
        from services.models import MappaCase, Minutes

        case = db.session.get(MappaCase, case_id)
        if case is None:
            return
        for minutes in db.session.scalars(select(Minutes).where(Minutes.case_id == case_id)).all():
            if not disclosures.decisions_at(minutes):
                disclosures.record_decision(self.user(case.area.code, "coordinator"), case_id, {
                    "decision": "not_disclose", "reason_not_disclosed": "Not necessary: the plan manages the risk."},
                    minutes.id)

    def _who(self, code: str, role: str, assignee_id: int | None) -> Any:
        from services.db import db
        from services.models import User

        if assignee_id is not None:
            return db.session.get(User, assignee_id)
        return self.user(code, ROLE_STAFF.get(role, "coordinator"))

    def _complete(self, user: Any, task_id: int, bpmn_id: str, answers: dict[str, Any], today: date) -> bool:
        from services.db import db
        from services.errors import Conflict
        from services.tasks import complete

        try:
            task = complete(user, task_id, answers)
            db.session.commit()
        except Conflict as err:  # the case moved on meanwhile (closed, phase ended): what staff would be told
            db.session.rollback()
            self.refused.add(task_id)
            self.tally.conflicts[f"{bpmn_id}: {err}"] += 1
            return False
        except Exception as err:  # noqa: BLE001 - counted and reported: the run's result says it failed
            db.session.rollback()
            self.refused.add(task_id)
            self.tally.errors.append(f"{today} {bpmn_id} (task {task_id}): {type(err).__name__}: {err}")
            return False
        self.tally.steps[task.name] += 1
        return True

    def _answers(self, bpmn_id: str, task_id: int, case_id: int, today: date) -> dict[str, Any] | None:
        from services.db import db
        from services.models import MappaCase
        from services.rules import months_later

        rng = self.rng
        if bpmn_id == "check_referral":
            return {"referral_complete": "yes"}
        if bpmn_id == "screening_decision":
            outcome = rng.choices(list(SCREENING), list(SCREENING.values()))[0]
            case = db.session.get(MappaCase, case_id)
            category = case.category if case is not None else 0
            if outcome == "not_mappa_managed" and category != 3:  # only category 3 can be found not managed
                outcome = "rejected_level_1"
            if outcome == "rejected_level_1" and category == 3:  # category 3 is never managed at Level 1
                outcome = "accepted_level_2"
            level = {"rejected_level_1": 1, "accepted_level_2": 2, "accepted_level_3": 3}.get(outcome)
            answers = {"screening_outcome": outcome, "screening_rationale": "Screened against the criteria."}
            if level:
                answers["first_review_due"] = _first_review(level, today).isoformat()
            return answers
        if bpmn_id in ("visor_record", "visor_identified"):
            return {"visor_reference": f"VS{rng.randint(10000, 99999)}"}
        if bpmn_id == "update_visor":  # the case's ViSOR user records the meetings and changes listed on the task
            case = db.session.get(MappaCase, case_id)
            reference = (case.visor_reference if case is not None else None) or f"VS{rng.randint(10000, 99999)}"
            return {"visor_recorded": "Minutes of the MAPP meeting and the level decision recorded.",
                    "visor_reference": reference, "visor_recorded_on": today.isoformat()}
        if bpmn_id == "level1_review":
            outcome = rng.choices(list(LEVEL1), list(LEVEL1.values()))[0]
            answers = {"review_outcome": outcome, "review_rationale": "Risk management plan reviewed."}
            if outcome.startswith("retain"):
                answers["next_review_date"] = months_later(today, 3).isoformat()
            return answers
        if bpmn_id == "endorse_review":
            return {"endorsement": "endorsed"}
        if bpmn_id in ("police_research", "om_research", "prison_research"):
            flagged = rng.random() < 0.1
            return {"issues_of_concern": "Seen near the victim's address." if flagged else "Nothing new.",
                    "flag_to_chair": flagged}
        if bpmn_id == "approve_minutes":
            self._consider_disclosure(case_id)  # a Level 2/3 review's minutes need its disclosure decision
            return {"approval": "approve"}
        if bpmn_id == "distribute_minutes":
            return {"distributed_to": "Police, Probation, Housing"}
        if bpmn_id == "complete_action":
            return {"action_outcome": "done", "action_note": "Done."}
        if bpmn_id in ("chase_action", "chair_informed"):
            return {"escalation_note": "Chased with the owning agency."}
        if bpmn_id == "confirm_exit":
            case = db.session.get(MappaCase, case_id)
            reason = "meeting_decision"
            if case is not None and case.category == 1 and case.notification_end and case.notification_end <= today:
                reason = "notification_ended"
            elif case is not None and case.category == 2 and case.licence_end and case.licence_end <= today:
                reason = "licence_ended"
            return {"exit_decision": "exit", "exit_reason": reason, "exit_date": today.isoformat(),
                    "early_exit_reason": "Risk reduced: agreed by the agencies."}
        return None  # no simulated staff for this step: left (listed in the results)

    # -- MAPP meetings ------------------------------------------------------------------------------------------------
    def _meetings(self, code: str, now: datetime) -> None:
        """Level 2 on Tuesdays, Level 3 every other Thursday: scheduled and agenda built a week ahead, held on
        the day (attendance, minutes, submission for the chair's approval), closed."""
        from services import meetings
        from services.db import db

        today = now.date()
        for level, weekday, every in ((2, 1, 1), (3, 3, 2)):
            ahead = today + timedelta(days=7)
            if ahead.weekday() == weekday and (ahead.toordinal() // 7) % every == 0:
                admin = self.user(code, "administrator")
                starts = datetime.combine(ahead, datetime.min.time(), UTC) + timedelta(hours=10)
                try:
                    [meeting] = meetings.schedule(admin, level=level, starts_at=starts, chair=f"{code}_chair",
                                                  venue=f"{code.replace('_', ' ').title()} MAPPA unit")
                    items = meetings.build_agenda(admin, meeting.id)
                    db.session.commit()
                    self.meetings[(code, ahead, level)] = meeting.id
                    self.tally.agenda_items += len(items)
                except Exception as err:  # noqa: BLE001 - counted and reported
                    db.session.rollback()
                    self.tally.errors.append(f"{today} scheduling in {code}: {type(err).__name__}: {err}")
            meeting_id = self.meetings.pop((code, today, level), None)
            if meeting_id is not None:
                try:
                    self._hold(code, meeting_id, level, today)
                except Exception as err:  # noqa: BLE001 - counted and reported
                    db.session.rollback()
                    self.tally.errors.append(f"{today} meeting {meeting_id} in {code}: {type(err).__name__}: {err}")

    def _hold(self, code: str, meeting_id: int, level: int, today: date) -> None:
        from services import meetings
        from services.db import db
        from services.models import MappMeeting

        admin, chair = self.user(code, "administrator"), self.user(code, "chair")
        meetings.open_meeting(chair, meeting_id)
        meeting = db.session.get(MappMeeting, meeting_id)
        assert meeting is not None
        rows = meetings.attendance(meeting)
        meetings.record_attendance(admin, meeting_id, {
            r.id: "apologies" if self.rng.random() < 0.1 else "present" for r in rows})
        db.session.commit()
        for item in list(meeting.items):
            case = item.case
            decision = self._decision(level, case.category)
            sections: dict[str, Any] = {
                "summary": "All agencies shared information.", "attendees": "Police, Probation, Housing",
                "risk_assessment": "High risk of serious harm to a known adult.",
                "level_decision": {"decision": decision, "rationale": "Agreed by the agencies present."},
                "actions": []}
            if decision != "exit":
                weeks = 16 if decision in ("level_1", "level_2") else 8
                if decision == "level_1":
                    weeks = 13
                sections["next_review_date"] = (today + timedelta(weeks=weeks)
                                                - timedelta(days=self.rng.randint(0, 10))).isoformat()
            if self.rng.random() < 0.3:
                sections["actions"] = [{"description": "Joint home visit", "owner_role": "police",
                                        "owner_agency": "Police",
                                        # after the latest (late) approval: a past due date makes the chair return them
                                        "due": (today + timedelta(days=28)).isoformat()}]
            meetings.save_minutes(admin, meeting_id, case.id, sections, None)
            meetings.submit_for_approval(admin, meeting_id, case.id)
            db.session.commit()
            self.tally.minutes_submitted += 1
            self.tally.actions_agreed += len(sections["actions"])
        meetings.close_meeting(chair, meeting_id)
        db.session.commit()
        self.tally.meetings_held += 1

    def _decision(self, level: int, category: int) -> str:
        options = {2: {"level_2": 80, "level_1": 8, "level_3": 4, "exit": 8},
                   3: {"level_3": 75, "level_2": 20, "exit": 5}}[level]
        if category == 3:
            options = {k: v for k, v in options.items() if k != "level_1"}
        return self.rng.choices(list(options), list(options.values()))[0]


SCREENING = {"rejected_level_1": 70, "accepted_level_2": 20, "accepted_level_3": 5, "not_mappa_managed": 5}
LEVEL1 = {"retain_no_oversight": 60, "retain_endorsed": 32, "refer_level_2": 3, "refer_level_3": 1, "exit": 4}
FIRST = ["Adam", "Brian", "Carl", "Dean", "Errol", "Frank", "Gary", "Harry", "Ian", "Jack", "Kevin", "Liam", "Mark",
         "Neil", "Owen", "Paul", "Ross", "Steve", "Tom", "Wayne", "Aaron", "Callum", "Darren", "Jason", "Lee"]
LAST = ["Ashby", "Brook", "Carter", "Dunn", "Ellis", "Foster", "Green", "Hale", "Irwin", "Jones", "Kemp", "Lowe",
        "Marsh", "Nash", "Oakes", "Price", "Reed", "Shaw", "Turner", "Walsh", "Young", "Booth", "Clarke", "Fox"]


# --- driver ------------------------------------------------------------------------------------------------------

class _Reader:
    """Plain SQL against the simulation's database, SQLite or PostgreSQL (named parameters: ``:name``)."""

    def __init__(self, target: Target) -> None:
        from sqlalchemy import create_engine

        self.target = target
        self.engine = create_engine(database_url(target))

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        with self.engine.connect() as con:
            return [tuple(row) for row in con.execute(text(sql), params)]

    def count(self, sql: str, **params: Any) -> int:
        return int(self.rows(sql, **params)[0][0])

    def size(self) -> int:
        if backend(self.target) == "sqlite":
            return db_size(Path(self.target))
        return self.count("SELECT pg_database_size(current_database())")

    def close(self) -> None:
        self.engine.dispose()


def simulate(areas: int = 42, cases: int = 91_000, days: int = 365, driven: tuple[str, ...] = ("southmoor",),
             db_path: Path | None = None, seed: int = 2026, verbose: bool = True,
             database_url: str | None = None) -> dict[str, Any]:
    """Build and clone into the SQLite file ``db_path``; with ``database_url`` (PostgreSQL on the machine's own
    server) the file is then copied into that database (bench/pgcopy.py) and the year is driven there."""
    def say(message: str) -> None:
        if verbose:
            log(f"simulate: {message}")

    db_path = (db_path or OUT / "simulate.db").resolve()
    rng = random.Random(seed)
    codes = _areas(areas)
    driven_codes = [c for c in codes if c in driven]
    counts = _area_cases(codes, cases, rng)
    started = time.perf_counter()
    templates = _build(db_path, codes, set(driven_codes), rng)
    build_s = time.perf_counter() - started
    template_count = sum(len(v) for v in templates.values())
    say(f"schema, {len(codes)} areas, staff and {template_count} template cases through the services "
        f"in {build_s:.1f}s")
    started = time.perf_counter()
    clone_info = _clone_all(db_path, codes, set(driven_codes), counts, templates, days, rng)
    clone_s = time.perf_counter() - started
    say(f"{clone_info['clones']} clones in {clone_s:.1f}s")
    target: Target = db_path
    copy_s = 0.0
    if database_url:
        from bench.pgcopy import copy_into

        copy_s = copy_into(db_path, database_url)["copy_seconds"]
        target = database_url
        say(f"copied into {database_url.rsplit('@', 1)[-1]} in {copy_s:.1f}s")

    reader = _Reader(target)
    before = dict(reader.rows("SELECT kind, COUNT(*) FROM case_event GROUP BY kind"))
    last_event = reader.count("SELECT MAX(id) FROM case_event")
    overdue_before = reader.count("SELECT COUNT(*) FROM human_task WHERE overdue")

    from services.db import db

    app = _app(target)
    year_started = time.perf_counter()
    with app.app_context():
        sim = Year(driven_codes, counts, rng)
        db.session.remove()
        for n in range(days):
            now = SIM_START + timedelta(days=n)
            app.extensions["mappa.clock"].set(now)
            sim.day(now)
            if verbose and (n + 1) % 10 == 0:
                say(f"day {n + 1}: {sum(sim.tally.steps.values())} steps, {sim.tally.timers_fired} timers, "
                    f"{sim.tally.overdue_marked} overdue, {time.perf_counter() - year_started:.0f}s")
        db.session.remove()
        db.engine.dispose()
    year_s = time.perf_counter() - year_started
    tally = sim.tally

    after = dict(reader.rows("SELECT kind, COUNT(*) FROM case_event GROUP BY kind"))
    written = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    # every task completion of the year as the history recorded it ("Completed 'Level 1 review'"), whoever did it
    completed_events = {row[0][len("Completed '"):-1]: row[1] for row in reader.rows(
        "SELECT summary, COUNT(*) FROM case_event WHERE kind = 'task_completed' AND id > :last GROUP BY summary",
        last=last_event)}
    codes_in = ", ".join(f":code{n}" for n in range(len(driven_codes)))
    still_ready = dict(reader.rows(
        "SELECT t.name, COUNT(*) FROM human_task t JOIN area a ON a.id = t.area_id WHERE t.state = 'ready' "  # noqa: S608
        f"AND a.code IN ({codes_in}) GROUP BY t.name", **{f"code{n}": c for n, c in enumerate(driven_codes)}))
    result = {
        "areas": len(codes), "driven_areas": driven_codes, "days": days, "seed": seed,
        "cases_requested": cases,
        "database": backend(target), "cases": reader.count("SELECT COUNT(*) FROM mappa_case"),
        "cases_in_driven_areas_at_start": sum(counts[c] for c in driven_codes),
        "template_cases": template_count, **clone_info,
        "categories_end": {str(k): v for k, v in reader.rows(
            "SELECT category, COUNT(*) FROM mappa_case GROUP BY category")},
        "statuses_end": dict(reader.rows("SELECT status, COUNT(*) FROM mappa_case GROUP BY status")),
        "steps_run": sum(completed_events.values()),
        "steps_by_task": dict(Counter(completed_events).most_common()),
        "steps_by_simulated_staff": sum(tally.steps.values()),
        "steps_by_simulated_staff_by_task": dict(tally.steps.most_common()),
        "task_completed_events_written": written.get("task_completed", 0),
        "timers_fired": tally.timers_fired,
        "timer_fired_events_written": written.get("timer_fired", 0),
        "overdue_marked": tally.overdue_marked,
        "task_overdue_events_written": written.get("task_overdue", 0),
        "overdue_flags_set_at_start": overdue_before,
        "referrals_created": tally.referrals,
        "meetings_held": tally.meetings_held, "agenda_items": tally.agenda_items,
        "minutes_submitted": tally.minutes_submitted, "actions_agreed": tally.actions_agreed,
        "ready_at_end_in_driven_areas": still_ready,
        "sweeps": tally.sweeps, "sweep_seconds": round(tally.sweep_seconds, 1),
        "work_seconds": round(tally.work_seconds, 1), "meeting_seconds": round(tally.meeting_seconds, 1),
        "errors": len(tally.errors), "first_errors": tally.errors[:20],
        "conflicts": dict(tally.conflicts.most_common()),
        "build_seconds": round(build_s, 1), "clone_seconds": round(clone_s, 1), "copy_seconds": round(copy_s, 1),
        "year_seconds": round(year_s, 1), "wall_seconds": round(build_s + clone_s + copy_s + year_s, 1),
        "db": str(db_path) if not database_url else database_url.rsplit("@", 1)[-1], "db_bytes": reader.size(),
        "peak_rss_mib": round(max_rss_mib(), 1),
        "case_events": reader.count("SELECT COUNT(*) FROM case_event"),
        "human_tasks": reader.count("SELECT COUNT(*) FROM human_task"),
        "process_instances": reader.count("SELECT COUNT(*) FROM process_instance"),
    }
    reader.close()
    say(f"year of {days} days in {year_s:.0f}s: {result['steps_run']} steps, {result['timers_fired']} timers, "
        f"{result['overdue_marked']} overdue, {result['errors']} errors")
    return result


def markdown(r: dict[str, Any]) -> str:
    steps = "\n".join(f"| {name} | {n:,} |" for name, n in r["steps_by_task"].items())
    per_step = r["work_seconds"] * 1000 / max(1, r["steps_run"])
    on_pg = r.get("database") == "postgresql"
    title = " on PostgreSQL (`make simulate-postgresql`)" if on_pg else " (`make simulate`)"
    copied = f", copying into PostgreSQL {r['copy_seconds']:.0f} s" if on_pg else ""
    store = "PostgreSQL database" if on_pg else "SQLite file"
    return f"""## National simulation{title}

{r['cases']:,} cases in {r['areas']} MAPPA areas, then {r['days']} days from {SIM_START.date()} driven by the
injected clock. Wall time **{r['wall_seconds'] / 60:.1f} min** (set-up through the services {r['build_seconds']:.0f} s,
bulk cloning {r['clone_seconds']:.0f} s{copied}, the year {r['year_seconds']:.0f} s), {store}
**{r['db_bytes'] / 2**20:.0f} MiB**, peak memory **{r['peak_rss_mib']:.0f} MiB**, {r['errors']} errors.

**What is bulk-created.** Per area, one case per shape (category x level, and Level 1 cases whose notification or
licence ends within the year) is referred and screened through the services on the real engine
({r['template_cases']} template cases); they are then cloned with bulk INSERTs ({r['clones']:,} clones): new ids,
references and SpiffWorkflow task ids, the plan (next review, its timer, exit dates) moved so the next reviews
fall evenly over each level's interval, the history aged by 0-5 years. Categories: 75 % category 1 (MAPPA.md:
68,357 of 91,040), 0.5 % category 3, 0.2 % category 4, the rest category 2; levels 92 % / 6 % / 2 %
(MAPPA.md: Level 3 about 2 %; Level 2 chosen so a hub of 700 cases holds ~18 meetings a year of ~13 offenders).

**What is driven.** {', '.join(r['driven_areas'])} ({r['cases_in_driven_areas_at_start']:,} cases at the start)
live through the {r['days']} days: each day `services.scheduler.sweep(now)` ({r['sweeps']} sweeps,
{r['sweep_seconds']:.0f} s); each working day simulated staff complete ready tasks through
`services.tasks.complete`, {r['referrals_created']:,} new referrals arrive through `services.cases.create_referral`
(13 % of the caseload a year), and MAPP meetings are held
through `services.meetings` ({r['meetings_held']} meetings, {r['agenda_items']:,} agenda items,
{r['minutes_submitted']:,} minutes with the level decision and next review, {r['actions_agreed']:,} actions).
{NEGLECTED} % of tasks are never done and {LATE} % are done a week late. The cases of the other areas have their
plan moved after the simulated year: they weigh on every query (inbox, agenda, sweep) but no work falls due for
them. Driving every case through the engine for a year would be ~700,000 steps, far beyond the 30-minute budget.

| measure | value |
| --- | --- |
| steps run (task completions = `task_completed` history rows: {r['task_completed_events_written']:,}) \
| {r['steps_run']:,} |
| timers fired (= `timer_fired` history rows: {r['timer_fired_events_written']:,}) | {r['timers_fired']:,} |
| steps gone overdue (= `task_overdue` history rows: {r['task_overdue_events_written']:,}) | {r['overdue_marked']:,} |
| wall time per step of the staff's working-day loop (loop seconds / steps) | {per_step:.1f} ms |
| rows at the end: cases / process instances / human tasks / history \
| {r['cases']:,} / {r['process_instances']:,} / {r['human_tasks']:,} / {r['case_events']:,} |

| step | completed |
| --- | --- |
{steps}

Raw numbers: bench/out/simulate.json."""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--areas", type=int, default=42, help="MAPPA areas (default 42)")
    parser.add_argument("--cases", type=int, default=91_000, help="cases at the start (default 91,000)")
    parser.add_argument("--days", type=int, default=365, help="days to simulate (default 365)")
    parser.add_argument("--driven", default="southmoor",
                        help="comma-separated areas whose year is driven (default southmoor: 3 %% of the cases)")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to (re)create (bench/out/simulate.db)")
    parser.add_argument("--database-url", default=None,
                        help="drive the year on this PostgreSQL database (recreated: built in the SQLite file, "
                             "then copied in), e.g. postgresql://postgres@127.0.0.1:5432/bench_simulate")
    parser.add_argument("--out", type=Path, default=OUT / "simulate.json", help="raw numbers (JSON)")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    driven = tuple(c.strip() for c in args.driven.split(",") if c.strip())
    if not 1 <= args.areas <= 42 or args.cases < args.areas * 30 or args.days < 1:
        parser.error("need 1 <= --areas <= 42, --cases >= 30 per area and --days >= 1")
    if not driven or set(driven) - set(_areas(args.areas)):
        parser.error(f"--driven must name some of the areas: {', '.join(_areas(args.areas))}")
    result = simulate(args.areas, args.cases, args.days, driven, args.db, args.seed, not args.quiet,
                      args.database_url)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    if not args.no_results:
        replace_section("simulate-postgresql" if args.database_url else "simulate", markdown(result))
    print(json.dumps({k: v for k, v in result.items() if k != "steps_by_task"}, default=str), file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
