"""Who chairs a MAPP meeting, and so approves its minutes.

Every meeting has a chair, named when it is scheduled, and only that chair approves its minutes
(services.minutes_steps.authorise_step). When the chair cannot act (on leave, left the service), the MAPPA
coordinator or administrator names another chair of the area, with the reason: the approvals waiting for the
meeting's minutes move to the new chair, and so do later ones (the open process data is updated). Until then the
approvals wait for the named chair; no other chair may take them over by claiming or being handed the task.
"""

from __future__ import annotations

from sqlalchemy import select

from services import clock
from services.access import log_access
from services.db import db
from services.errors import FieldError, ValidationFailed
from services.instances import ENGINE, load, lock, record, save
from services.meetings import CHAIR_MESSAGE, chair_in_area, load_meeting, title
from services.models import HumanTask, MappMeeting, Minutes, User
from services.permissions import require
from services.text import shows


def change_chair(user: User, meeting_id: int, chair: str, reason: str) -> MappMeeting:
    require(user, "meetings:organise")
    meeting = load_meeting(user, meeting_id, "meeting_chair_changed")
    new_chair = chair_in_area(user, chair)
    errors = [] if new_chair is not None else [FieldError("chair", CHAIR_MESSAGE)]
    if not shows(reason):
        errors.append(FieldError("reason", "Enter why the meeting's chair changes"))
    if errors or new_chair is None:
        raise ValidationFailed(errors)
    previous = meeting.chair
    meeting.chair_id, meeting.chair = new_chair.id, new_chair
    for minutes in db.session.scalars(select(Minutes).where(Minutes.meeting_id == meeting.id,
                                                            Minutes.process_instance_id.is_not(None))):
        _hand_over(user, meeting, minutes, new_chair, reason.strip())
    log_access(user, "meeting_chair_changed", None,
               f"meeting {meeting.id}: {previous.username} to {new_chair.username}: {reason.strip()}")
    return meeting


def _hand_over(user: User, meeting: MappMeeting, minutes: Minutes, chair: User, reason: str) -> None:
    """The minutes' open approval goes to the new chair, and so does any approval still to come."""
    assert minutes.process_instance_id is not None
    instance = lock(minutes.process_instance_id)
    if instance.status != "running":
        return
    wf = load(instance)
    save(instance, minutes.case, wf, ENGINE.update_open_data(wf, {"meeting_chair": chair.username}, clock.now()),
         user)
    for task in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                           HumanTask.hook == "minutes_approval",
                                                           HumanTask.state == "ready")):
        task.assignee_id, task.assignee = chair.id, chair
        record(minutes.case, "task_reassigned", f"'{task.name}' handed to {chair.display_name}, now chairing "
               f"{title(meeting)}: {reason}", user, instance, {"task": task.id, "to": chair.username})
