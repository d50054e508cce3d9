"""MAPPA annual statistics: figures at 31 March come from the recorded case history, not today's state; outcomes
are recorded by the coordinator; every export format carries the same known figures (CSV and XLSX parsed back)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from openpyxl import load_workbook

from services.db import db
from services.models import AreaSetting, MappaCase, User
from services.tasks import complete
from tests.api.conftest import Api
from tests.factories import create_case, ready_task

YEAR = "2026-03-31"
LEVEL_NOT_SET = "Level not yet set"


def _screen(users: dict[str, User], case: MappaCase, outcome: str, clock: Any) -> None:
    complete(users["coordinator"], ready_task(case.id, "check_referral").id, {"referral_complete": "yes"})
    complete(users["coordinator"], ready_task(case.id, "screening_decision").id, {
        "screening_outcome": outcome, "screening_rationale": "r",
        "first_review_due": (clock.today() + timedelta(days=14)).isoformat()})
    db.session.commit()


def _at(clock: Any, instant: str) -> None:
    clock.set(datetime.fromisoformat(instant).replace(tzinfo=UTC))


def _build(users: dict[str, User], clock: Any) -> dict[str, MappaCase]:
    """February 2026: A (category 2) screened to Level 2, B (category 1) to Level 1, C (category 1) referred and
    not yet screened. April 2026: C screened to Level 3, D (category 2) referred. Today: 25 November 2026."""
    _at(clock, "2026-02-02T10:00:00")
    a = create_case(users["probation"], category=2, offender_name="Alan Able")
    _screen(users, a, "accepted_level_2", clock)
    b = create_case(users["probation"], category=1, offender_name="Bob Baker")
    _screen(users, b, "rejected_level_1", clock)
    _at(clock, "2026-03-01T10:00:00")
    c = create_case(users["probation"], category=1, offender_name="Carl Cole")
    _at(clock, "2026-04-10T10:00:00")
    _screen(users, c, "accepted_level_3", clock)
    d = create_case(users["probation"], category=2, offender_name="Dan Dyer")
    db.session.add(AreaSetting(area_id=users["coordinator"].area_id, key="area_population", value="200000"))
    db.session.commit()
    _at(clock, "2026-11-25T10:00:00")
    return {"a": a, "b": b, "c": c, "d": d}


def _tables(api: Api, year: str = YEAR) -> dict[str, dict[str, Any]]:
    response = api.get("coordinator", f"/api/v1/statistics/annual?year_ending={year}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["marking"] == "OFFICIAL-SENSITIVE" and body["year_ending"] == year
    assert body["year_starting"] == f"{int(year[:4]) - 1}-04-01"
    return {t["key"]: {"columns": t["columns"], "rows": {r[0]: r[1:] for r in t["rows"]}} for t in body["tables"]}


def test_counts_at_31_march_come_from_the_history_not_today(app: Flask, api: Api, users: dict[str, User],
                                                            clock: Any) -> None:
    cases = _build(users, clock)
    db.session.expire_all()
    assert db.session.get(MappaCase, cases["c"].id).level == 3  # type: ignore[union-attr]  # today: Level 3
    tables = _tables(api)
    category = tables["category"]["rows"]
    assert category["Category 1 - registered sexual offender"] == [2]
    assert category["Category 2 - violent or other sexual offender"] == [1]  # D did not exist yet
    assert category["Total"] == [3]
    level = tables["level"]["rows"]
    assert (level["Level 1"], level["Level 2"], level["Level 3"], level[LEVEL_NOT_SET]) == ([1], [1], [0], [1])
    cross = tables["category_level"]
    assert cross["columns"] == ["Category", "Level 1", "Level 2", "Level 3", LEVEL_NOT_SET, "Total"]
    assert cross["rows"]["Category 1 - registered sexual offender"] == [1, 0, 0, 1, 2]
    assert cross["rows"]["Total"] == [1, 1, 0, 1, 3]
    assert tables["rso_rate"]["rows"]["Registered sexual offenders per 100,000 population"] == [1.0]
    assert tables["level23"]["rows"] == {"Level 2": [1, 1], "Level 3": [0, 0]}
    later = _tables(api, "2027-03-31")  # the year C moved to Level 3 and D arrived (as of today's history)
    assert later["level"]["rows"]["Level 3"] == [1] and later["category"]["rows"]["Total"] == [4]
    assert later["level23"]["rows"]["Level 3"] == [1, 1]


def test_outcomes_recorded_by_the_coordinator_count_in_their_year_at_that_days_level(
        app: Flask, api: Api, users: dict[str, User], clock: Any) -> None:
    cases = _build(users, clock)
    url = "/api/v1/cases/{}/outcomes"
    for case, body in ((cases["a"], {"kind": "returned_to_custody", "on": "2026-03-10", "reason": "licence_breach"}),
                       (cases["b"], {"kind": "notification_breach", "on": "2026-02-20"}),
                       (cases["c"], {"kind": "serious_further_offence", "on": "2026-03-20"}),  # not yet levelled
                       (cases["c"], {"kind": "serious_case_review", "on": "2026-04-20"})):  # next year
        response = api.post("coordinator", url.format(case.id), json=body)
        assert response.status_code == 201, response.get_data(as_text=True)
    kinds = [e["kind"] for e in api.get("coordinator", f"/api/v1/cases/{cases['c'].id}/history").get_json()["events"]]
    assert "serious_further_offence" in kinds
    refused = api.post("coordinator", url.format(cases["a"].id), json={"kind": "returned_to_custody",
                                                                        "on": "2026-12-01"})
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.get_json()["error"]["errors"]}
    assert fields == {"on", "reason"}
    assert api.post("housing", url.format(cases["a"].id), json={"kind": "notification_breach",
                                                                 "on": "2026-01-01"}).status_code == 403
    rows = _tables(api)["outcomes"]["rows"]  # columns: Level 1, Level 2, Level 3, not yet set, Total
    assert rows["Returned to custody"] == [0, 1, 0, 0, 1]
    assert rows["Returned to custody: breach of licence"] == [0, 1, 0, 0, 1]
    assert rows["Returned to custody: further offence"] == [0, 0, 0, 0, 0]
    assert rows["Cautioned or convicted for breach of notification requirements"] == [1, 0, 0, 0, 1]
    assert rows["Charged with a serious further offence"] == [0, 0, 0, 1, 1]
    assert rows["MAPPA serious case review commissioned"] == [0, 0, 0, 0, 0]


def test_exports_carry_the_same_figures(app: Flask, api: Api, users: dict[str, User], clock: Any) -> None:
    _build(users, clock)
    base = f"/api/v1/statistics/annual?year_ending={YEAR}&format="
    response = api.get("manager", base + "csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert lines[0] == ["OFFICIAL-SENSITIVE"]
    start = lines.index(["Table 2(b): MAPPA offenders by level of management at 31 March"])
    assert lines[start + 1] == ["Level", "Offenders"]
    assert lines[start + 2:start + 7] == [["Level 1", "1"], ["Level 2", "1"], ["Level 3", "0"],
                                         [LEVEL_NOT_SET, "1"], ["Total", "3"]]
    assert "Carl Cole" not in response.get_data(as_text=True)

    response = api.get("manager", base + "xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book["About"]["A1"].value == "OFFICIAL-SENSITIVE"
    sheet = [list(row) for row in book["category_level"].iter_rows(values_only=True)]
    assert sheet[1] == ["Category", "Level 1", "Level 2", "Level 3", LEVEL_NOT_SET, "Total"]
    assert sheet[2] == ["Category 1 - registered sexual offender", 1, 0, 0, 1, 2]
    assert sheet[-1] == ["Total", 1, 1, 0, 1, 3]
    rate = {row[0]: row[1] for row in book["rso_rate"].iter_rows(min_row=3, values_only=True)}
    assert rate["Registered sexual offenders per 100,000 population"] == 1.0

    response = api.get("manager", base + "pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")


def test_bad_parameters_are_422_and_only_coordinators_and_managers_export(app: Flask, api: Api,
                                                                          users: dict[str, User]) -> None:
    for query, field in (("year_ending=2026-04-30", "year_ending"), ("year_ending=nonsense", "year_ending"),
                         ("year_ending=2031-03-31", "year_ending"), ("format=docx", "format"),
                         ("colour=red", "colour")):
        response = api.get("coordinator", f"/api/v1/statistics/annual?{query}")
        assert response.status_code == 422, query
        assert [e["field"] for e in response.get_json()["error"]["errors"]] == [field]
    assert api.get("chair", "/api/v1/statistics/annual").status_code == 403
    assert api.get("probation", "/api/v1/statistics/annual").status_code == 403
    south = api.get("south_coordinator", f"/api/v1/statistics/annual?year_ending={YEAR}").get_json()
    assert {t["key"]: t["rows"] for t in south["tables"]}["category"][-1] == ["Total", 0]


def test_a_case_transferred_after_31_march_counts_where_it_was_managed_that_day(app: Flask, api: Api,
                                                                                users: dict[str, User],
                                                                                clock: Any) -> None:
    """A (category 2, Level 2) was Northshire's on 31 March 2026 and moved to Southmoor on 10 April 2026: the year
    ending 31 March 2026 counts it in Northshire only; the next year in Southmoor only."""
    _at(clock, "2026-02-02T10:00:00")
    a = create_case(users["probation"], category=2, offender_name="Alan Able")
    _screen(users, a, "accepted_level_2", clock)
    _at(clock, "2026-04-10T10:00:00")
    moved = api.post("coordinator", f"/api/v1/cases/{a.id}/transfer", json={"to_area": "southmoor",
                                                                             "reason": "Moved to a hostel there"})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    _at(clock, "2026-11-25T10:00:00")

    def totals(who: str, year: str) -> tuple[Any, Any]:
        body = api.get(who, f"/api/v1/statistics/annual?year_ending={year}").get_json()
        tables = {t["key"]: {r[0]: r[1:] for r in t["rows"]} for t in body["tables"]}
        return tables["category"]["Total"], tables["level"]["Level 2"]

    assert totals("coordinator", YEAR) == ([1], [1])
    assert totals("south_coordinator", YEAR) == ([0], [0])
    assert totals("coordinator", "2027-03-31")[0] == [0]
    assert totals("south_coordinator", "2027-03-31")[0] == [1]


def _transferred_case(api: Api, users: dict[str, User], clock: Any) -> MappaCase:
    """A (category 2) screened to Level 2 in Northshire on 2 February 2026, moved to Southmoor on 10 April 2026."""
    _at(clock, "2026-02-02T10:00:00")
    a = create_case(users["probation"], category=2, offender_name="Alan Able")
    _screen(users, a, "accepted_level_2", clock)
    _at(clock, "2026-03-12T10:00:00")
    recorded = api.post("coordinator", f"/api/v1/cases/{a.id}/outcomes",
                        json={"kind": "returned_to_custody", "on": "2026-03-10", "reason": "licence_breach"})
    assert recorded.status_code == 201, recorded.get_data(as_text=True)
    _at(clock, "2026-04-10T10:00:00")
    moved = api.post("coordinator", f"/api/v1/cases/{a.id}/transfer", json={"to_area": "southmoor",
                                                                             "reason": "Moved to a hostel there"})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    return a


def _table(api: Api, who: str, year: str, key: str, path: str = "/api/v1/statistics/annual") -> dict[str, Any]:
    response = api.get(who, f"{path}?year_ending={year}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return next({r[0]: r[1:] for r in t["rows"]} for t in response.get_json()["tables"] if t["key"] == key)


def test_an_outcome_counts_in_the_area_that_managed_the_case_the_day_it_happened(app: Flask, api: Api,
                                                                                   users: dict[str, User],
                                                                                   clock: Any) -> None:
    """A returned to custody on 10 March 2026 (Northshire's case then), moved to Southmoor on 10 April 2026;
    Southmoor records a breach of 5 April (still Northshire's case that day) and one of 1 May (Southmoor's): each
    counts in the area that managed the case the day it happened, whoever recorded it and wherever the case is now."""
    a = _transferred_case(api, users, clock)
    _at(clock, "2026-05-04T10:00:00")
    for on in ("2026-04-05", "2026-05-01"):
        recorded = api.post("south_coordinator", f"/api/v1/cases/{a.id}/outcomes",
                            json={"kind": "notification_breach", "on": on})
        assert recorded.status_code == 201, recorded.get_data(as_text=True)
    _at(clock, "2026-11-25T10:00:00")
    custody, breach = "Returned to custody", "Cautioned or convicted for breach of notification requirements"
    north, south = _table(api, "coordinator", YEAR, "outcomes"), _table(api, "south_coordinator", YEAR, "outcomes")
    assert (north[custody], south[custody]) == ([0, 1, 0, 0, 1], [0, 0, 0, 0, 0])
    assert _table(api, "lay_adviser", YEAR, "outcomes", "/api/v1/smb/pack") == north  # the SMB pack: same figures
    north, south = (_table(api, who, "2027-03-31", "outcomes") for who in ("coordinator", "south_coordinator"))
    assert (north[custody][-1], south[custody][-1]) == (0, 0)
    assert (north[breach][-1], south[breach][-1]) == (1, 1)



def test_a_move_to_a_level_counts_in_the_area_that_managed_the_case_then(app: Flask, api: Api,
                                                                        users: dict[str, User], clock: Any) -> None:
    """A moved to Level 2 in Northshire on 2 February 2026 and was transferred to Southmoor on 10 April 2026: the
    year ending 31 March 2026 counts the move to Level 2 ("Moved to this level in the year") in Northshire, not in
    Southmoor."""
    _transferred_case(api, users, clock)
    _at(clock, "2026-11-25T10:00:00")
    for who, expected in (("coordinator", [1, 1]), ("south_coordinator", [0, 0])):  # at 31 March, moved in the year
        assert _table(api, who, YEAR, "level23")["Level 2"] == expected, who
    assert _table(api, "lay_adviser", YEAR, "level23", "/api/v1/smb/pack")["Level 2"] == [1, 1]  # the SMB pack
