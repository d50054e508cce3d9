"""Injectable clock: production reads the system clock; tests and demos set a fixed instant."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock:
    """System clock unless frozen. Held by the app (``app.extensions['mappa.clock']``)."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self._fixed = fixed

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(LONDON).date()

    def set(self, instant: datetime | None) -> None:
        if instant is not None and instant.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware instant")
        self._fixed = instant.astimezone(UTC) if instant else None

    @property
    def frozen(self) -> bool:
        return self._fixed is not None


def current_clock() -> Clock:
    from flask import current_app

    clock: Clock = current_app.extensions["mappa.clock"]
    return clock


def now() -> datetime:
    return current_clock().now()


def today() -> date:
    return current_clock().today()
