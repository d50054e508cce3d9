"""Working days for England and Wales: weekends and bank holidays are not working days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


class WorkingCalendar:
    """Counts working days; ``closures`` adds local closure days (set by an administrator)."""

    def __init__(self, closures: Iterable[date] = ()) -> None:
        self.closures = frozenset(closures)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _bank_holidays(day.year) and day not in self.closures

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after (or, if negative, before) ``start``."""
        step = 1 if days >= 0 else -1
        remaining = abs(days)
        current = start
        while remaining:
            current += timedelta(days=step)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when end is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=n)))


ENGLAND_AND_WALES = WorkingCalendar()
