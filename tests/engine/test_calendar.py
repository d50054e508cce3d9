from __future__ import annotations

from datetime import date

from workflows.calendar import WorkingCalendar


def test_weekends_and_bank_holidays_are_skipped() -> None:
    cal = WorkingCalendar()
    assert cal.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday -> Monday
    assert cal.add_working_days(date(2026, 12, 24), 2) == date(2026, 12, 30)
    assert cal.add_working_days(date(2027, 1, 4), -1) == date(2026, 12, 31)
    assert cal.working_days_between(date(2026, 12, 24), date(2026, 12, 30)) == 2


def test_local_closures_count_as_non_working() -> None:
    cal = WorkingCalendar(closures=[date(2026, 11, 30)])
    assert cal.add_working_days(date(2026, 11, 27), 1) == date(2026, 12, 1)
