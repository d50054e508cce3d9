"""RFC 5545 invitations for MAPP meetings.

The invitation leaves the secure system (email, personal calendars), so it names the meeting, never an offender.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from services.clock import now
from services.models import MappMeeting

PRODID = "-//MAPPA Flow//MAPP meetings//EN"
MARKING = ("OFFICIAL-SENSITIVE: handle under the MAPPA D confidentiality statement. "
           "No offender details in this invitation.")
LINE_OCTETS = 75
EMAIL = re.compile(r"[^\s@\"<>:;,\\]+@[^\s@\"<>:;,\\]+")  # nothing that could break out of a mailto: value


def meeting_ics(meeting: MappMeeting, attendee_emails: list[str] | None = None, *,
                stamp: datetime | None = None) -> str:
    """A VCALENDAR with one VEVENT; ``stamp`` (DTSTAMP) defaults to the app clock's now."""
    emails = [address(e) for e in attendee_emails or [] if e.strip()]
    organizer = address(meeting.chair.email) if emails and meeting.chair.email else None
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", *_method(emails, organizer),
             *_event(meeting, emails, organizer, stamp or now()), "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def _method(emails: list[str], organizer: str | None) -> list[str]:
    """iTIP REQUEST needs an organiser; without invitees the file is simply published."""
    if not emails:
        return ["METHOD:PUBLISH"]
    return ["METHOD:REQUEST"] if organizer else []


def _event(meeting: MappMeeting, emails: list[str], organizer: str | None, stamp: datetime) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:mappa-meeting-{meeting.id}@mappa-flow",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(meeting.starts_at)}",
        f"DTEND:{utc(meeting.ends_at)}",
        f"SUMMARY:{escape(summary(meeting))}",
        f"LOCATION:{escape(meeting.venue or meeting.online_link or 'To be confirmed')}",
        f"DESCRIPTION:{escape(description(meeting))}",
        "CLASS:CONFIDENTIAL",
        f"STATUS:{'CANCELLED' if meeting.status == 'cancelled' else 'CONFIRMED'}",
        "SEQUENCE:0",
    ]
    if meeting.online_link and meeting.online_link.isprintable() and " " not in meeting.online_link:
        lines.append(f"URL:{meeting.online_link}")
    if organizer:
        lines.append(f"ORGANIZER;CN={param(meeting.chair.display_name)}:mailto:{organizer}")
    lines += [f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{e}" for e in emails]
    return [*lines, "END:VEVENT"]


def address(email: str) -> str:
    if not EMAIL.fullmatch(email.strip()):
        raise ValueError(f"not an email address: {email!r}")
    return email.strip()


def summary(meeting: MappMeeting) -> str:
    return f"MAPPA Level {meeting.level} meeting \N{EN DASH} {meeting.area.name}"


def description(meeting: MappMeeting) -> str:
    parts = [MARKING, f"Chair: {meeting.chair.display_name}"]
    if meeting.venue:
        parts.append(f"Venue: {meeting.venue}")
    if meeting.online_link:
        parts.append(f"Join online: {meeting.online_link}")
    return "\n".join(parts)


def utc(value: datetime) -> str:
    """20261125T100000Z (naive datetimes are taken as UTC, which is how they are stored)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return f"{aware.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma and newlines."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for separator in ("\u2028", "\u2029", "\u0085", "\x0b", "\x0c"):  # line breaks other than CR and LF
        text = text.replace(separator, "\n")
    return text.replace("\n", "\\n")


def param(text: str) -> str:
    """A parameter value: quoted, since names may hold ':', ';' or ','; DQUOTE and controls are not allowed."""
    cleaned = "".join(ch for ch in text if ch != '"' and ch.isprintable())
    return f'"{cleaned}"'


def fold(line: str) -> str:
    """Fold at 75 octets (RFC 5545 3.1) without splitting a UTF-8 character; continuations start with a space."""
    chunks: list[str] = []
    current, size, limit = "", 0, LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            chunks.append(current)
            current, size, limit = "", 0, LINE_OCTETS - 1
        current += char
        size += width
    return "\r\n ".join([*chunks, current])
