"""A published model whose script tries to escape fails safely: the instance records the error, the process
owner sees it, and nothing else breaks."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.catalogue import BPMN_DIR, publish
from services.db import db
from services.models import CaseEvent, MappaCase, ProcessInstance
from services.tasks import complete
from tests.factories import create_case, ready_task, seeded, sign_in

ESCAPES = {
    "open": "status = open('/etc/passwd').read()",
    "import": "import os\nstatus = os.getcwd()",
    "subclasses": "status = str(().__class__.__base__.__subclasses__())",
}


def _evil_referral_model(script: str) -> bytes:
    original = (BPMN_DIR / "referral.bpmn").read_text()
    task = original.index('name="Record screening outcome"')
    start = original.index("<bpmn:script>", task) + len("<bpmn:script>")
    end = original.index("</bpmn:script>", start)
    return (original[:start] + script.replace("<", "&lt;") + original[end:]).encode()


def _screen(case: MappaCase, users: dict) -> None:
    complete(users["coordinator"], ready_task(case.id, "check_referral").id, {"referral_complete": "yes"})
    complete(users["coordinator"], ready_task(case.id, "screening_decision").id, {
        "screening_outcome": "accepted_level_2", "screening_rationale": "r", "first_review_due": "2026-12-18"})
    db.session.commit()
    if db.session.get(MappaCase, case.id).status != "screening":  # the evil model stops before the ViSOR step
        complete(users["police"], ready_task(case.id, "visor_record").id, {"visor_reference": "VS1"})
        db.session.commit()


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_escaping_script_fails_safely(app: Flask, client: FlaskClient, escape: str) -> None:
    users = seeded()
    good_case = create_case(users["probation"], offender_name="Good Model")
    files = {"referral.bpmn": _evil_referral_model(ESCAPES[escape]),
             "level_suggestion.dmn": (BPMN_DIR / "level_suggestion.dmn").read_bytes()}
    publish("mappa_referral", "Referral and screening", files, actor="owner")
    db.session.commit()
    evil_case = create_case(users["probation"], offender_name="Evil Model")
    _screen(evil_case, users)

    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == evil_case.id)).one()
    assert instance.status == "error"
    assert instance.error and "Record screening outcome" in instance.error
    assert "root:" not in instance.error  # nothing from /etc/passwd leaked into the record
    # no half-written outcome: the case is as the referral check left it (screening), not as the failed step set it
    assert db.session.get(MappaCase, evil_case.id).status == "screening"
    kinds = [e.kind for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == evil_case.id))]
    assert "incident_raised" in kinds

    sign_in(client, "owner")
    page = client.get("/admin/incidents").get_data(as_text=True)
    assert "Record screening outcome" in page and evil_case.reference in page  # named as a coordinator would

    _screen(good_case, users)  # pinned to version 1: unaffected
    assert db.session.get(MappaCase, good_case.id).status == "level 2"


def test_sandbox_never_touched_the_file_system(tmp_path: Path) -> None:
    from workflows.scripting import RestrictedEnvironment

    target = tmp_path / "written"
    env = RestrictedEnvironment()
    with pytest.raises(NameError):
        env.execute(f"open({str(target)!r}, 'w').write('x')", {})
    assert not target.exists()
