"""Coordinators transferring the same case, or changing the same area setting, at the same moment: one transfer
moves the case and the others get 409, nothing runs twice; every setting change gets an answer, no 500. Real
parallel requests: see tests.platform.racing."""

from __future__ import annotations

from sqlalchemy import func, select

from services.db import db
from services.models import Area, AreaSetting, CaseEvent, HumanTask, ProcessInstance
from tests.api.conftest import Api
from tests.factories import create_case
from tests.platform.racing import RACERS, colleagues, race

MOVED = "This case was moved to Southmoor by someone else at the same moment"


def test_transfers_at_once_move_the_case_once(api: Api) -> None:
    case_id = create_case(api.users["probation"]).id
    coordinators = colleagues(api.users, "coordinator", RACERS)
    headers = {name: api.headers(name) for name in coordinators}
    body = {"to_area": "southmoor", "reason": "Moved to approved premises in Southmoor."}

    results = race([lambda n=name: api.client.post(f"/api/v1/cases/{case_id}/transfer", json=body, headers=headers[n])
                    for name in coordinators])

    assert sorted(r.status_code for r in results)[0] == 200, [r.get_json() for r in results]
    losers = [r for r in results if r.status_code != 200]
    assert len(losers) == RACERS - 1 and all(  # 404 for those who looked after it had gone (SQLite: all of them)
        (r.status_code, r.get_json()["error"]["message"]) in {(409, MOVED), (404, "case not found")} for r in losers
    ), [r.get_json() for r in results]
    db.session.expire_all()
    southmoor = db.session.scalars(select(Area).where(Area.code == "southmoor")).one()
    assert db.session.scalar(select(func.count()).where(CaseEvent.case_id == case_id,
                                                        CaseEvent.kind == "case_transferred")) == 1
    running = db.session.scalars(select(ProcessInstance.phase).where(ProcessInstance.case_id == case_id,
                                                                     ProcessInstance.status == "running")).all()
    assert running == ["transfer"]
    ready = db.session.scalars(select(HumanTask.area_id).where(HumanTask.case_id == case_id,
                                                               HumanTask.state == "ready")).all()
    assert set(ready) == {southmoor.id}


def test_coordinators_setting_the_same_setting_at_once_all_get_an_answer(api: Api) -> None:
    """A setting the area has never changed: its row is added once, and the value is one of those sent."""
    coordinators = colleagues(api.users, "coordinator", RACERS)
    sent = {name: 10 + n for n, name in enumerate(coordinators)}
    headers = {name: api.headers(name) for name in coordinators}

    results = race([lambda n=name: api.client.put("/api/v1/settings", headers=headers[n],
                                                  json={"settings": {"level2_review_weeks": sent[n]}})
                    for name in coordinators])

    assert [r.status_code for r in results] == [200] * RACERS, [r.get_data(as_text=True)[:200] for r in results]
    db.session.expire_all()
    rows = db.session.scalars(select(AreaSetting.value).where(AreaSetting.key == "level2_review_weeks")).all()
    assert len(rows) == 1 and int(rows[0]) in sent.values()
