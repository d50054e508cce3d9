"""The engine's notion of "now".

SpiffWorkflow reads ``datetime.now(timezone.utc)`` inside its timer event definitions. To let the
application inject the clock (tests, ``flask mappa tick --now``) we swap the ``datetime`` name in that one
module for a subclass whose ``now()`` reads a context variable. Outside ``engine_time(...)`` it is the real
clock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

_now: ContextVar[datetime | None] = ContextVar("mappa_engine_now", default=None)


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _EngineDatetime:
        fixed = _now.get()
        value = fixed if fixed is not None else datetime.now(UTC)
        value = value.astimezone(tz) if tz is not None else value
        return cls.fromtimestamp(value.timestamp(), value.tzinfo)


_spiff_timer.datetime = _EngineDatetime


@contextlib.contextmanager
def engine_time(now: datetime) -> Iterator[None]:
    """Run engine code as if the wall clock read ``now`` (an aware datetime)."""
    if now.tzinfo is None:
        raise ValueError("engine time must be timezone-aware")
    token = _now.set(now.astimezone(UTC))
    try:
        yield
    finally:
        _now.reset(token)


def current_engine_time() -> datetime:
    fixed = _now.get()
    return fixed if fixed is not None else datetime.now(UTC)
