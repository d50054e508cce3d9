"""People claiming, handing on and completing the same task at the same moment (issue 9, hole 7): exactly one claim
wins and the others get 409 naming the holder; hand-overs never lose one another; of two completions one advances
the process, once. Real parallel requests, through the API and the pages: see tests.platform.racing."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from services.db import db
from services.models import CaseEvent, HumanTask, ProcessInstance, User
from tests.api.conftest import Api
from tests.factories import create_case, csrf_token, ready_task, sign_in
from tests.platform.racing import RACERS, colleagues, race

SUCCESS = (200, 302)  # the API answers 200, a page redirects


def _events(case_id: int, kind: str) -> list[CaseEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
                                   .order_by(CaseEvent.id)))


def _page_client(app: Flask, username: str, task_id: int) -> tuple[FlaskClient, str]:
    client = app.test_client()
    sign_in(client, username)
    return client, csrf_token(client, f"/tasks/{task_id}")


def _tokens(api: Api, usernames: list[str]) -> None:
    for username in usernames:  # API tokens are made before the race: a racing thread has no app context
        api.headers(username)


def _message(response: TestResponse) -> str:
    if response.is_json:
        return str(response.get_json()["error"]["message"])
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_people_claiming_one_task_at_once_one_wins(app: Flask, api: Api) -> None:
    """Half claim through the API, half through the task page."""
    case = create_case(api.users["probation"])
    task_id = ready_task(case.id, "check_referral").id
    claimers = colleagues(api.users, "coordinator", RACERS)
    through_api, through_pages = claimers[::2], claimers[1::2]
    pages = {name: _page_client(app, name, task_id) for name in through_pages}
    _tokens(api, through_api)
    calls = [lambda n=name: api.post(n, f"/api/v1/tasks/{task_id}/claim") for name in through_api]
    calls += [lambda c=pages[n][0], t=pages[n][1]: c.post(f"/tasks/{task_id}/claim", data={"csrf_token": t})
              for n in through_pages]

    results = dict(zip(through_api + through_pages, race(calls), strict=True))

    assert sorted(r.status_code in SUCCESS for r in results.values()) == [False] * (RACERS - 1) + [True]
    [winner] = [name for name, r in results.items() if r.status_code in SUCCESS]
    holder = api.users[winner].display_name
    for loser in (r for r in results.values() if r.status_code not in SUCCESS):
        assert loser.status_code == 409 and f"This task is claimed by {holder}" in _message(loser)
    assert db.session.get(HumanTask, task_id).assignee_id == api.users[winner].id
    assert [e.actor_id for e in _events(case.id, "task_claimed")] == [api.users[winner].id]


def test_hand_overs_at_once_never_lose_one_another(api: Api) -> None:
    """Coordinators hand the same task to different colleagues: each hand-over that lands starts from the holder
    the one before it left (no two from 'nobody'); the others get 409 naming the holder."""
    case = create_case(api.users["probation"])
    task_id = ready_task(case.id, "check_referral").id
    people = colleagues(api.users, "coordinator", RACERS)
    targets = dict(zip(people, people[1:] + people[:1], strict=True))
    _tokens(api, people)

    results = race([lambda n=name: api.post(n, f"/api/v1/tasks/{task_id}/reassign",
                                             json={"assignee": targets[n], "reason": "Covering"})
                    for name in people])

    landed = [r for r in results if r.status_code == 200]
    assert landed and all(r.status_code == 409 and "claimed by" in _message(r)
                          for r in results if r.status_code != 200), [r.get_data(as_text=True) for r in results]
    handed = [(e.summary.split(" handed from ")[1].split(" to ")[0], e.detail["to"])
              for e in _events(case.id, "task_reassigned")]
    names = {u.username: u.display_name for u in api.users.values()}
    holders = ["nobody"] + [names[to] for _, to in handed]
    assert [before for before, _ in handed] == holders[:-1]  # each from the holder the last one left
    assert len(handed) == len(landed)
    assert db.session.get(HumanTask, task_id).assignee.username == handed[-1][1]


def test_two_completions_at_once_advance_the_process_once(app: Flask, api: Api) -> None:
    """One coordinator completes the task on its page, another through the API, at the same moment."""
    case = create_case(api.users["probation"])
    task = ready_task(case.id, "check_referral")
    task_id, instance_id = task.id, task.instance_id
    version = db.session.scalar(select(ProcessInstance.version).where(ProcessInstance.id == instance_id))
    colleagues(api.users, "coordinator", 2)
    page, token = _page_client(app, "coordinator", task_id)
    _tokens(api, ["coordinator2"])
    answers = {"referral_complete": "yes"}

    on_page, through_api = race([
        lambda: page.post(f"/tasks/{task_id}", data={"csrf_token": token, **answers}),
        lambda: api.post("coordinator2", f"/api/v1/tasks/{task_id}/complete", json={"data": answers}),
    ])

    assert sorted((on_page.status_code == 302, through_api.status_code == 200)) == [False, True]
    loser, winner = (through_api, "coordinator") if on_page.status_code == 302 else (on_page, "coordinator2")
    winner_user: User = api.users[winner]
    assert loser.status_code == 409 and f"already completed by {winner_user.display_name}" in _message(loser)
    assert [e.actor_id for e in _events(case.id, "task_completed")] == [winner_user.id]
    done = db.session.get(HumanTask, task_id)
    assert (done.state, done.completed_by_id) == ("completed", winner_user.id)
    assert db.session.get(ProcessInstance, instance_id).version == version + 1
    assert db.session.scalar(select(func.count()).where(HumanTask.case_id == case.id, HumanTask.state == "ready",
                                                        HumanTask.bpmn_id == "screening_decision")) == 1
