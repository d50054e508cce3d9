"""The notification rules of services.rso (Sexual Offences Act 2003 ss.82-86, MAPPA.md §17), read directly."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services import rso
from services.settings import DEFAULTS


@pytest.mark.parametrize(("disposal", "under_18", "discharge", "months"), [
    ("custody_30_months_or_more", False, None, rso.INDEFINITE),
    ("custody_30_months_or_more", True, None, rso.INDEFINITE),  # indefinite is not halved
    ("hospital_with_restriction", False, None, rso.INDEFINITE),
    ("custody_over_6_under_30_months", False, None, 120),
    ("custody_over_6_under_30_months", True, None, 60),
    ("custody_6_months_or_less", False, None, 84),
    ("custody_6_months_or_less", True, None, 42),  # 3 years 6 months
    ("hospital_without_restriction", False, None, 84),
    ("caution", False, None, 24),
    ("caution", True, None, 12),
    ("other", False, None, 60),
    ("other", True, None, 30),
    ("conditional_discharge", False, 18, 18),
    ("conditional_discharge", True, 18, 18),  # the discharge's own length: s.82(2) halves only 10, 7, 5 and 2 years
])
def test_the_s82_table(disposal: str, under_18: bool, discharge: int | None, months: int) -> None:
    assert rso.period_months(disposal, under_18, discharge) == months


def test_period_end_and_indefinite_review() -> None:
    assert rso.period_end(date(2026, 11, 24), 120) == date(2036, 11, 24)
    assert rso.period_end(date(2024, 2, 29), 42) == date(2027, 8, 29)
    assert rso.period_end(date(2026, 11, 24), rso.INDEFINITE) is None
    assert rso.review_from(date(2026, 11, 25), False, DEFAULTS) == date(2041, 11, 25)  # 15 years
    assert rso.review_from(date(2026, 11, 25), True, DEFAULTS) == date(2034, 11, 25)  # 8 years for juveniles


def test_deadlines_from_the_area_settings() -> None:
    assert rso.initial_due(date(2026, 11, 24), DEFAULTS) == date(2026, 11, 27)
    assert rso.change_due(date(2026, 12, 1), DEFAULTS) == date(2026, 12, 4)
    assert rso.periodic_due(date(2026, 11, 25), False, DEFAULTS) == date(2027, 11, 25)
    assert rso.periodic_due(date(2026, 11, 25), True, DEFAULTS) == date(2026, 12, 2)  # weekly: no fixed abode
    assert rso.periodic_due(date(2024, 2, 29), False, DEFAULTS) == date(2025, 2, 28)
    assert rso.visit_due(date(2026, 11, 25), "very_high", DEFAULTS) == date(2027, 2, 25)
    assert rso.visit_due(date(2026, 11, 25), "low", DEFAULTS) == date(2028, 11, 25)
    assert rso.periodic_due(date(2026, 11, 25), False, DEFAULTS | {"rso_periodic_months": 6}) == date(2027, 5, 25)


def test_foreign_travel_notice() -> None:
    departs = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
    assert rso.travel_notice_by(departs, False, DEFAULTS) == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert rso.travel_notice_by(departs, True, DEFAULTS) == datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # 12 hours
    no_short = DEFAULTS | {"rso_travel_short_notice_hours": 0}  # the area does not allow the short notice
    assert rso.travel_notice_by(departs, True, no_short) == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
