"""A real SMTP server (aiosmtpd) on a free local port, started and stopped by the tests; people with addresses."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from services.db import db
from services.models import User
from tests.api.conftest import api, users  # noqa: F401 - shared fixtures: demo users, JSON client with tokens


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Collect:
    def __init__(self, received: list[EmailMessage], refused: set[str]) -> None:
        self.received = received
        self.refused = refused

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refused:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(cast(EmailMessage, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """The app's SMTP server. ``stop()`` makes it unavailable (connections refused) until ``start()``."""

    def __init__(self, app: Flask) -> None:
        self.port = _free_port()
        self.received: list[EmailMessage] = []
        self.refused: set[str] = set()  # addresses the server refuses (550)
        self._controller: Controller | None = None
        app.config.update(MAPPA_SMTP_HOST="127.0.0.1", MAPPA_SMTP_PORT=self.port, MAPPA_SMTP_FROM="mappa@example.test")

    def start(self) -> None:
        self._controller = Controller(_Collect(self.received, self.refused), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def subjects(self, to: str | None = None) -> list[str]:
        return sorted(str(m["Subject"]) for m in self.received if to is None or m["To"] == to)


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    server = SmtpServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def with_addresses(people: dict[str, User]) -> dict[str, User]:
    """Give every person an email address (username@example.test)."""
    for person in people.values():
        person.email = f"{person.username}@example.test"
    db.session.commit()
    return people
