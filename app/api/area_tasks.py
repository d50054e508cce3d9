"""GET /api/v1/area-tasks: the area work list for managers and coordinators (services.area_tasks)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.schemas import AREA_TASK_QUERY, MODELS
from app.area_tasks.filters import parse
from app.security import api_user
from services import clock
from services.area_tasks import PAGE_SIZE, AreaTask, area_tasks
from services.errors import ValidationFailed


def area_task_json(task: AreaTask, today: date) -> dict[str, Any]:
    return {
        "id": task.id, "case_id": task.case_id, "case_reference": task.case_reference, "level": task.level,
        "category": task.category, "step": task.step, "role": task.role, "role_name": task.role_name,
        "agency": task.agency, "assignee": task.assignee,
        "assigned_at": task.assigned_at.isoformat() if task.assigned_at else None, "days_held": task.days_held(today),
        "due": task.due.isoformat() if task.due else None, "days_overdue": task.days_overdue,
        "overdue": task.days_overdue > 0, "due_soon": task.due_soon,
    }


@operation(bp, "GET", "/area-tasks", summary="Every open task in the caller's area", tag="tasks",
           permission="area_tasks:view", query=AREA_TASK_QUERY, check_query=False, errors=(422,),
           description="MAPPA managers and coordinators: the area's open tasks with who holds them, their due date and "
                       "days overdue, most overdue first, 50 a page. Filters combine. The query is read by the area "
                       "work list page's own parser (app.area_tasks.filters), so both say the same on a bad value.",
           responses={200: (MODELS["AreaTaskList"], "One page of tasks and the counts")})
def list_area_tasks() -> ResponseReturnValue:
    filters, errors = parse(request.args)
    if errors:
        raise ValidationFailed(errors)
    page = area_tasks(api_user(), filters)
    today = clock.today()
    counts = page.counts
    return {"tasks": [area_task_json(t, today) for t in page.rows], "page": page.page, "pages": page.pages,
            "page_size": PAGE_SIZE, "counts": {"open": counts.open, "overdue": counts.overdue,
                                               "due_soon": counts.due_soon, "unclaimed": counts.unclaimed}}
