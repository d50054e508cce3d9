"""(d) the scheduler sweep with 100 timers due, against a data set's waiting timers.

On a generated data set (it is changed: run last), the running instances with a timer are taken earliest first: the
first ``due x rounds`` are the ones that will fall due, and the sweep's instant ``now`` is a second after the
latest of their timers. Every other instance whose timer is at or before ``now`` (clones share their template's
instant) has its ``next_timer_at`` moved 20 years on, so exactly ``due`` instances are due in each round and the
rest wait. The setup (untimed) also brings the overdue flags up to ``now``'s date in one UPDATE and runs one sweep
with nothing due, so that the timed sweeps do the timers' work and the sweep's fixed steps, not a backlog of
overdue marking. Each round then arms ``due`` instances (their own timer instant again) and times either the whole
``services.scheduler.sweep(now)`` or its timer step alone (``_fire_timers``: find the due instances by index, load,
fire, save each in its own transaction). The engine really fires every timer: each instance's stored state holds
the same instant as its ``next_timer_at``.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import StatementCounter, Target, backend, log, make_app

FAR = timedelta(days=365 * 20)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def measure_sweep(target: Target, due: int = 100, rounds: int = 3) -> dict[str, Any]:
    from sqlalchemy import func, select, text, update

    from services import clock, scheduler
    from services.db import db
    from services.models import HumanTask, ProcessInstance

    app = make_app(target)
    with app.app_context():
        counter = StatementCounter(db.engine)
        running = ProcessInstance.status == "running"
        rows: list[tuple[int, datetime]] = [
            (i, t)
            for i, t in db.session.execute(
                select(ProcessInstance.id, ProcessInstance.next_timer_at)
                .where(running, ProcessInstance.next_timer_at.is_not(None))
                .order_by(ProcessInstance.next_timer_at, ProcessInstance.id)
            )
            if t is not None
        ]
        chosen = rows[: due * 2 * rounds]
        if len(chosen) < due * 2 * rounds:
            return {"error": f"only {len(rows)} instances with a timer"}
        latest = max(t for _i, t in chosen)
        # a second after the latest: the engine fires a timer once now is past its instant, not at it
        now: datetime = (latest if latest.tzinfo else latest.replace(tzinfo=UTC)) + timedelta(seconds=1)
        original = {i: t for i, t in chosen}
        moved = [{"id": i, "next_timer_at": t + FAR} for i, t in rows if i not in original and t <= chosen[-1][1]]
        parked = [{"id": i, "next_timer_at": t + FAR + FAR} for i, t in chosen]
        for batch in (moved, parked):
            if batch:
                db.session.execute(update(ProcessInstance), batch)
        today = now.astimezone(clock.LONDON).date()
        ready = HumanTask.state == "ready"
        db.session.execute(
            update(HumanTask).where(ready, HumanTask.due_date < today).values(overdue=True)
        )
        db.session.execute(
            update(HumanTask).where(ready, HumanTask.due_date >= today).values(overdue=False)
        )
        db.session.commit()
        waiting = db.session.scalar(
            select(func.count()).select_from(ProcessInstance).where(running, ProcessInstance.next_timer_at > now)
        )
        started = time.perf_counter()
        settle = scheduler.sweep(now)  # nothing due: settles reminders and whatever else is due at that instant
        settle_s = time.perf_counter() - started
        if backend(target) == "postgresql":
            # The settling sweep wrote tens of thousands of reminder rows. A production server's autovacuum analyses
            # such a table within a minute; this machine's server runs with autovacuum off, so the benchmark does it
            # (without fresh statistics the planner takes reminder_outbox for 71 rows and anti-joins by a loop).
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        out: dict[str, Any] = {
            "backend": backend(target),
            "now": now.isoformat(),
            "due": due,
            "waiting": waiting,
            "settle_sweep_ms": round(settle_s * 1000, 1),
            "settle_errors": settle.errors[:3],
        }
        whole: list[float] = []
        step: list[float] = []
        fired: list[int] = []
        sql: list[float] = []
        for number in range(2 * rounds):
            armed = chosen[number * due : (number + 1) * due]
            db.session.execute(update(ProcessInstance), [{"id": i, "next_timer_at": original[i]} for i, _t in armed])
            db.session.commit()
            db.session.remove()
            sql_before = counter.seconds
            report = scheduler.SweepReport()
            started = time.perf_counter()
            if number % 2 == 0:
                report = scheduler.sweep(now)
            else:
                with clock.as_of(now):
                    scheduler._fire_timers(now, report)
            elapsed = (time.perf_counter() - started) * 1000
            (whole if number % 2 == 0 else step).append(elapsed)
            sql.append((counter.seconds - sql_before) * 1000)
            fired.append(report.timers_fired)
            if report.errors:
                out.setdefault("errors", []).extend(report.errors[:3])
            db.session.remove()
        out |= {
            "sweep_ms": [round(v, 1) for v in whole],
            "sweep_p50_ms": _median(whole),
            "timer_step_ms": [round(v, 1) for v in step],
            "timer_step_p50_ms": _median(step),
            "sql_ms": [round(v, 1) for v in sql],
            "timers_fired": fired,
        }
        db.engine.dispose()
    log(
        f"{backend(target)} sweep: {due} due, {waiting} waiting: sweep p50 {out['sweep_p50_ms']:.0f} ms, timer step "
        f"p50 {out['timer_step_p50_ms']:.0f} ms, fired {fired}"
    )
    return out
