"""The words meeting pages, papers and the API show for a meeting's codes: one place for each vocabulary.

The codes themselves are stored (and sent by the API) as they are; people read the labels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from services.models import AgendaItem

MEETING_STATUSES = {"scheduled": "Scheduled", "in progress": "In progress", "held": "Held", "cancelled": "Cancelled"}
# an agency's attendance at an agenda item (or the whole meeting); someone attending in another's place is
# recorded as present, with their name
ATTENDANCE = {"invited": "Invited", "present": "Present", "apologies": "Sent apologies",
              "report received": "Report received", "absent": "Absent"}
ATTENDANCE_STATUSES = tuple(ATTENDANCE)
AGENDA_KINDS = {"initial": "Initial", "review": "Review", "early review": "Early review"}
MINUTES_STATUSES = {"draft": "Draft", "awaiting approval": "Waiting for the chair's approval",
                    "approved": "Approved", "distributed": "Distributed"}


def word(vocabulary: dict[str, str], code: str | None) -> str:
    """The label of a code; an unknown code reads as itself, capitalised, rather than disappearing."""
    if not code:
        return ""
    return vocabulary.get(code, code.capitalize())


def offender_labels(items: Iterable[AgendaItem]) -> dict[int, str]:
    """Each agenda item's offender as people tell them apart: the name, with the case reference when another item
    on the same agenda has the same name ("John Smith (MF-2026-0004)"). Keyed by case id."""
    items = list(items)
    names = Counter(" ".join(i.case.offender_name.split()).casefold() for i in items)
    return {i.case_id: i.case.offender_name if names[" ".join(i.case.offender_name.split()).casefold()] == 1
            else f"{i.case.offender_name} ({i.case.reference})" for i in items}
