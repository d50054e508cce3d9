"""The relationship and area half of the permission table, checked for every route before its view runs.

app.security's guards call ``check`` with the object ids in the URL. Each id kind has one rule:

- ``case_id``: the case is in the user's case scope (services.access.case_scope), else 404;
- ``meeting_id``: the meeting is one the user may see (services.meeting_access), else 404; with a ``case_id``
  too, that case must be on the meeting's agenda, else 404;
- ``recording_id``: the recording belongs to the meeting in the URL, else 404;
- ``task_id``: the user may see the task (services.tasks.may_see), else 404; to change it (claim, complete,
  release, reassign) they must hold its role or be its assignee, else 403;
- ``token_id``: the user's own token, or for coordinators and managers (``accounts:manage``) any token of
  someone in their area, else 404;
- ``user_id``: a user of the same area, else 404;
- ``application_id``: a Child Sex Offender Disclosure Scheme application of the user's area (any area for a
  national role the permission names in ``every_area``), else 404;
- ``instance_id``: a process instance of a case in the user's area (any area for a national role the permission
  names in ``every_area``), else 404;
- ``trial_id``: a trial run the user started, else 404; a ``task_id`` beside it names a task of that trial (the
  trial service finds it), not an inbox task;

and the ``CHAIR`` scope: the user chairs the meeting, else 403; the ``LEAD_AGENCY`` scope: a manager works for
the case's lead agency, else 403.

Ids are looked up before any body is validated, so a refused request learns nothing from validation messages
and leaves a ``*_access_refused`` row in the security log.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from services.access import case_scope, log_access
from services.db import db
from services.errors import Forbidden, NotFound
from services.meeting_access import may_see as may_see_meeting
from services.models import (
    AgendaItem,
    ApiToken,
    CsodsApplication,
    HumanTask,
    MappaCase,
    MappMeeting,
    MeetingRecording,
    ModelTrial,
    ProcessInstance,
    User,
)
from services.permissions import (
    PERMISSIONS,
    REFUSAL_EVENTS,
    SUPERVISORS,
    Scope,
    has_permission,
    in_every_area,
    may_on_case,
    refusal,
)
from services.tasks import may_see, may_work

__all__ = ["check"]


def _refuse(user: User, what: str, ident: object) -> NotFound:
    log_access(user, f"{what}_access_refused", None, f"{what} {ident}")
    return NotFound(f"{what.replace('_', ' ')} not found")


def check(user: User, permission: str, params: Mapping[str, object], *, writing: bool) -> list[object]:
    """Raise NotFound (out of reach) or Forbidden (in reach, but not this user's to change).

    Returns the objects it loaded: a guard that keeps them for the request lets the view find them in the
    session (its identity map holds objects only while something refers to them) instead of loading them again.
    """
    loaded: list[object] = []
    scope = PERMISSIONS[permission].scope
    case_id, meeting_id = params.get("case_id"), params.get("meeting_id")
    if case_id is not None and db.session.scalar(
            case_scope(user).with_only_columns(MappaCase.id).where(MappaCase.id == case_id)) is None:
        raise _refuse(user, "case", case_id)
    if case_id is not None and scope is Scope.LEAD_AGENCY:
        case = db.session.get(MappaCase, case_id)
        if case is None or not may_on_case(user, permission, case):
            log_access(user, REFUSAL_EVENTS.get(permission, "case_change_refused"), case.id if case else None,
                       permission)
            raise Forbidden(f"{refusal(permission)}; a manager only of the case's lead agency ({permission})")
    if case_id is not None and scope is Scope.CASE_LEAD:  # refused before the request body is read
        case = db.session.get(MappaCase, case_id)
        if case is None or not may_on_case(user, permission, case):
            log_access(user, REFUSAL_EVENTS.get(permission, "case_change_refused"), case.id if case else None,
                       permission)
            raise Forbidden(f"{refusal(permission)}; agency staff only on a case they lead ({permission})")
    if meeting_id is not None:
        meeting = db.session.get(MappMeeting, meeting_id)
        if meeting is None or not may_see_meeting(user, meeting):
            raise _refuse(user, "meeting", meeting_id)
        if case_id is not None and db.session.scalar(select(AgendaItem.id).where(
                AgendaItem.meeting_id == meeting.id, AgendaItem.case_id == case_id)) is None:
            raise _refuse(user, "agenda_item", f"{meeting_id}/{case_id}")
        if scope is Scope.CHAIR and meeting.chair_id != user.id:
            log_access(user, "chair_only_refused", None, f"meeting {meeting_id}")
            raise Forbidden("Only the chair of this meeting can do this")
    if "recording_id" in params:
        recording = db.session.get(MeetingRecording, params["recording_id"])
        if recording is None or recording.meeting_id != meeting_id:
            raise _refuse(user, "recording", params["recording_id"])
    if "trial_id" in params:
        trial = db.session.get(ModelTrial, params["trial_id"])
        if trial is None or trial.started_by != user.username:
            raise _refuse(user, "trial", params["trial_id"])
    elif "task_id" in params:
        loaded.append(_check_task(user, params["task_id"], scope, writing=writing))
    if "token_id" in params:
        token = db.session.get(ApiToken, params["token_id"])
        owner = db.session.get(User, token.user_id) if token else None
        in_area = owner is not None and owner.area_id == user.area_id
        supervises = in_area and (scope is Scope.AREA or has_permission(user, "accounts:manage"))
        mine = owner is not None and (owner.id == user.id or supervises)
        if not mine:
            raise _refuse(user, "token", params["token_id"])
    if "user_id" in params:
        other = db.session.get(User, params["user_id"])
        if other is None or other.area_id != user.area_id:
            raise _refuse(user, "user", params["user_id"])
    if "application_id" in params:  # a Child Sex Offender Disclosure Scheme application: the user's area
        area = db.session.scalar(select(CsodsApplication.area_id).where(
            CsodsApplication.id == params["application_id"]))
        if area is None or (area != user.area_id and not in_every_area(user, permission)):
            raise _refuse(user, "csods_application", params["application_id"])
    if "instance_id" in params:
        area = db.session.scalar(select(MappaCase.area_id).join(ProcessInstance, ProcessInstance.case_id ==
                                 MappaCase.id).where(ProcessInstance.id == params["instance_id"]))
        if area is None or (area != user.area_id and not in_every_area(user, permission)):
            raise _refuse(user, "process_instance", params["instance_id"])
    return loaded


# A task with its case (every task route shows or changes the case): one query, and the view finds both in the
# session. Built once: a statement keeps its cache key.
_TASK_WITH_CASE = (select(HumanTask).where(HumanTask.id == bindparam("task_id"))
                   .options(joinedload(HumanTask.case).lazyload(MappaCase.area)))


def _check_task(user: User, task_id: object, scope: Scope, *, writing: bool) -> HumanTask:
    task = db.session.scalars(_TASK_WITH_CASE, {"task_id": task_id}).first()
    if task is None or not may_see(user, task):
        raise _refuse(user, "task", task_id)
    if not writing:
        return task
    if scope is Scope.HAND_ON and not (task.assignee_id == user.id or user.roles & SUPERVISORS):
        log_access(user, "task_hand_on_refused", task.case_id, f"task {task_id}")
        raise Forbidden("Only the person holding a task, a MAPPA coordinator or a manager can hand it on")
    if scope is Scope.TASK and not may_work(user, task):
        log_access(user, "task_work_refused", task.case_id, f"task {task_id} needs {task.role}")
        raise Forbidden("This task is for another role")
    return task
