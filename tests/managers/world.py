"""A Northshire with known open tasks on 25 November 2026 (the frozen clock), built through the real services.

| task (case)                          | role        | held by             | due        | on 25 Nov              |
|--------------------------------------|-------------|---------------------|------------|------------------------|
| Create or link ViSOR record (NO-2)   | police      | nobody              | 2026-11-06 | 19 days overdue        |
| Check referral is complete (NO-1)    | coordinator | nobody              | 2026-11-09 | 16 days overdue        |
| Check referral is complete (NO-3)    | coordinator | nobody              | 2026-11-16 | 9 days overdue         |
| Check referral is complete (NO-4)    | coordinator | Cora, since 20 Nov  | 2026-11-23 | 2 days overdue         |
| Check referral is complete (NO-5)    | coordinator | nobody              | 2026-11-27 | due soon               |

NO-2 is at level 2 with its first review due 20 November and no meeting booked. Southmoor has one task of its own.
Referral checks are due 5 working days after the referral, the ViSOR record 3 working days after screening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.db import db
from services.models import User
from services.tasks import claim, complete
from tests.factories import create_case, ready_task, seeded

VISOR, CHECK = "Create or link ViSOR record", "Check referral is complete"


@dataclass
class World:
    users: dict[str, User]
    tasks: dict[str, int]  # case reference -> its open task's id
    south_task: int


def build(clock) -> World:  # type: ignore[no-untyped-def]
    users = seeded()
    probation, coordinator = users["probation"], users["coordinator"]

    def on(day: int) -> None:
        clock.set(datetime(2026, 11, day, 10, tzinfo=UTC))

    on(2)
    first = create_case(probation, category=1)
    on(3)
    level2 = create_case(probation, category=2)
    complete(coordinator, ready_task(level2.id, "check_referral").id, {"referral_complete": "yes"})
    complete(coordinator, ready_task(level2.id, "screening_decision").id, {
        "screening_outcome": "accepted_level_2", "screening_rationale": "High risk.",
        "first_review_due": "2026-11-20"})
    db.session.commit()
    cases = {}
    for day, category in ((9, 2), (16, 3), (20, 1)):
        on(day)
        cases[day] = create_case(probation, category=category)
    claim(coordinator, ready_task(cases[16].id, "check_referral").id)
    db.session.commit()
    on(25)
    south = create_case(users["south_coordinator"], category=1)
    tasks = {case.reference: ready_task(case.id, "check_referral").id
             for case in (first, cases[9], cases[16], cases[20])}
    tasks[level2.reference] = ready_task(level2.id, "visor_record").id
    world = World(users, tasks, ready_task(south.id, "check_referral").id)
    db.session.commit()
    return world
