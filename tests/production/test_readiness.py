"""/healthz, /readyz, production refusals, the sweep lock, and a database that stops answering (issue 13)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import UnsafeConfiguration
from services import scheduler
from services.db import db
from services.sweep_lock import SweepLock
from tests.api.conftest import Api
from tests.conftest import PG_URL, TEST_NOW


def test_healthz_answers_without_the_database(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_reports_database_migrations_and_scheduler(app: Flask, client: FlaskClient) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["database"] == "ok" and ready.get_json()["migrations"] == "at head"
    assert ready.get_json()["scheduler"] == "no heartbeat yet"

    app.config["MAPPA_EXPECT_SCHEDULER"] = True  # production: no recent heartbeat means not ready
    assert client.get("/readyz").status_code == 503
    scheduler.beat()
    assert client.get("/readyz").status_code == 200
    app.extensions["mappa.clock"].set(TEST_NOW + timedelta(minutes=4))  # three missed sweeps and ten seconds
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.get_json()["scheduler"] == "last sweep 240s ago"


def test_a_sweep_while_another_process_holds_the_lock_does_nothing(app: Flask) -> None:
    other = SweepLock(db.engine)
    assert other.try_acquire()
    try:
        assert SweepLock(db.engine).try_acquire() is False
        assert scheduler.sweep().ran is False
    finally:
        other.release()
    assert scheduler.sweep().ran is True


@pytest.mark.parametrize(("environ", "refusal"), [
    ({}, "SECRET_KEY must be set"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY must be set"),
    ({"SECRET_KEY": "k" * 40, "MAPPA_ALLOW_CLOCK_OVERRIDE": "1"}, "MAPPA_ALLOW_CLOCK_OVERRIDE must be off"),
    ({"SECRET_KEY": "k" * 40, "MAPPA_SCHEDULER": "1"}, "web workers never sweep"),
    ({"SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite:///x.db"}, "DATABASE_URL must be PostgreSQL"),
])
def test_production_mode_refuses_unsafe_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, environ: dict[str, str], refusal: str
) -> None:
    for name in ("SECRET_KEY", "MAPPA_ALLOW_CLOCK_OVERRIDE", "MAPPA_SCHEDULER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAPPA_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(UnsafeConfiguration, match=refusal):
        create_app({"SQLALCHEMY_DATABASE_URI": environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1/test")})


@pytest.mark.skipif(not PG_URL, reason="production mode runs on PostgreSQL")
def test_production_mode_refuses_to_start_with_demo_users(
    app: Flask, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.headers("coordinator")  # the test's users carry the demo users' names
    monkeypatch.setenv("MAPPA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("MAPPA_SCHEDULER", raising=False)
    monkeypatch.delenv("MAPPA_ALLOW_CLOCK_OVERRIDE", raising=False)
    with pytest.raises(UnsafeConfiguration, match="demo users exist"):
        create_app({"SQLALCHEMY_DATABASE_URI": PG_URL})


class SwitchableProxy:
    """A TCP proxy in front of PostgreSQL: up, it forwards; silent, it drops the connections it had and accepts
    new ones without ever replying, as a database that hangs on restart would."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.up = target, True
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.open.append(client)  # silent: held open, never answered
            if self.up:
                upstream = socket.create_connection(self.target)
                self.open.append(upstream)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            return

    def go_silent(self) -> None:
        self.up = False
        self._close_open()

    def close(self) -> None:
        self.listener.close()
        self._close_open()

    def _close_open(self) -> None:
        for s in self.open:
            with contextlib.suppress(OSError):  # already closed by its peer
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self.open = []


@pytest.fixture
def proxied_app(app: Flask) -> Iterator[tuple[Flask, SwitchableProxy]]:
    assert PG_URL
    proxy = SwitchableProxy(("127.0.0.1", 5432))
    database = PG_URL.rsplit("/", 1)[1]
    other = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "MAPPA_ALLOW_CLOCK_OVERRIDE": True,
                        "SQLALCHEMY_DATABASE_URI": f"postgresql://postgres@127.0.0.1:{proxy.port}/{database}"})
    other.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] = 2
    yield other, proxy
    proxy.up = True
    with other.app_context():
        db.engine.dispose()
    proxy.close()


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL behind a proxy")
def test_a_silent_database_gives_503_quickly_and_the_service_recovers(
    app: Flask, api: Api, proxied_app: tuple[Flask, SwitchableProxy]
) -> None:
    other, proxy = proxied_app
    headers = api.headers("coordinator")
    db.session.commit()
    client = other.test_client()
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200

    proxy.go_silent()
    started = time.monotonic()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and time.monotonic() - started < 1.0, ready.get_json()
    assert client.get("/healthz").status_code == 200
    started = time.monotonic()
    down = client.get("/api/v1/tasks", headers=headers)
    assert down.status_code == 503, down.get_data(as_text=True)
    assert time.monotonic() - started < 5.0  # the connect timeout (2 s here), not a hang
    assert down.headers["Retry-After"] and "database" in down.get_json()["error"]["message"]

    proxy.up = True
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200  # a fresh connection, no restart
    # the check that hung holds the one readiness thread until its connect timeout; each /readyz waits 0.8 s
    answers = [client.get("/readyz") for _ in range(8)]
    assert answers[-1].status_code == 200, [a.get_json() for a in answers]
