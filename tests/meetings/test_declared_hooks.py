"""Domain hooks are declared on the tasks of a model, not matched on BPMN ids: a model republished with its task
ids renamed keeps working, and a model declaring a hook the services do not know is refused at publication."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from services.catalogue import BPMN_DIR, publish
from services.clock import Clock
from services.db import db
from services.models import HumanTask
from tests.api.conftest import Api
from tests.factories import considered_disclosure
from tests.meetings.test_meeting_cycle import level2_case
from tests.meetings.test_meeting_lifecycle_http import _build, _complete, _post, _schedule, _task, _write_minutes
from workflows import ModelError


def _renamed(filename: str, old: str, new: str) -> dict[str, bytes]:
    """The shipped model with one task id renamed wherever the id is used (not its form or hook names)."""
    text = (BPMN_DIR / filename).read_text()
    for pattern in ('id="{}"', 'id="{}_di"', "<bpmn:flowNodeRef>{}<", 'Ref="{}"', 'bpmnElement="{}"'):
        text = text.replace(pattern.format(old), pattern.format(new))
    return {filename: text.encode()}


def _with_hook(filename: str, hook: str, other: str) -> dict[str, bytes]:
    text = (BPMN_DIR / filename).read_text().replace(f'name="hook" value="{hook}"', f'name="hook" value="{other}"')
    return {filename: text.encode()}


def test_models_republished_with_renamed_task_ids_still_trigger_their_hooks(app: Flask, api: Api, clock: Clock) -> None:
    assert publish("mappa_review", "Review period", _renamed("review.bpmn", "meeting_review", "panel_review"), "owner")
    assert publish("mappa_minutes", "Minutes", _renamed("minutes.bpmn", "approve_minutes", "chair_signs_off"), "owner")
    db.session.commit()
    case = level2_case(api.users, "Adam Ashby", "2026-12-14")
    meeting_id = _schedule(api)
    assert _build(api, meeting_id) == [case.id]  # its review is found by its hook
    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    _post(api, "chair", f"/api/v1/meetings/{meeting_id}/open")
    _write_minutes(api, meeting_id, case.id, "level_3", "2027-01-20")
    _complete(api, "administrator", _task(api, "administrator", case.id, "Write minutes"), {"minutes_ready": "yes"})
    considered_disclosure(case.id)
    _complete(api, "chair", _task(api, "chair", case.id, "Approve minutes"), {"approval": "approve"})

    view: dict[str, Any] = api.get("coordinator", f"/api/v1/cases/{case.id}").get_json()
    assert (view["level"], view["status"], view["next_review_due"]) == (3, "level 3", "2027-01-20")
    db.session.expire_all()
    done = {
        t.bpmn_id: t.hook
        for t in db.session.scalars(
            select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == "completed")
        )
    }
    assert done["chair_signs_off"] == "minutes_approval" and done["panel_review"] == "meeting_review"


def test_a_model_declaring_an_unknown_hook_is_refused_at_publication(app: Flask) -> None:
    files = _with_hook("minutes.bpmn", "minutes_approval", "minutes_aproved")
    with pytest.raises(ModelError) as refused:
        publish("mappa_minutes", "Minutes", files, "owner")
    assert "user task 'Approve minutes' declares hook 'minutes_aproved', which the services do not know" in str(
        refused.value
    )
    assert (
        publish("mappa_minutes", "Minutes", {"minutes.bpmn": (BPMN_DIR / "minutes.bpmn").read_bytes()}, "owner")
        is not None
    )  # the shipped model is fine
