"""(c) one case through many review periods, with an injected clock."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import func, select, update

from bench.common import BENCH_NOW, OUT, Client, StatementCounter, Timings, log, make_app, remove_db, serve, token_for
from bench.scenarios import referral_body

# --- (c) one case through many review periods ---------------------------------------------------------------------


def measure_review_periods(periods: int) -> dict[str, Any]:
    from bench.generate import build_empty
    from services.db import db
    from services.models import ApiToken, CaseEvent, HumanTask, ProcessInstance
    from services.scheduler import sweep

    db_path = OUT / "review-periods.db"
    remove_db(db_path)
    build_empty(db_path)
    app = make_app(db_path)
    clock = app.extensions["mappa.clock"]
    with app.app_context():
        counter = StatementCounter(db.engine)
        tokens = {name: token_for(name) for name in ("probation", "coordinator", "police", "chair")}
        # the clock runs years ahead here, past the tokens' lifetime (api_token_days): on this throwaway database
        # they are made to outlive the run
        db.session.execute(update(ApiToken).values(expires_at=BENCH_NOW + timedelta(days=365 * 80)))
        db.session.commit()
        db.session.remove()

    def ready(case_id: int, bpmn_id: str) -> int:
        with app.app_context():
            task_id = db.session.scalars(
                select(HumanTask.id).where(
                    HumanTask.case_id == case_id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "ready"
                )
            ).one()
            db.session.remove()
            return task_id

    rows: list[dict[str, Any]] = []
    with serve(app) as (host, port):
        clients = {name: Client(host, port, token) for name, token in tokens.items()}

        def complete(user: str, task_id: int, data: dict[str, Any]) -> tuple[float, int]:
            before = counter.count
            started = time.perf_counter()
            status, body, _size = clients[user].request("POST", f"/api/v1/tasks/{task_id}/complete", {"data": data})
            elapsed = time.perf_counter() - started
            assert status == 200, (status, body)
            return elapsed, counter.count - before

        status, case, _ = clients["probation"].request("POST", "/api/v1/cases", referral_body())
        assert status == 201, case
        case_id = case["id"]
        complete("coordinator", ready(case_id, "check_referral"), {"referral_complete": "yes"})
        due = BENCH_NOW.date() + timedelta(days=23)  # as tests/lifecycle/test_long_lived_case.py
        complete(
            "coordinator",
            ready(case_id, "screening_decision"),
            {
                "screening_outcome": "accepted_level_2",
                "screening_rationale": "Benchmark.",
                "first_review_due": due.isoformat(),
            },
        )
        complete("police", ready(case_id, "visor_record"), {"visor_reference": "VS1"})
        started_all = time.perf_counter()
        for period in range(1, periods + 1):
            meeting_day = datetime.combine(due - timedelta(days=13), dtime(10), UTC)
            clock.set(meeting_day)  # the injected clock: the server thread reads the same one
            t0 = time.perf_counter()
            with app.app_context():
                report = sweep(meeting_day)
                db.session.remove()
            sweep_s = time.perf_counter() - t0
            assert report.timers_fired == 1, f"period {period}: {report}"
            task_id = ready(case_id, "meeting_review")
            with app.app_context():
                instance_id = db.session.scalar(select(HumanTask.instance_id).where(HumanTask.id == task_id))
                db.session.remove()
            due = due + timedelta(weeks=8)
            complete_s, statements = complete(
                "chair",
                task_id,
                {"review_outcome": "level_2", "review_rationale": "Same.", "next_review_date": due.isoformat()},
            )
            with app.app_context():
                finished = db.session.get(ProcessInstance, instance_id)
                assert finished is not None and finished.status == "completed", finished and finished.status
                running = db.session.scalars(
                    select(ProcessInstance).where(
                        ProcessInstance.case_id == case_id, ProcessInstance.status == "running"
                    )
                ).one()
                rows.append(
                    {
                        "period": period,
                        "complete_ms": complete_s * 1000,
                        "sweep_ms": sweep_s * 1000,
                        "statements": statements,
                        "state_bytes": len(finished.state),
                        "running_state_bytes": len(running.state),
                        "instances": db.session.scalar(
                            select(func.count(ProcessInstance.id)).where(ProcessInstance.case_id == case_id)
                        ),
                        "events": db.session.scalar(
                            select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id)
                        ),
                    }
                )
                db.session.remove()
        total_s = time.perf_counter() - started_all
        status, final, _ = clients["chair"].request("GET", f"/api/v1/cases/{case_id}")
        for c in clients.values():
            c.close()
    assert status == 200 and final["status"] == "level 2" and final["next_review_due"] == due.isoformat(), final
    with app.app_context():
        db.engine.dispose()

    span = max(1, min(30, periods // 3))

    def window(first: int) -> dict[str, float]:
        chosen = [r for r in rows if first <= r["period"] < first + span]
        return {k: statistics.median(r[k] for r in chosen) for k in ("complete_ms", "sweep_ms")}

    def slope(key: str) -> float:
        """Least-squares growth in ms per 100 periods."""
        if len(rows) < 3:
            return float("nan")
        fit = statistics.linear_regression([r["period"] for r in rows], [r[key] for r in rows])
        return fit.slope * 100

    at = {r["period"]: r for r in rows}
    early = min(10, periods)
    log(
        f"review period {early}: {at[early]['complete_ms']:.1f} ms, state {at[early]['state_bytes']} B; "
        f"period {periods}: {at[periods]['complete_ms']:.1f} ms, state {at[periods]['state_bytes']} B"
    )
    return {
        "periods": periods,
        "early": early,
        "at_early": at[early],
        "at_last": at[periods],
        "span": span,
        "window_early": window(1),
        "window_last": window(periods - span + 1),
        "slope_complete_ms_per_100": slope("complete_ms"),
        "slope_sweep_ms_per_100": slope("sweep_ms"),
        "total_s": total_s,
        "complete_all": Timings([r["complete_ms"] for r in rows]).summary(),
        "final_status": final["status"],
        "series": rows,
    }
