"""Small factories for test data. Passwords here are test fixtures, never demo or production ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from services import disclosures
from services.auth import create_token, hash_password
from services.catalogue import sync_shipped_models
from services.clock import LONDON, current_clock
from services.db import db
from services.demo import AREAS, USERS
from services.meetings import meeting_day, open_meeting
from services.models import Area, HumanTask, MappaCase, MappMeeting, Minutes, User
from services.scheduler import sweep

TEST_PASSWORD = "correct horse battery staple"
_HASH_CACHE: dict[str, str] = {}


def make_area(code: str, name: str | None = None) -> Area:
    area = db.session.scalars(select(Area).where(Area.code == code)).first()
    if area is None:
        area = Area(code=code, name=name or code.capitalize())
        db.session.add(area)
        db.session.flush()
    return area


def make_user(username: str, roles: set[str], area: Area, agency: str = "Probation",
              display_name: str | None = None) -> User:
    if TEST_PASSWORD not in _HASH_CACHE:
        _HASH_CACHE[TEST_PASSWORD] = hash_password(TEST_PASSWORD)
    user = User(username=username, display_name=display_name or username.replace("_", " ").title(), agency=agency,
                area_id=area.id, password_hash=_HASH_CACHE[TEST_PASSWORD], active=True)
    user.roles = roles
    db.session.add(user)
    db.session.flush()
    return user


def seeded() -> dict[str, User]:
    """The demo areas and users (with the test password) and the shipped process models."""
    sync_shipped_models()
    areas = {code: make_area(code, name) for code, name in AREAS.items()}
    users = {u[0]: make_user(u[0], u[3], areas[u[4]], agency=u[2], display_name=u[1]) for u in USERS}
    db.session.commit()
    return users


def api_token_for(user: User) -> str:
    _row, token = create_token(user, "tests")
    db.session.commit()
    return token


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def referral_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "offender_name": "John Smith", "date_of_birth": "1980-04-01", "category": 1, "lead_agency": "Probation",
        "level_requested": 2, "custody": False, "rosh": "high",
        "referral_reason": "Escalating behaviour towards ex-partner.",
    }
    data.update(overrides)
    return data


def create_case(referrer: User, **overrides: Any) -> MappaCase:
    from services.cases import create_referral

    case = create_referral(referrer, referral_data(**overrides))
    db.session.commit()
    return case


def ready_task(case_id: int, bpmn_id: str) -> HumanTask:
    db.session.expire_all()
    return db.session.scalars(select(HumanTask).where(
        HumanTask.case_id == case_id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "ready")).one()


def on_its_day(meeting_id: int, at: datetime | None = None) -> MappMeeting:
    """The meeting's day has come: the app's clock moves to its start (or to ``at``, a time on its day) and the
    scheduler has swept (the review timers due by then have fired, as they would have in the fortnight since the
    test's start). A meeting is opened, and its minutes submitted and approved, on or after its day, never before
    (services.meetings)."""
    meeting = db.session.get(MappMeeting, meeting_id)
    assert meeting is not None
    instant = at or meeting.starts_at
    assert meeting_day(meeting) == instant.astimezone(LONDON).date(), "a time on the meeting's day"
    db.session.commit()
    current_clock().set(instant)
    sweep(instant)
    db.session.expire_all()
    return meeting


def hold(meeting_id: int, at: datetime | None = None) -> MappMeeting:
    """The chair opens the meeting on its day (``on_its_day``): the MAPPA D statement read, its minutes started."""
    meeting = on_its_day(meeting_id, at)
    open_meeting(meeting.chair, meeting_id)
    db.session.commit()
    return meeting


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    import re

    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = TEST_PASSWORD) -> None:
    token = csrf_token(client)
    response = client.post("/sign-in", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


NOT_DISCLOSED = {"decision": "not_disclose", "reason_not_disclosed": "Not necessary: the risk is managed by the plan."}


def considered_disclosure(case_id: int) -> None:
    """Each MAPP meeting review of the case without a disclosure decision decides (its chair records) not to disclose:
    minutes of a Level 2 or 3 review are not approved without one (services.disclosures.approval_errors)."""
    for minutes in db.session.scalars(select(Minutes).where(Minutes.case_id == case_id).order_by(Minutes.id)).all():
        if not disclosures.decisions_at(minutes):
            disclosures.record_decision(minutes.meeting.chair, case_id, NOT_DISCLOSED, minutes.id)
    db.session.commit()
