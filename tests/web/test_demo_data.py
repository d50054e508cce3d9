"""`flask mappa seed-demo`: idempotent, passwords generated and printed, cases in every stage."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from services.db import db
from services.demo import USERS
from services.models import MappaCase, User


def test_seed_demo_twice(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["mappa", "seed-demo", "--cases", "15"])
    assert first.exit_code == 0, first.output
    passwords = {line.split()[0]: line.split()[1] for line in first.output.splitlines()[1:len(USERS) + 1]}
    assert set(passwords) == {u[0] for u in USERS}
    assert len(set(passwords.values())) == len(USERS)  # generated, not one shared demo password

    second = runner.invoke(args=["mappa", "seed-demo", "--cases", "15"])
    assert second.exit_code == 0 and "Cases created: 0; meetings scheduled: 0" in second.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(User.id))) == len(USERS)
    statuses = set(db.session.scalars(select(MappaCase.status)))
    expected = {"identified", "referred", "screening", "level 1", "level 2", "level 3", "exited", "not eligible"}
    assert expected <= statuses

    client = app.test_client()
    from tests.factories import csrf_token

    response = client.post("/sign-in", data={"username": "coordinator", "password": passwords["coordinator"],
                                             "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    inbox = client.get("/tasks").get_data(as_text=True)
    assert "Check referral is complete" in inbox and "Overdue" in inbox


def test_demo_meetings_show_the_whole_cycle(app: Flask) -> None:
    from services.models import MappMeeting, Minutes

    result = app.test_cli_runner().invoke(args=["mappa", "seed-demo", "--cases", "30"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    statuses = [m.status for m in db.session.scalars(select(MappMeeting).order_by(MappMeeting.starts_at))]
    assert statuses[:2] == ["held", "in progress"] and statuses.count("scheduled") == 6
    minutes = {m.status for m in db.session.scalars(select(Minutes))}
    assert {"approved", "draft"} <= minutes
    upcoming = db.session.scalars(select(MappMeeting).where(MappMeeting.status == "scheduled"))
    assert any(m.items for m in upcoming), "upcoming meetings have the cases due offered on their agendas"
