"""bench/RESULTS.md and the printed table, written from one run's results."""

from __future__ import annotations

from typing import Any

from bench.targets import plans, targets

# --- the report ------------------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _pp(summary: dict[str, Any]) -> str:
    if "p50_ms" not in summary:
        return "n/a"
    return f"{_ms(summary['p50_ms'])} / {_ms(summary['p95_ms'])}"


def render(results: dict[str, Any]) -> tuple[str, str]:
    """(the results table, the whole RESULTS.md)."""
    m = results["machine"]
    sizes = results["sizes"]
    big = str(max(sizes))
    data = results["data"]
    measured = results["measured"]
    step = results["step"]
    review = results["review"]
    raw = step["raw_engine"]
    head = "| measure | " + " | ".join(f"{int(s):,} open cases" for s in sizes) + " |"
    rule = "|---|" + "---|" * len(sizes)
    lines = [head, rule]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    def each(fn: Any) -> list[str]:
        return [fn(measured[str(s)], str(s) == big) for s in sizes]

    row(
        "floor: `GET /healthz` on the same server (no auth, one `SELECT 1`), ms p50 / p95",
        each(lambda m, _b: _pp(m["floor"]) if "floor" in m else "-"),
    )
    row("(a) inbox `GET /api/v1/tasks` as coordinator, ms p50 / p95", each(lambda m, _b: f"**{_pp(m['inbox'])}**"))
    row("    of which in SQL (cursor execute), ms p50", each(lambda m, _b: _ms(m["inbox"]["sql_p50_ms"])))
    row(
        "    tasks returned / SQL statements per request",
        each(lambda m, _b: f"{m['inbox']['tasks_returned']} / {m['inbox']['statements']}"),
    )
    row("    requests timed (after 20 warm-up)", each(lambda m, _b: str(m["inbox"]["n"])))
    if "what_if" in measured[big]:
        w = measured[big]["what_if"]
        row(
            "    what-if, same data re-measured: current schema, ms p50 / p95 (SQL p50)",
            each(lambda _m, b: f"{_pp(w['baseline'])} ({_ms(w['baseline']['sql_p50_ms'])})" if b else ""),
        )
        row(
            "    what-if: plus partial index `human_task (area_id, role, assignee_id, due_date) WHERE state = "
            "'ready'`, ms p50 / p95 (SQL p50)",
            each(lambda _m, b: f"{_pp(w['with_index'])} ({_ms(w['with_index']['sql_p50_ms'])})" if b else ""),
        )
    row(
        "(b) HTTP completion `POST /api/v1/tasks/{id}/complete` (check_referral), ms p50 / p95",
        each(lambda m, _b: f"**{_pp(m['complete_http'])}**" if "complete_http" in m else "-"),
    )
    row(
        "    SQL statements per completion / completions timed (after 20 warm-up)",
        each(
            lambda m, _b: (
                f"{m['complete_http']['statements']} / {m['complete_http']['n']}" if "complete_http" in m else "-"
            )
        ),
    )
    row(
        "    same step via `services.tasks.complete` in-process + commit (no HTTP), ms p50 / p95",
        each(lambda _m, b: _pp(step.get("complete_service", {})) if b else ""),
    )
    row(
        "    same step in raw SpiffWorkflow in memory (deserialise, complete, engine steps, serialise), ms p50 / p95",
        each(lambda _m, b: f"**{_pp(raw['total'])}**" if b else ""),
    )
    row(
        "      of which deserialise / complete + engine steps / serialise, ms p50",
        each(lambda _m, b: " / ".join(_ms(raw[k]["p50_ms"]) for k in ("load", "complete", "dump")) if b else ""),
    )
    row(
        "create referral `POST /api/v1/cases` in northshire, ms p50 / p95 (SQL statements)",
        each(lambda m, _b: f"{_pp(m['create_referral'])} ({m['create_referral']['statements']})"),
    )
    if "create_referral_collide" in measured[big]:
        area = measured[big]["create_referral_collide"]["area"]
        row(
            f"create referral in {area} (same `NO-` reference prefix as northshire), ms p50 / p95 (SQL statements)",
            each(
                lambda m, _b: (
                    f"{_pp(m['create_referral_collide'])} ({m['create_referral_collide']['statements']})"
                    if "create_referral_collide" in m
                    else "-"
                )
            ),
        )
    table = "\n".join(lines)

    e, l_ = review["at_early"], review["at_last"]
    we, wl = review["window_early"], review["window_last"]
    span = review.get("span", 10)
    rtable = "\n".join(
        [
            f"| one case, review period | {review['early']} | {review['periods']} |",
            "|---|---|---|",
            f"| (c) completing the period (`meeting_review`, HTTP), ms | **{_ms(e['complete_ms'])}** | "
            f"**{_ms(l_['complete_ms'])}** |",
            f"|     median of the first / last {span} periods, ms | {_ms(we['complete_ms'])} | "
            f"{_ms(wl['complete_ms'])} |",
            f"|     trend over all periods (least squares), ms per 100 periods | | "
            f"{review.get('slope_complete_ms_per_100', float('nan')):+.2f} |",
            f"| timer sweep that opened the period (`services.scheduler.sweep`), ms | {_ms(e['sweep_ms'])} | "
            f"{_ms(l_['sweep_ms'])} |",
            f"|     median of the first / last {span} periods, ms | {_ms(we['sweep_ms'])} | {_ms(wl['sweep_ms'])} |",
            f"|     trend over all periods (least squares), ms per 100 periods | | "
            f"{review.get('slope_sweep_ms_per_100', float('nan')):+.2f} |",
            f"| stored `process_instance.state` of the period, bytes | **{e['state_bytes']:,}** | "
            f"**{l_['state_bytes']:,}** |",
            f"| stored state of the next (waiting) period, bytes | {e['running_state_bytes']:,} | "
            f"{l_['running_state_bytes']:,} |",
            f"| SQL statements for the completion | {e['statements']} | {l_['statements']} |",
            f"| process instances / history events of the case so far | {e['instances']} / {e['events']} | "
            f"{l_['instances']} / {l_['events']} |",
        ]
    )

    data_rows: list[tuple[str, Any]] = [
        ("cases (open + closed)", lambda d: f"{d['open_cases']:,} + {d['closed_cases']:,}"),
        ("areas", lambda d: f"{d['areas']:,}"),
        ("northshire cases", lambda d: f"{d['northshire_cases']:,}"),
        (
            "northshire human_task rows (ready; ready for the coordinator role)",
            lambda d: (
                f"{d['northshire_human_tasks']:,} ({d['northshire_ready']:,}; {d['northshire_coordinator_ready']:,})"
            ),
        ),
        ("process instances", lambda d: f"{d['process_instances']:,}"),
        ("average stored state, bytes", lambda d: f"{d['state_bytes_avg']:,}"),
        ("human_task rows (ready)", lambda d: f"{d['human_tasks']:,} ({d['ready_tasks']:,})"),
        ("case_event rows", lambda d: f"{d['case_events']:,}"),
        ("SQLite file, MiB", lambda d: f"{d['db_bytes'] / 2**20:,.0f}"),
        (
            "generation time, s (sample via services / bulk clone)",
            lambda d: f"{d['total_seconds']:.1f} ({d['sample_seconds']:.1f} / {d['clone_seconds']:.1f})",
        ),
        ("generator peak RSS, MiB", lambda d: f"{d['max_rss_mib']:,.0f}"),
    ]
    dlines = ["| data set | " + " | ".join(f"{int(s):,}" for s in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for label, cell in data_rows:
        dlines.append(f"| {label} | " + " | ".join(cell(data[str(s)]) for s in sizes) + " |")
    dtable = "\n".join(dlines)

    machine_line = (
        f"{m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}; Python {m['python']}, "
        f"SQLite {m['sqlite']}, SpiffWorkflow {m['SpiffWorkflow']}, Flask {m['Flask']}, "
        f"Werkzeug {m['Werkzeug']}, SQLAlchemy {m['SQLAlchemy']}"
    )
    target_table, target_lines = targets(results)
    printed = "\n\n".join(
        [
            f"Machine: {machine_line}",
            target_table,
            "\n".join(target_lines),
            table,
            rtable,
            dtable,
            f"Peak RSS of the benchmark process (server + client + engine): "
            f"{results['max_rss_mib']:.0f} MiB; whole run {results['total_s']:.0f} s",
        ]
    )
    md = RESULTS_TEMPLATE.format(
        date=m["date"],
        commit=m["commit"],
        load_start=m.get("loadavg_start", "?"),
        load_end=m.get("loadavg_end", "?"),
        template_note=_template_note(data[big], measured[big]),
        command=" ".join([".venv/bin/python -m bench.run", results["args"]]).strip(),
        machine_line=machine_line,
        nproc=m["nproc"],
        cpu=m["cpu"],
        ram=m["ram_gib"],
        os=m["os"],
        python=m["python"],
        sqlite=m["sqlite"],
        spiff=m["SpiffWorkflow"],
        flask=m["Flask"],
        werkzeug=m["Werkzeug"],
        sqlalchemy=m["SQLAlchemy"],
        table=table,
        rtable=rtable,
        dtable=dtable,
        rss=results["max_rss_mib"],
        total=results["total_s"],
        periods=review["periods"],
        requests=measured[str(sizes[0])]["inbox"]["n"],
        args=results["args"],
        review_total=review["total_s"],
        generator_doc=_generator_doc(),
        findings=findings(results),
        targets=target_table,
        target_lines="\n".join(f"- {line}" for line in target_lines),
        plans=plans(results),
        sweep_doc=SWEEP_DOC,
        postgres=m.get("postgresql", "?"),
        pg_copy=_pg_copy_note(results),
    )
    return printed, md


SWEEP_DOC = (
    "running instances with a timer taken earliest first; the first 100 per round fall due, the sweep's instant is "
    "a second after the latest of their timers, and every other timer at or before it is moved 20 years on (so "
    "the rest wait); "
    "overdue flags are brought up to that day and one sweep with nothing due runs first (untimed). Then each round "
    "arms 100 instances and times the whole `services.scheduler.sweep(now)` or its timer step alone "
    "(`bench/sweep.py`). The engine really fires each timer."
)


def _pg_copy_note(results: dict[str, Any]) -> str:
    copies = results.get("postgresql", {}).get("data", {})
    if not copies:
        return "PostgreSQL was not measured in this run (`--databases sqlite`)."
    done = ", ".join(f"{int(size):,} open cases in {c['copy_seconds']:.0f} s" for size, c in copies.items())
    return (
        "Each generated SQLite data set is copied into its own PostgreSQL database (`bench_N` on the machine's "
        "server, 127.0.0.1:5432) by `bench/pgcopy.py` before anything is measured: schema by the app's migrations, "
        f"rows by `COPY FROM STDIN`, indexes rebuilt after, `VACUUM ANALYZE` ({done})."
    )


STATE_TWICE = (
    "`services.instances.save` runs its versioned `UPDATE process_instance` and then `setattr`s the same values on "
    "the loaded row, so the ORM flushes a second, unversioned update of `state` and `version`. Suggested: "
    "`sqlalchemy.orm.attributes.set_committed_value(instance, key, value)` instead of `setattr` (or expire the row)."
)


def _referral_finding(m_small: dict[str, Any], m_big: dict[str, Any], small: int, big: int) -> str:
    n, n_small = m_big["create_referral"], m_small["create_referral"]
    c = m_big.get("create_referral_collide", {})
    slow, slow_small = n.get("slowest", {}), n_small.get("slowest", {})
    text_ = (
        f"- **Creating a referral** (`POST /api/v1/cases`) at {big:,} cases: {_ms(n['p50_ms'])} ms p50 in northshire "
        f"({_ms(n_small['p50_ms'])} ms at {small:,}), {n['statements']} SQL statements"
    )
    if c:
        text_ += (
            f"; {_ms(c['p50_ms'])} ms and {c['statements']} statements in {c['area']}, which shares the `NO-` prefix"
        )
    if slow:
        text_ += (
            f". Its slowest statement: `{slow['sql']}` - {_ms(slow['ms'])} ms at {big:,} cases, "
            f"{_ms(slow_small.get('ms', float('nan')))} ms at {small:,}."
        )
    if c and c["statements"] > n["statements"] + 5:
        text_ += (
            f" The {c['statements'] - n['statements']} extra statements in {c['area']} come from "
            "`services.cases._reference` probing one taken number after another: 7 of the 42 areas start with `no`, "
            "so their reference sequences collide. Suggested: a unique prefix per area and a per-area counter."
        )
    if "LIKE" in slow.get("sql", "").upper() and slow.get("ms", 0) > 3 * slow_small.get("ms", 0):
        text_ += (
            " SQLite cannot use the unique index on `reference` for a `LIKE` (case-insensitive by default), so the "
            "next reference number is found by reading every reference in the country: linear in all cases ever "
            "opened. Suggested: a range on the index instead (`reference >= 'NO-2026-' AND reference < 'NO-2026.'`, "
            "a direct seek), or a per-prefix counter row, which would also stop two concurrent referrals taking the "
            "same number (a unique-constraint error on PostgreSQL)."
        )
    return text_


def findings(results: dict[str, Any]) -> str:
    """What the numbers say, written from this run's numbers."""
    sizes = results["sizes"]
    small, big = str(min(sizes)), str(max(sizes))
    m_small, m_big = results["measured"][small], results["measured"][big]
    d_big = results["data"][big]
    step, review = results["step"], results["review"]
    out = []

    inbox_b, inbox_s = m_big["inbox"], m_small["inbox"]
    plan = "; ".join(m_big.get("inbox_plan", []))
    text_ = (
        f"- **Inbox query.** At {int(big):,} open cases the inbox's SQL takes {_ms(inbox_b['sql_p50_ms'])} ms p50 "
        f"({_ms(inbox_s['sql_p50_ms'])} ms at {int(small):,}). SQLite's plan: `{plan}`. "
    )
    if "ix_human_task_inbox_" in plan:
        page_b, page_s = m_big.get("inbox_page", {}), m_small.get("inbox_page", {})
        text_ += (
            "The query (migration 0018, `services.tasks._inbox_parts`) is a union of parts - 'assigned to me' on "
            "`ix_human_task_inbox_assigned (area_id, assignee_id, due_date, id) WHERE state = 'ready' AND "
            "assignee_id IS NOT NULL` and "
            "'unclaimed for role R' per role on `ix_human_task_inbox_unclaimed (area_id, role, due_date, id) WHERE "
            "state = 'ready' AND assignee_id IS NULL`, each once for dated and once for undated tasks - each walking "
            "its index in the page's order and stopping at the page's end; only the few candidates are sorted. "
            f"An equal page of {page_b.get('tasks_returned', '?')} tasks: {_ms(page_s.get('p50_ms', float('nan')))} "
            f"ms p50 at {int(small):,} and {_ms(page_b.get('p50_ms', float('nan')))} ms at {int(big):,} (SQL "
            f"{_ms(page_s.get('sql_p50_ms', float('nan')))} and {_ms(page_b.get('sql_p50_ms', float('nan')))} ms). "
            "Before it, the query read every ready task of the area through `ix_human_task_ready_inbox` (area_id "
            "prefix only, the OR between the two kinds of task) and sorted them in a temporary B-tree."
        )
    elif "ix_human_task_ready_inbox" in plan:
        text_ += (
            "It reads the partial index `ix_human_task_ready_inbox (area_id, role, assignee_id, due_date) WHERE "
            "state = 'ready'` (migration 0004), so only the area's ready tasks are visited - "
            f"{d_big['northshire_ready']:,} of northshire's {d_big['northshire_human_tasks']:,} task rows; the OR "
            "between 'assigned to me' and 'unclaimed for one of my roles' keeps SQLite to the `area_id` prefix. "
            "Before migration 0004 the index was `(area_id, role, state, due_date)` and every task the area ever "
            "had was read: 15.1 ms SQL p50 and 34.6 ms request p50 at 100,000 cases (run at commit 88b0ac2)."
        )
    out.append(text_)

    python_b = inbox_b["p50_ms"] - inbox_b["sql_p50_ms"]
    python_s = inbox_s["p50_ms"] - inbox_s["sql_p50_ms"]
    extra = inbox_b["tasks_returned"] - inbox_s["tasks_returned"]
    per_task = f" - about {(python_b - python_s) / extra * 1000:.0f} us per extra task returned" if extra > 0 else ""
    floor = m_big.get("floor", {})
    out.append(
        f"- **The rest of the inbox request is Python, per task returned.** Outside SQL the request takes "
        f"{_ms(python_b)} ms p50 for {inbox_b['tasks_returned']} tasks at {int(big):,} and {_ms(python_s)} ms for "
        f"{inbox_s['tasks_returned']} at {int(small):,}{per_task} (a bare `GET /healthz` on the same server: "
        f"{_ms(floor.get('p50_ms', float('nan')))} ms). A profile shows ORM loading of whole `HumanTask` and "
        "`MappaCase` rows (plus `Area`, joined eagerly through `MappaCase.area`), two lazy-load checks per task "
        "(`assignee`, `completed_by`; no SQL when empty) and `task_json`'s two `url_for` calls per task. Loading "
        "only the columns the list shows (`case_reference` needs one column of `mappa_case`) and formatting the "
        "links from one prefix would cut most of it; the page size (200) bounds it. There is no N+1: "
        f"{inbox_b['statements']} statements per request at either size."
    )

    if "complete_http" in m_big:
        c = m_big["complete_http"]
        raw = step["raw_engine"]["total"]
        svc = step.get("complete_service", {})
        share = raw["p50_ms"] / c["p50_ms"] * 100
        text_ = (
            f"- **Task completion: the engine is {share:.0f} % of the request.** HTTP p50 {_ms(c['p50_ms'])} ms, "
            f"the same step in-process {_ms(svc.get('p50_ms', float('nan')))} ms, raw SpiffWorkflow "
            f"{_ms(raw['p50_ms'])} ms (deserialise, complete, engine steps, serialise of a "
            f"{step['raw_engine']['state_bytes_in']:,}-byte state). The request runs {c['statements']} SQL "
            f"statements ({_ms(c['sql_p50_ms'])} ms in SQL): token, task, access log, lock, case, history, "
            "state, projections, and the inbox query for the case's next tasks in the response. SPIFFWORKFLOW.md "
            'sets "complete a task in under 7 ms": '
            f"{'met' if svc.get('p50_ms', 99) < 7 else 'missed'} in-process, "
            f"{'met' if c['p50_ms'] < 7 else 'missed'} over HTTP; the peer measured there takes 31.6 ms at 100 "
            "open instances "
            f"and 40.7 ms at 10,000. HTTP adds {_ms(c['p50_ms'] - svc.get('p50_ms', float('nan')))} ms to the "
            "in-process call: the token lookup, JSON in and out, the response's inbox query and werkzeug (a bare "
            f"`GET /healthz`: {_ms(m_big.get('floor', {}).get('p50_ms', float('nan')))} ms). "
        )
        if c.get("state_writes", 0) > 1:
            text_ += f"The serialised state is written {c['state_writes']} times per completion: " + STATE_TWICE
        out.append(text_)

    out.append(_referral_finding(m_small, m_big, int(small), int(big)))

    e, l_ = review["at_early"], review["at_last"]
    we, wl = review["window_early"], review["window_last"]
    span = review.get("span", 10)
    slope = review.get("slope_complete_ms_per_100", float("nan"))
    out.append(
        f"- **Long-lived cases stay flat.** Review period {review['early']} vs {review['periods']}: stored state "
        f"{e['state_bytes']:,} vs {l_['state_bytes']:,} bytes; completing the period {_ms(e['complete_ms'])} vs "
        f"{_ms(l_['complete_ms'])} ms (median of the first / last {span} periods {_ms(we['complete_ms'])} vs "
        f"{_ms(wl['complete_ms'])} ms, trend {slope:+.2f} ms per 100 periods); timer sweep {_ms(we['sweep_ms'])} vs "
        f"{_ms(wl['sweep_ms'])} ms; {e['statements']} vs {l_['statements']} SQL statements. Only the case's history "
        f"grows ({l_['events']:,} events and {l_['instances']} instances after {review['periods']} periods), and "
        "nothing on the completion path reads all of it."
    )
    out.append(
        f"- **Memory.** The benchmark process (app server thread, client, engine) peaked at "
        f"{results['max_rss_mib']:.0f} MiB RSS; the generator at {results['data'][big]['max_rss_mib']:.0f} MiB for "
        f"{int(big):,} cases (the peer in SPIFFWORKFLOW.md: 140-190 MiB per process)."
    )
    return "\n".join(out)


def _template_note(d: dict[str, Any], m: dict[str, Any]) -> str:
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(d.get("template_kinds", {}).items()))
    note = (
        f"Template cases made through the services by `services.demo.seed`: {d.get('template_cases', '?')} ({kinds})."
    )
    failures = [f"`services.demo.{f.strip()}`" for f in d.get("demo_seed_failures", [])]
    if failures:
        note += f" **The demo seeder failed at larger sizes** ({'; '.join(failures)}), so the sample is smaller."
    others = [t for t in d.get("case_tables_not_cloned", []) if t != "access_log"]
    if others:
        note += f" Other tables with rows per case, not cloned (only the templates have rows): {', '.join(others)}."
    if m.get("topped_up_referrals"):
        note += (
            f" Before the completion runs at this size, {m['topped_up_referrals']} fresh referrals were created over "
            "the API (untimed, after the inbox was measured) so that every timed completion had its own "
            "`check_referral` task."
        )
    return note


def _generator_doc() -> str:
    from bench import generate

    doc = generate.__doc__ or ""
    return doc.split("Method (also written into bench/RESULTS.md):", 1)[-1].strip()


RESULTS_TEMPLATE = """# MAPPA Flow benchmark results

Written by `make bench` (`{command}`) on {date}, code at {commit}.
Regenerate with `make bench`; the numbers below are from one run on the machine described. Tests never assert on
time: these numbers are reported, not judged.

## Machine

| | |
|---|---|
| CPUs (`nproc`) | {nproc} |
| CPU model (/proc/cpuinfo) | {cpu} |
| RAM | {ram} GiB |
| OS | {os} |
| Python | {python} |
| SQLite | {sqlite} |
| SpiffWorkflow / Flask / Werkzeug / SQLAlchemy | {spiff} / {flask} / {werkzeug} / {sqlalchemy} |
| PostgreSQL (server) | {postgres} |
| load average (1, 5, 15 min) at start / end of the run | {load_start} / {load_end} |

The machine is shared with other work (editors, test runs), which the load average hints at; p95 is the first number
such noise moves.

## Issue 13 speed targets, SQLite and PostgreSQL in one run

Same data sets, same requests, same app, one database then the other; p50 of wall-clock per request at the client
over loopback to one werkzeug thread. The equal inbox page is the coordinator's first page of N tasks (N the same at
both sizes, a full page at both). The sweep: {sweep_doc}

{targets}

{target_lines}

{pg_copy}

The inbox page's query plan (`?limit=N`, as `services.tasks.inbox_query` builds it):

{plans}

## Results

Latencies are wall-clock per request at the client (`time.perf_counter`) over loopback to a real werkzeug server
(one thread, HTTP/1.1 keep-alive) running the app on a SQLite file (WAL, the app's own settings), one request at a
time, {requests} timed requests per inbox size after 20 warm-up requests. p50 / p95 are nearest-rank percentiles.

{table}

One case taken through {periods} review periods (dedicated database; the clock is injected: each period's timer is
fired by `services.scheduler.sweep(now)` and the chair completes `meeting_review` over HTTP; {review_total:.0f} s for
all periods):

{rtable}

Peak RSS of the benchmark process (server thread, client, engine; the generator runs in its own process):
{rss:.0f} MiB. Whole run: {total:.0f} s.

## Findings

{findings}

## Data sets

{dtable}

{template_note}

"Open" means the case has a running process instance or a ready task; "closed" ones have neither. The inbox is
area-scoped, so what the coordinator's query touches grows with *northshire's* share (8 %) of the national data,
not with the national total.

## Method

Generator (`python -m bench.generate --cases N --db bench/out/bench-N.db`):

{generator_doc}

Benchmark (`python -m bench.run`):

- (a) `GET /api/v1/tasks` with the `coordinator`'s bearer token (default filter: ready tasks of their area and
  role or assigned to them, soonest due first, at most 200). Every request also writes its access-log row, as in
  production.
- (b) `POST /api/v1/tasks/{{id}}/complete` with `{{"data": {{"referral_complete": "yes"}}}}` on distinct ready
  `check_referral` tasks of northshire (cloned ones: their state and task ids are consistent, see above), at the
  largest size. The same step is then timed through `services.tasks.complete` + commit in-process, and in raw
  SpiffWorkflow: `workflows.Engine().load(model, state)` of one stored instance waiting at `check_referral`,
  `complete(...)` (which runs the engine steps to the next wait states) and `dump(wf)`, repeated on the same
  stored state.
- (c) a fresh database with the demo users; one case created over HTTP, referral and screening completed over
  HTTP (Level 2, first review 23 days on), then per period, as `tests/lifecycle/test_long_lived_case.py` does: the
  clock is set to 13 days before the review date, `services.scheduler.sweep(now)` fires the review timer, and the
  chair completes `meeting_review` over HTTP with the next review 8 weeks on. Each period is its own process
  instance ("continue as new"), so the stored state of period {periods} should be the size of period 10's.
- SQL statements are counted with a SQLAlchemy `before_cursor_execute` listener on the app's engine.
- Raw numbers (every period of (c), all percentiles) are in `bench/out/results.json` after a run.
"""
