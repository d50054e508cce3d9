"""Injectable clock: production reads the system clock; tests and demos set a fixed instant.

Two layers, read in this order by ``now()``:
- ``as_of(instant)``: an instant for the current thread or task only (a context variable), used by the sweep for
  another moment (``flask mappa tick --now``) and by demo loading. Requests served meanwhile in other threads
  keep reading the app's clock.
- the app's ``Clock`` (``app.extensions['mappa.clock']``): the system clock, or an instant frozen by tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

_as_of: ContextVar[datetime | None] = ContextVar("mappa_as_of", default=None)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware instant")
    return instant.astimezone(UTC)


class Clock:
    """System clock unless frozen. Held by the app (``app.extensions['mappa.clock']``)."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self._fixed = fixed

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(LONDON).date()

    def set(self, instant: datetime | None) -> None:
        self._fixed = _aware(instant) if instant else None

    @property
    def frozen(self) -> bool:
        return self._fixed is not None


def current_clock() -> Clock:
    from flask import current_app

    clock: Clock = current_app.extensions["mappa.clock"]
    return clock


@contextlib.contextmanager
def as_of(instant: datetime) -> Iterator[None]:
    """Run the block as if it were ``instant``, in this thread (context) only; nested blocks restore the outer."""
    token = _as_of.set(_aware(instant))
    try:
        yield
    finally:
        _as_of.reset(token)


def overridden() -> datetime | None:
    """The instant set by ``as_of`` for this context, if any."""
    return _as_of.get()


def now() -> datetime:
    instant = _as_of.get()
    return instant if instant is not None else current_clock().now()


def today() -> date:
    return now().astimezone(LONDON).date()
