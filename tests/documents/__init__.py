"""Document tests (PDFs and .ics). The rows are created directly: these tests do not depend on the meetings service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.db import db
from services.models import AgendaItem, Attendance, MappaCase, MappMeeting, Minutes, User
from tests.factories import create_case, seeded

# 09:00 UTC in June is 10:00 in London (BST): the PDFs must show London time, the .ics UTC.
STARTS_AT = datetime(2027, 6, 9, 9, 0, tzinfo=UTC)
DASH = "\N{EN DASH}"
FIRST_NAME = "Liam O'Connor-Smith"
SECOND_NAME = "Gary Walsh"
RISK_TEXT = "High risk of serious harm to known adults, particularly a former partner."
VICTIM_TEXT = "Former partner lives in the Eastgate area; exclusion zone requested."
SUMMARY_TEXT = "Mr O'Connor-Smith was released on licence in April.\n\nHe is complying with supervision."


@dataclass
class MeetingData:
    users: dict[str, User]
    meeting: MappMeeting
    first: MappaCase
    second: MappaCase
    items: list[AgendaItem]


def make_meeting(**overrides: Any) -> MeetingData:
    """A Level 2 northshire meeting with two agenda items (added out of order) and invitees by agency."""
    users = seeded()
    first = create_case(users["police"], offender_name=FIRST_NAME, category=2)
    second = create_case(users["probation"], offender_name=SECOND_NAME, category=1, lead_agency="Probation")
    first.level, second.level = 2, None
    values: dict[str, Any] = {
        "area_id": users["chair"].area_id, "level": 2, "starts_at": STARTS_AT,
        "ends_at": STARTS_AT + timedelta(hours=2),
        "venue": "Northshire HQ, Room 2 & 3; ground floor", "online_link": "https://meet.example.org/j/123?pwd=a,b",
        "chair_id": users["chair"].id, "created_at": STARTS_AT - timedelta(days=14),
        "created_by_id": users["administrator"].id,
    }
    meeting = MappMeeting(**(values | overrides))
    db.session.add(meeting)
    db.session.flush()
    later = AgendaItem(meeting_id=meeting.id, case_id=second.id, position=2, minutes_allotted=20, kind="initial")
    earlier = AgendaItem(meeting_id=meeting.id, case_id=first.id, position=1, minutes_allotted=30, kind="review")
    db.session.add_all([later, earlier])
    db.session.flush()
    _invite(meeting.id, None, [("MAPPA Unit", "Adam Ministrator", "invited")])
    _invite(meeting.id, earlier.id, [("Police", "PC Pat Rolman", "present"), ("Probation", "Petra Obation", "invited"),
                                     ("Probation", None, "report received")])
    _invite(meeting.id, later.id, [("Housing", "Hugo Using", "apologies")])
    db.session.commit()
    db.session.refresh(meeting)
    return MeetingData(users, meeting, first, second, [earlier, later])


def _invite(meeting_id: int, item_id: int | None, rows: list[tuple[str, str | None, str]]) -> None:
    for agency, person, status in rows:
        db.session.add(Attendance(meeting_id=meeting_id, agenda_item_id=item_id, agency=agency, person=person,
                                  status=status, updated_at=STARTS_AT - timedelta(days=1)))


def full_sections() -> dict[str, Any]:
    return {
        "summary": SUMMARY_TEXT,
        "attendees": "Police: PC Pat Rolman (present)\nProbation: Petra Obation (present)",
        "risk_assessment": RISK_TEXT,
        "victim_issues": VICTIM_TEXT,
        "actions": [
            {"description": "Complete a home visit", "owner_role": "Offender manager", "owner_agency": "Probation",
             "due": "2027-06-23"},
            {"description": "Share exclusion zone map with Housing", "owner_role": "PPU officer",
             "owner_agency": "Police", "due": "2027-06-16"},
        ],
        "level_decision": {"decision": "level_2", "rationale": "Risk remains high but is being managed."},
        "next_review_date": "2027-09-01",
    }


def make_minutes(data: MeetingData, sections: dict[str, Any], status: str = "approved") -> Minutes:
    approved = status in ("approved", "distributed")
    minutes = Minutes(meeting_id=data.meeting.id, case_id=data.first.id, sections=sections, version=3, status=status,
                      updated_at=STARTS_AT + timedelta(hours=3), updated_by_id=data.users["administrator"].id,
                      approved_at=STARTS_AT + timedelta(days=2) if approved else None,
                      approved_by_id=data.users["chair"].id if approved else None)
    db.session.add(minutes)
    db.session.commit()
    db.session.refresh(minutes)
    return minutes
