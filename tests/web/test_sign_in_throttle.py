"""Brute-force protection (issue 9, hole 8): an account locks after 10 failed sign-ins in a row, a client address is
throttled after many failures across accounts, the counts are in the database (parallel attempts cannot slip past
them), the messages never tell whether a username exists, and a coordinator or manager unlocks their area's
accounts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from services import settings_admin
from services.db import db
from services.models import AccessLog, SignInCounter
from tests.conftest import TEST_NOW
from tests.factories import TEST_PASSWORD, csrf_token, seeded, sign_in
from tests.pages import check_page, get_page

WRONG = "The username or password is not right"
LOCKED = "There have been too many failed attempts to sign in with this username"
THROTTLED = "There have been too many failed attempts to sign in from your network. Try again in 15 minutes"


def attempt(client: FlaskClient, username: str, password: str = "not the password",  # noqa: S107 - a wrong guess
            address: str = "127.0.0.1") -> TestResponse:
    token = csrf_token(client)
    return client.post("/sign-in", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def answer(response: TestResponse) -> tuple[int, str]:
    """The status and the error shown (checked as a page: error summary, one h1, CSRF...)."""
    if response.status_code == 302:
        return 302, ""
    page = check_page(response)
    [message] = page.xpath('//div[contains(@class, "govuk-error-summary")]//li')
    return response.status_code, " ".join(message.text_content().split())


def events(event: str) -> list[AccessLog]:
    db.session.expire_all()
    return list(db.session.scalars(select(AccessLog).where(AccessLog.event == event).order_by(AccessLog.id)))


def lock(client: FlaskClient, username: str, address: str = "127.0.0.1") -> None:
    for _ in range(10):
        assert answer(attempt(client, username, address=address)) == (200, WRONG)


def test_thirty_wrong_passwords_then_the_right_one_is_refused(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    answers = [answer(attempt(client, "probation")) for _ in range(30)]
    assert answers[:10] == [(200, WRONG)] * 10
    assert all(status == 429 and message.startswith(LOCKED) for status, message in answers[10:])
    status, message = answer(attempt(client, "probation", TEST_PASSWORD))
    assert status == 429 and "ask your MAPPA coordinator or manager to unlock your account" in message
    failed = events("sign_in_failed")
    assert len(failed) == 10 and {row.user_id for row in failed} == {users["probation"].id}  # 10 password checks
    [locked] = events("account_locked")
    assert locked.user_id == users["probation"].id and "after 10 failed sign-ins, from 127.0.0.1" in locked.detail
    assert len(events("sign_in_refused")) == 21


def test_an_unknown_username_gets_exactly_the_same_answers(app: Flask, client: FlaskClient) -> None:
    seeded()
    known = [answer(attempt(client, "probation")) for _ in range(12)]
    unknown = [answer(attempt(client, "probatoin")) for _ in range(12)]
    assert unknown == known
    assert [row.user_id for row in events("account_locked")][1] is None


def test_a_right_password_ends_the_run_of_failures(app: Flask, client: FlaskClient) -> None:
    seeded()
    for _ in range(9):
        assert answer(attempt(client, "police")) == (200, WRONG)
    assert attempt(app.test_client(), "police", TEST_PASSWORD).status_code == 302
    assert answer(attempt(client, "police")) == (200, WRONG)
    db.session.expire_all()
    assert db.session.get(SignInCounter, "account:police").failures == 1  # a new run: nine more before the lock
    assert events("account_locked") == []


def test_the_lock_opens_after_the_area_setting(app: Flask, client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    users = seeded()
    settings_admin.update_settings(users["coordinator"], {"sign_in_lockout_minutes": "60"})
    db.session.commit()
    lock(client, "probation")
    clock.set(TEST_NOW + timedelta(minutes=59))
    assert answer(attempt(client, "probation", TEST_PASSWORD))[0] == 429
    clock.set(TEST_NOW + timedelta(minutes=60))
    assert attempt(client, "probation", TEST_PASSWORD).status_code == 302
    lock(app.test_client(), "probation")  # a new run of ten


def test_coordinator_unlocks_an_account_of_their_area(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    lock(app.test_client(), "probation")
    police = app.test_client()
    sign_in(police, "police")
    assert police.get("/admin/accounts").status_code == 403
    south = app.test_client()
    sign_in(south, "south_coordinator")
    assert "Probation" not in get_page(south, "/admin/accounts").text_content()
    refused = south.post(f"/admin/accounts/{users['probation'].id}/unlock",
                         data={"csrf_token": csrf_token(south, "/admin/accounts")})
    assert refused.status_code == 404

    sign_in(client, "manager")
    [row] = get_page(client, "/admin/accounts").xpath('//table[@id="locked-accounts"]/tbody/tr')
    assert "probation" in row.text_content()
    response = client.post(f"/admin/accounts/{users['probation'].id}/unlock",
                           data={"csrf_token": csrf_token(client, "/admin/accounts")})
    assert response.status_code == 302
    page = get_page(client, "/admin/accounts")
    assert page.get_element_by_id("no-locked-accounts") is not None
    assert "can sign in again" in page.text_content()
    assert attempt(app.test_client(), "probation", TEST_PASSWORD).status_code == 302
    [unlocked] = events("account_unlocked")
    assert (unlocked.user_id, unlocked.detail) == (users["manager"].id, "probation")


def test_a_client_address_is_throttled_across_accounts(app: Flask, client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    seeded()
    for n in range(5):
        assert answer(attempt(client, f"user{n}", address="10.1.1.1")) == (200, WRONG)
    lock(client, "user9", "10.1.1.1")  # attempts at a locked account count against the address too (no hashing)
    for _ in range(35):
        assert answer(attempt(client, "user9", address="10.1.1.1"))[0] == 429
    assert answer(attempt(client, "probation", TEST_PASSWORD, address="10.1.1.1")) == (429, THROTTLED)
    assert attempt(client, "probation", TEST_PASSWORD, address="10.2.2.2").status_code == 302
    [throttled] = events("client_address_throttled")
    assert throttled.detail == "10.1.1.1 after 50 failed sign-ins"
    clock.set(TEST_NOW + timedelta(minutes=15))
    assert attempt(app.test_client(), "probation", TEST_PASSWORD, address="10.1.1.1").status_code == 302


def test_right_passwords_do_not_use_up_the_address(app: Flask, client: FlaskClient) -> None:
    seeded()
    attempt(client, "probation", address="10.3.3.3")
    assert attempt(client, "probation", TEST_PASSWORD, address="10.3.3.3").status_code == 302
    db.session.expire_all()
    assert db.session.get(SignInCounter, "address:10.3.3.3").failures == 1
    assert db.session.get(SignInCounter, "account:probation").failures == 0


RACERS = 16


def test_parallel_wrong_passwords_get_ten_checks_at_most(app: Flask) -> None:
    """Real parallel requests (PostgreSQL in CI): the count is taken before the password is checked."""
    users = seeded()
    clients = [app.test_client() for _ in range(RACERS)]
    tokens = [csrf_token(c) for c in clients]
    db.session.commit()
    start = threading.Barrier(RACERS)

    def race(n: int) -> int:
        start.wait(timeout=10)
        data = {"username": "probation", "password": f"guess {n}", "csrf_token": tokens[n]}
        return clients[n].post("/sign-in", data=data).status_code

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        statuses = sorted(pool.map(race, range(RACERS)))
    assert statuses == [200] * 10 + [429] * (RACERS - 10)
    assert attempt(app.test_client(), "probation", TEST_PASSWORD).status_code == 429
    db.session.expire_all()
    checked = db.session.scalar(select(func.count(AccessLog.id)).where(AccessLog.event == "sign_in_failed",
                                                                        AccessLog.user_id == users["probation"].id))
    assert checked == 10
