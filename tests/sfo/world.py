"""A serious further offence whose review has reached the SMB chair: how other tests (the access matrix) give the SMB
chair persona a case of theirs."""

from __future__ import annotations

from services import sfo, tasks
from services.models import MappaCase, User
from tests.factories import ready_task

CHARGE = {"sfo_offence": "murder", "sfo_charged_on": "2026-11-20", "sfo_details": "Charged with murder."}
MAPPA_N = {"mappa_n_management": "Level 2, probation led.", "mappa_n_agencies": "Probation, police.",
           "mappa_n_concerns": "None known yet.", "mappa_n_recommendation": "recommend",
           "mappa_n_reasons": "A Level 2 offender charged with murder."}


def review_reaches_smb(users: dict[str, User], case: MappaCase) -> None:
    """The police notify the charge and the lead officer sends the MAPPA N: the SMB decision is open."""
    sfo.notify(users["police"], case.id, CHARGE)
    mappa_n = ready_task(case.id, "mappa_n")
    assert mappa_n.assignee_id is not None
    holder = next(u for u in users.values() if u.id == mappa_n.assignee_id)
    tasks.complete(holder, mappa_n.id, MAPPA_N)
    ready_task(case.id, "scr_decision")
