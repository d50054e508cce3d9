"""Dates and date-times typed by people or sent by clients: one place that reads them, and the range they must fall in.

ISO 8601 in ASCII digits only, years 1900 to 2199, offsets of real time zones (whole minutes, -12:00 to +14:00).
Outside that range date arithmetic overflows (9999-12-31 plus a day, 0001-01-01 minus one) and the dates make no
sense for MAPPA work (a release in the year 1, a review in 9999, a meeting at +23:59).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
RANGE_TEXT = "between 1900 and 2199"
OFFSETS = (timedelta(hours=-12), timedelta(hours=14))  # the world's time zones: Baker Island to Kiribati
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def in_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def is_real_day(raw: object) -> bool:
    """Written YYYY-MM-DD and a day that exists (whatever the year): tells 'not a date' from 'out of range'."""
    text = str(raw).strip()
    if not _DAY.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_day(raw: object) -> date | None:
    """A real date written YYYY-MM-DD and in range, or None."""
    if raw is None or not is_real_day(raw):
        return None
    day = date.fromisoformat(str(raw).strip())
    return day if in_range(day) else None


def parse_instant(raw: str) -> datetime | None:
    """An ISO 8601 date and time (``Z`` or an offset; naive when it has none) in range, or None."""
    text = raw.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if not text.isascii():
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    offset = instant.utcoffset()
    if offset is not None and (not OFFSETS[0] <= offset <= OFFSETS[1] or offset % timedelta(minutes=1)):
        return None
    return instant if in_range(instant.date()) else None


# --- shown to people: one date format and one time format across pages, history and documents -------------------

LONDON = ZoneInfo("Europe/London")


def to_london(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC, which is how we store them."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LONDON)


def long_date(value: date | datetime | None) -> str:
    """25 November 2026 (a datetime shows its London day)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value).date()
    return f"{value.day} {value:%B %Y}"


def clock_time(value: datetime) -> str:
    """10:00am, 2:30pm, 12:05am (London time, the GOV.UK style)."""
    local = to_london(value)
    return f"{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def long_datetime(value: datetime | None) -> str:
    """25 November 2026 at 2:30pm"""
    if value is None:
        return ""
    return f"{long_date(value)} at {clock_time(value)}"


def long_date_text(text: str) -> str:
    """An ISO date written in text (``2026-12-02``) as a date people read; anything else unchanged."""
    day = parse_day(text)
    return long_date(day) if day is not None else text
