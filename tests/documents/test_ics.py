"""The .ics invitation: RFC 5545 lines (CRLF, folded at 75 octets, escaped text), UTC times, no offender details."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

from services.db import db
from services.documents.ics import escape, fold, meeting_ics
from tests.documents import DASH, FIRST_NAME, SECOND_NAME, make_meeting

STAMP = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def unfold(ics: str) -> list[str]:
    """Content lines, with folded continuations (CRLF followed by one space) joined back."""
    return ics.replace("\r\n ", "").split("\r\n")[:-1]


def properties(ics: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unfold(ics):
        name, _, value = line.partition(":")
        found.setdefault(name, []).append(value)
    return found


def unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def test_invitation_is_one_vevent_in_utc_without_offender_details(app: Flask) -> None:
    data = make_meeting()
    ics = meeting_ics(data.meeting, stamp=STAMP)
    props = properties(ics)
    assert unfold(ics)[0] == "BEGIN:VCALENDAR" and unfold(ics)[-1] == "END:VCALENDAR"
    assert props["VERSION"] == ["2.0"] and props["METHOD"] == ["PUBLISH"]
    assert props["BEGIN"] == ["VCALENDAR", "VEVENT"]
    assert props["UID"] == [f"mappa-meeting-{data.meeting.id}@mappa-flow"]
    assert props["DTSTAMP"] == ["20261125T100000Z"]
    assert props["DTSTART"] == ["20270609T090000Z"]  # 10:00 in London (BST) is 09:00 UTC
    assert props["DTEND"] == ["20270609T110000Z"]
    assert props["SUMMARY"] == [f"MAPPA Level 2 meeting {DASH} Northshire"]
    assert props["LOCATION"] == ["Northshire HQ\\, Room 2 & 3\\; ground floor"]
    description = unescape(props["DESCRIPTION"][0])
    assert description.startswith("OFFICIAL-SENSITIVE: handle under the MAPPA D confidentiality statement. "
                                  "No offender details in this invitation.\n")
    assert "Join online: https://meet.example.org/j/123?pwd=a,b" in description.split("\n")
    assert "ATTENDEE" not in props and "ORGANIZER" not in props
    for detail in (FIRST_NAME, SECOND_NAME, "O'Connor", data.first.reference, data.second.reference):
        assert detail not in ics.replace("\r\n ", "")


def test_lines_end_in_crlf_and_fold_at_75_octets(app: Flask) -> None:
    data = make_meeting(venue="Salle de réunion № 4, Hôtel de Police — " * 4, online_link=None)
    data.meeting.area.name = f"Northshire {DASH} Ærøskøbing"  # multi-byte characters across the fold
    ics = meeting_ics(data.meeting, stamp=STAMP)
    assert ics.endswith("END:VCALENDAR\r\n")
    assert "\n" not in ics.replace("\r\n", "") and "\r" not in ics.replace("\r\n", "")
    physical = ics.split("\r\n")[:-1]
    assert max(len(line.encode("utf-8")) for line in physical) <= 75
    assert any(line.startswith(" ") for line in physical)  # the long location was folded
    location = properties(ics)["LOCATION"][0]
    assert unescape(location) == "Salle de réunion № 4, Hôtel de Police — " * 4
    assert "URL" not in properties(ics)
    assert "LOCATION" in ics and "DESCRIPTION" in ics


def test_attendees_and_organiser_when_emails_are_given(app: Flask) -> None:
    data = make_meeting()
    data.meeting.chair.email = "charles.chair@probation.example.gov.uk"
    db.session.commit()
    ics = meeting_ics(data.meeting, ["pat@police.example.gov.uk", " petra@probation.example.gov.uk ", ""],
                      stamp=STAMP)
    props = properties(ics)
    assert props["METHOD"] == ["REQUEST"]
    assert props['ORGANIZER;CN="Charles Chair"'] == ["mailto:charles.chair@probation.example.gov.uk"]
    assert props["ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE"] == [
        "mailto:pat@police.example.gov.uk", "mailto:petra@probation.example.gov.uk"]


def test_attendees_without_an_organiser_address_are_not_an_itip_request(app: Flask) -> None:
    data = make_meeting()
    props = properties(meeting_ics(data.meeting, ["pat@police.example.gov.uk"], stamp=STAMP))
    assert "METHOD" not in props and not any(name.startswith("ORGANIZER") for name in props)
    assert len(props["ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE"]) == 1


@pytest.mark.parametrize("bad", ["pat@police.example\r\nATTENDEE:mailto:x@y", "not-an-email", "a;b@c.d", "a@b:c"])
def test_addresses_that_could_break_the_line_are_refused(app: Flask, bad: str) -> None:
    data = make_meeting()
    with pytest.raises(ValueError, match="not an email address"):
        meeting_ics(data.meeting, [bad], stamp=STAMP)


def test_dtstamp_defaults_to_the_app_clock(app: Flask) -> None:
    data = make_meeting()
    assert properties(meeting_ics(data.meeting))["DTSTAMP"] == ["20261125T100000Z"]  # TEST_NOW


def test_cancelled_meeting_is_marked_cancelled(app: Flask) -> None:
    data = make_meeting(status="cancelled")
    assert properties(meeting_ics(data.meeting, stamp=STAMP))["STATUS"] == ["CANCELLED"]


def test_escape_and_fold() -> None:
    assert escape("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"
    folded = fold("X" * 200)
    assert [len(line) for line in folded.split("\r\n")] == [75, 75, 52]
    assert all(line.startswith(" ") for line in folded.split("\r\n")[1:])
    assert fold("é" * 40).split("\r\n")[0] == "é" * 37  # 74 octets: the 38th character would make 76


def test_unicode_line_separators_cannot_start_a_new_property() -> None:
    for separator in ("\u2028", "\u2029", "\u0085", "\x0b", "\x0c"):
        text = escape(f"Room 4{separator}ATTENDEE:mailto:x@example.org")
        assert separator not in text and text == "Room 4\\nATTENDEE:mailto:x@example.org"
