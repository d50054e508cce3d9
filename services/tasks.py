"""The task inbox: what a user may work on, claiming and releasing, and completing a step through its form."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    String,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import contains_eager

from services import clock, dates, forms, levels, rules
from services.access import log_access, log_case_list
from services.db import db
from services.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from services.instances import ENGINE, history_batch, load, lock, lock_open_tasks, record, save
from services.models import HumanTask, MappaCase, ProcessInstance, User
from services.permissions import AREA_WIDE_ROLES, SUPERVISORS
from workflows.engine import TaskNotReady
from workflows.lanes import PERSONAL_ROLES, role_name

DUE_SOON_DAYS = 3
PAGE_SIZE = 25  # tasks per page of the inbox screen
API_PAGE_SIZE = 200  # tasks per inbox request of the API, at most (and by default)
SORTS = {"due": (HumanTask.due_date.is_(None), HumanTask.due_date, HumanTask.id),
         "-due": (HumanTask.due_date.is_(None), HumanTask.due_date.desc(), HumanTask.id.desc())}
# the inbox's filters, code -> words (the page's choices, the API's allowed values and its OpenAPI enum)
SHOWS = {"all": "All", "mine": "Assigned to me", "unclaimed": "Unclaimed for my roles"}
DUES = {"overdue": "Overdue", "soon": f"Due in {DUE_SOON_DAYS} days", "later": "Later", "none": "No due date"}
SORT_NAMES = {"due": "Soonest first", "-due": "Latest first"}


@dataclass(frozen=True)
class InboxFilter:
    case_id: int | None = None
    step: str | None = None
    due: str | None = None  # a key of DUES
    sort: str = "due"
    show: str = "all"  # a key of SHOWS
    page: int = 1
    limit: int = API_PAGE_SIZE  # tasks per page

    def args(self, **changes: Any) -> dict[str, Any]:
        """The filter as query-string arguments (defaults left out), for links that keep or change it."""
        f = replace(self, **changes)
        values = {"case": f.case_id, "step": f.step, "due": f.due, "sort": None if f.sort == "due" else f.sort,
                  "show": None if f.show == "all" else f.show, "page": None if f.page == 1 else f.page}
        return {key: value for key, value in values.items() if value is not None}

    @property
    def narrowed(self) -> bool:
        """Whether any filter leaves tasks out (the sort and page do not)."""
        return bool(self.case_id is not None or self.step or self.due or self.show != "all")


@dataclass(frozen=True)
class InboxPage:
    tasks: list[HumanTask]
    total: int  # tasks matching the filter, on every page
    page: int
    pages: int


@dataclass(frozen=True)
class TaskCounts:
    open: int  # assigned to the user, or unclaimed for their roles
    overdue: int


def _visible(user: User) -> Any:
    return _visible_to(user.area_id, user.id, sorted(user.roles))


def _visible_to(area_id: Any, user_id: Any, roles: Any) -> Any:
    """What a user may work on: open tasks of their area, theirs or unclaimed for one of their roles (values, or
    bound parameters in a statement built once)."""
    return and_(HumanTask.state == "ready", HumanTask.area_id == area_id,
                or_(HumanTask.assignee_id == user_id,
                    and_(HumanTask.assignee_id.is_(None), HumanTask.role.in_(roles))))


def _matching(user: User, filters: InboxFilter, today: date) -> list[Any]:
    """The conditions of the filter on human_task: what the user may work on, narrowed."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    optional = [
        (filters.show == "mine", lambda: HumanTask.assignee_id == user.id),
        (filters.show == "unclaimed", lambda: HumanTask.assignee_id.is_(None)),
        (filters.case_id is not None, lambda: HumanTask.case_id == filters.case_id),
        (filters.step, lambda: HumanTask.name == filters.step),
        (filters.due == "overdue", lambda: HumanTask.due_date < today),
        (filters.due == "soon", lambda: and_(HumanTask.due_date >= today, HumanTask.due_date <= soon)),
        (filters.due == "later", lambda: HumanTask.due_date > soon),
        (filters.due == "none", lambda: HumanTask.due_date.is_(None)),
    ]
    return [_visible(user)] + [build() for wanted, build in optional if wanted]


# a literal, not a parameter: the planner then matches the partial indexes' WHERE state = 'ready'
READY: ColumnElement[str] = literal_column("'ready'", String)


def _inbox_parts(user: User, filters: InboxFilter, today: date, wanted: int) -> list[Select[Any]]:
    """The inbox split into parts that each walk one index in the page's order and stop after ``wanted`` rows:
    'assigned to me' (ix_human_task_inbox_assigned) and 'unclaimed for role R' for each of the user's roles
    (ix_human_task_inbox_unclaimed), each once for dated tasks (by due date, then id) and once for undated ones
    (by id, after every dated task). The parts do not overlap, so the page is within their union."""
    descending = filters.sort == "-due"
    whose = []
    if filters.show in ("all", "mine"):
        whose.append(HumanTask.assignee_id == user.id)
    if filters.show in ("all", "unclaimed"):
        whose += [and_(HumanTask.assignee_id.is_(None), HumanTask.role == role) for role in sorted(user.roles)]
    narrowed = _matching(user, filters, today)[1:]
    due_key = HumanTask.due_date.desc() if descending else HumanTask.due_date
    id_key = HumanTask.id.desc() if descending else HumanTask.id
    dated = [] if filters.due == "none" else [(HumanTask.due_date.is_not(None), (due_key, id_key))]
    undated = [] if filters.due in ("overdue", "soon", "later") else [(HumanTask.due_date.is_(None), (id_key,))]
    return [select(HumanTask.id).where(HumanTask.state == READY, HumanTask.area_id == user.area_id, who, when,
                                       *narrowed).order_by(*order).limit(wanted)
            for who in whose for when, order in dated + undated]


def inbox_query(user: User, filters: InboxFilter) -> Select[HumanTask]:
    """One page of the filtered inbox, with each task's case (limit and offset in SQL). The candidates come from
    index-ordered parts that stop at the page's end (``_inbox_parts``): the cost follows the page, not the area."""
    offset = (max(filters.page, 1) - 1) * filters.limit
    parts = [part.subquery() for part in _inbox_parts(user, filters, clock.today(), offset + filters.limit)]
    if not parts:  # no role and nothing to show: an empty page
        return select(HumanTask).where(false())
    candidates = union_all(*(select(part.c.id) for part in parts)).subquery("inbox_candidates")
    return (select(HumanTask).join(candidates, candidates.c.id == HumanTask.id).join(HumanTask.case)
            .options(contains_eager(HumanTask.case).lazyload(MappaCase.area))
            .order_by(*SORTS.get(filters.sort, SORTS["due"]))
            .limit(filters.limit).offset(offset))


def inbox(user: User, filters: InboxFilter) -> list[HumanTask]:
    """The tasks of one page; the access log names only the cases shown on it."""
    tasks = list(db.session.scalars(inbox_query(user, filters)).unique())
    log_case_list(user, "inbox_viewed", [t.case_id for t in tasks], f"{len(tasks)} tasks")
    return tasks


def inbox_page(user: User, filters: InboxFilter) -> InboxPage:
    """How many tasks match, and the page asked for (the last page when asked for one beyond it)."""
    total = db.session.scalar(select(func.count()).select_from(HumanTask)
                              .where(*_matching(user, filters, clock.today()))) or 0
    pages = max(1, -(-total // filters.limit))
    page = min(max(filters.page, 1), pages)
    return InboxPage(inbox(user, replace(filters, page=page)) if total else [], total, page, pages)


def task_counts(user: User) -> TaskCounts:
    """The user's open tasks (theirs and unclaimed for their roles) and how many are overdue: one COUNT query."""
    overdue = HumanTask.due_date < clock.today()
    row = db.session.execute(select(func.count(), func.count().filter(overdue)).select_from(HumanTask)
                             .where(_visible(user))).one()
    return TaskCounts(open=row[0], overdue=row[1])


def meeting_of(task: HumanTask) -> str | None:
    """The MAPP meeting a step is for (research, minutes), from the data the step shows: tells apart the same step
    for one case's two meetings."""
    title = (task.context or {}).get("meeting_title")
    return str(title) if title else None


def step_names(user: User) -> list[str]:
    return sorted(set(db.session.scalars(select(HumanTask.name).where(_visible(user)).distinct())))


def due_status(task: HumanTask, today: date | None = None) -> str | None:
    today = today or clock.today()
    if task.due_date is None or task.state != "ready":
        return None
    if task.due_date < today:
        return "overdue"
    if task.due_date <= today + timedelta(days=DUE_SOON_DAYS):
        return "due soon"
    return None


def _get(task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound("task not found")
    return task


def may_see(user: User, task: HumanTask) -> bool:
    """A task of the user's area whose case is still the area's: a transferred case's earlier tasks stay the sending
    area's work (its statistics count them) but are no longer its to open, as the case itself is not."""
    if task.area_id != user.area_id or task.case.area_id != user.area_id:
        return False
    shared_role = task.role in user.roles and (task.role not in PERSONAL_ROLES or task.assignee_id is None)
    return bool(task.assignee_id == user.id or task.completed_by_id == user.id or shared_role
                or user.roles & AREA_WIDE_ROLES)


def may_work(user: User, task: HumanTask) -> bool:
    """Claiming or completing needs the task's role in its area: being named on the task is not enough (a lane's
    work never goes to someone without its role, even if they were given it before they lost the role)."""
    return task.area_id == user.area_id and task.case.area_id == user.area_id and task.role in user.roles


def _locked(task: HumanTask) -> HumanTask:
    return db.session.scalars(select(HumanTask).where(HumanTask.id == task.id).with_for_update(of=HumanTask)
                              .execution_options(populate_existing=True)).one()


def load_task(user: User, task_id: int, *, event: str = "task_viewed") -> HumanTask:
    task = _get(task_id)
    if not may_see(user, task):
        log_access(user, "task_access_refused", None, f"task {task_id}")
        raise NotFound("task not found")
    log_access(user, event, task.case_id, f"task {task.id} {task.name}")
    return task


def _finished_message(task: HumanTask) -> str:
    if task.state == "completed":
        who = task.completed_by.display_name if task.completed_by else "the system"
        when = f" on {dates.long_datetime(task.completed_at)}" if task.completed_at else ""
        return f"This task was already completed by {who}{when}"
    return "This task is no longer open: the process moved on"


def _ensure_open(user: User, task: HumanTask) -> None:
    if task.state != "ready":
        raise Conflict(_finished_message(task))
    if task.assignee_id is not None and task.assignee_id != user.id:
        name = task.assignee.display_name if task.assignee else "someone else"
        raise Conflict(f"This task is claimed by {name}")
    if not may_work(user, task):
        log_access(user, "task_work_refused", task.case_id, f"task {task.id} needs {task.role}")
        raise Forbidden("This task is for another role")


def _held_by(task: HumanTask) -> Conflict:
    """Why a task did not change hands: someone else holds it, or it is no longer open."""
    if task.state != "ready":
        return Conflict(_finished_message(task))
    if task.assignee is None:
        return Conflict("This task was released at the same moment: reload and try again")
    return Conflict(f"This task is claimed by {task.assignee.display_name}")


def _hand(task: HumanTask, holder: int | None, to: User | None) -> bool:
    """One conditional UPDATE: the task passes to ``to`` only if it is still open and still held by ``holder``
    (nobody, for a claim). Of several people handing the same task at once, one does; the task is then reloaded."""
    changed = cast(CursorResult[Any], db.session.execute(
        update(HumanTask).where(HumanTask.id == task.id, HumanTask.state == "ready",
                                HumanTask.assignee_id.is_not_distinct_from(holder))
        .values(assignee_id=to.id if to else None, assigned_at=clock.now() if to else None)
        .execution_options(synchronize_session=False))).rowcount
    db.session.refresh(task)
    return changed == 1


def claim(user: User, task_id: int) -> HumanTask:
    task = load_task(user, task_id, event="task_claimed")
    _ensure_open(user, task)
    if task.assignee_id == user.id:
        return task
    if not _hand(task, None, user):
        raise _held_by(task)
    record(task.case, "task_claimed", f"Claimed '{task.name}'", user, None, {"task": task.id})
    return task


def release(user: User, task_id: int) -> HumanTask:
    task = load_task(user, task_id, event="task_released")
    if task.state != "ready":
        raise Conflict(_finished_message(task))
    if task.assignee_id != user.id:
        raise Conflict("Only the person who holds a task can release it")
    if not _hand(task, user.id, None):
        raise _held_by(task)
    record(task.case, "task_released", f"Released '{task.name}'", user, None, {"task": task.id})
    return task




def eligible_assignees(task: HumanTask) -> list[User]:
    """People in the task's area who hold its role: who a task can be handed to."""
    users = db.session.scalars(select(User).where(User.area_id == task.area_id, User.active.is_(True))
                               .order_by(User.display_name))
    return [u for u in users if task.role in u.roles]


def may_hand_on(user: User, task: HumanTask) -> bool:
    return task.state == "ready" and (task.assignee_id == user.id or bool(user.roles & SUPERVISORS))


def reassign(user: User, task_id: int, to_username: str, reason: str = "") -> HumanTask:
    """Hand a task to a named person: the holder delegates it, or a coordinator or manager reassigns it."""
    task = load_task(user, task_id, event="task_reassigned")
    if task.state != "ready":
        raise Conflict(_finished_message(task))
    if not may_hand_on(user, task):
        raise Forbidden("Only the person holding a task, a MAPPA coordinator or a manager can hand it on")
    target = next((u for u in eligible_assignees(task) if u.username == to_username), None)
    if target is None:
        raise ValidationFailed([FieldError("assignee", f"Choose someone in this area who works as "
                                                       f"{role_name(task.role)}")])
    previous = task.assignee.display_name if task.assignee else "nobody"
    if not _hand(task, task.assignee_id, target):
        raise _held_by(task)
    record(task.case, "task_reassigned", f"'{task.name}' handed from {previous} to {target.display_name}"
           + (f": {reason.strip()}" if reason.strip() else ""), user, None, {"task": task.id, "to": target.username})
    return task


def form_schema(task: HumanTask, instance: ProcessInstance | None = None) -> dict[str, Any]:
    """The task's form as it applies to this case: answers the case's category does not allow are not offered.
    ``instance``: the task's process instance, when the caller holds it."""
    if not task.form_key:
        return {"type": "object", "properties": {}}
    instance = instance or db.session.get(ProcessInstance, task.instance_id)
    schema = (forms.version_form(instance.model.checksum, task.form_key, lambda: instance.model.files)
              if instance else forms.task_form(task.form_key, None))
    return rules.describe(levels.narrow(schema, task.case.category), task.case, clock.today())


def complete(user: User, task_id: int, data: dict[str, Any]) -> HumanTask:
    """Validate the form data, then advance the engine; exactly one of several racing completions wins."""
    from services.minutes_steps import after_task_completed, authorise_step, before_task_completed

    task = load_task(user, task_id, event="task_completed")
    authorise_step(user, task)
    _ensure_open(user, task)
    case = task.case  # held: the reads below refresh the task, and its case is then found in the session
    # the instance, then its open tasks, taken for writing and read afresh: a claim, hand-over or completion
    # committed meanwhile is seen, and none can land until this commits
    instance = lock(task.instance_id)
    open_tasks = lock_open_tasks(instance)
    if task not in open_tasks:
        task = _locked(task)  # no longer open: read it again to say why
    _ensure_open(user, task)
    schema = form_schema(task, instance)
    data = forms.drop_hidden(schema, data)  # answers to questions not asked are ignored, never stored
    errors = (forms.validate(schema, data) or rules.check(schema, data, case, clock.today())
              or before_task_completed(user, task, data))
    if errors:
        raise ValidationFailed(errors)
    wf = load(instance)
    try:
        result = ENGINE.complete(wf, task.task_uuid, dict(data), clock.now())
    except TaskNotReady:
        raise Conflict("This task is no longer open: the process moved on") from None
    with history_batch():  # the completion's history rows in one INSERT
        record(case, "task_completed", f"Completed '{task.name}'", user, instance,
               {"task": task.id, "data": data})
        save(instance, case, wf, result, user, completed_task_uuid=task.task_uuid, open_tasks=open_tasks)
    if result.error is None:
        after_task_completed(user, task, _task_data(wf, task.task_uuid, data))
    return task


def next_tasks(user: User, task: HumanTask) -> list[HumanTask]:
    """The user's inbox for the task's case, just after completing it (the API's answer to a completion).

    The inbox's own filter and order (services.tasks.inbox with case_id), as one query on human_task alone: the
    case is already in the session. It writes no access-log row of its own: the completion's row names the case.
    """
    return list(db.session.scalars(_CASE_INBOX, {"case_id": task.case_id, "area_id": user.area_id, "user_id": user.id,
                                                 "roles": sorted(user.roles), "limit": InboxFilter.limit}))


# inbox_query for one case (InboxFilter(case_id=...)), built once: a statement keeps its cache key
_CASE_INBOX = (select(HumanTask)
               .where(_visible_to(bindparam("area_id"), bindparam("user_id"), bindparam("roles", expanding=True)),
                      HumanTask.case_id == bindparam("case_id"))
               .order_by(*SORTS["due"]).limit(bindparam("limit")))


def _task_data(wf: Any, task_uuid: str, submitted: dict[str, Any]) -> dict[str, Any]:
    """The completed step's data as the process saw it (the form answers and what the process carried)."""
    from uuid import UUID

    try:
        return {**wf.get_task_from_id(UUID(task_uuid)).data, **submitted}
    except Exception:  # noqa: BLE001 - a finished instance may have pruned nothing; fall back to the answers
        return dict(submitted)
