"""The access matrix: every route (from the URL map) x every role x objects related, unrelated and in another area.

Nothing here lists routes. The expected answer of each call comes from the permission the route's guard names
(services.permissions.PERMISSIONS: roles and relationship) and from what this test's world says each persona is
to each object, never from the code under test. A new route whose parameters name an object this world does not
build fails the test until the world is taught it.

For every call: a role without the permission gets 403; an object in another area, or one the persona has no
relationship to, gets 404; a denied response names no offender; every denial writes a ``*_refused`` security-log
row; an allowed call is neither denied nor a server error, and a list shows no case outside the persona's reach.
"""

from __future__ import annotations

import io
import re
import wave
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from services import meetings, recordings, smb_plan
from services.auth import create_token
from services.db import db
from services.models import AccessLog, Attendance, HumanTask, MappaCase, ProcessInstance, SmbAudit, User
from services.permissions import PERMISSIONS, SUPERVISORS, Scope
from services.studio import drafts, trials
from tests.csods.factories import application as csods_application
from tests.factories import auth_header, csrf_token, make_area, make_user, seeded, sign_in
from tests.meetings.test_meeting_cycle import level2_case
from tests.sfo.world import review_reaches_smb
from workflows.lanes import AREA_WIDE_ROLES, DUTY_TO_COOPERATE_ROLES, ROLE_BY_KEY

PERSONAS = [*sorted(ROLE_BY_KEY), "process_owner"]
WRITE_METHODS = ("POST", "PUT")
LAST = {"auth.sign_out"}  # ends the session: called once, after everything else


@dataclass
class Target:
    """One object a route is called on, and what the persona is to it."""

    values: dict[str, int | str]
    kind: str  # "related", "unrelated" (own area), "other_area"


@dataclass
class World:
    persona: User
    targets: dict[frozenset[str], list[Target]]
    names_by_case: dict[int, list[str]]  # what would identify each case in a response
    visible_cases: set[int]  # the cases this persona may read (as the world was built)
    token: str = ""
    notes: list[str] = field(default_factory=list)


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)
    return out.getvalue()


def _instance(case: MappaCase) -> int:
    return db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.case_id == case.id)
                              .order_by(ProcessInstance.id)).first() or 0


def build_world(role: str) -> World:
    users = seeded()
    north = users["coordinator"].area
    south = make_area("southmoor")
    persona = make_user(f"as_{role}", {role}, north, agency=ROLE_BY_KEY[role].agency if role in ROLE_BY_KEY
                        else "MAPPA Unit", display_name=f"Persona {role}")
    south_users = {r: make_user(f"south_{r}", {r}, south, agency=ROLE_BY_KEY[r].agency)
                   for r in ("offender_manager", "police", "administrator", "chair")}
    south_users["probation"] = south_users["offender_manager"]
    south_users["probation"].roles = {"offender_manager", "referrer"}
    south_users["coordinator"] = users["south_coordinator"]
    db.session.commit()

    related = level2_case(users, "Xavier Related", "2026-12-14")
    unrelated = level2_case(users, "Yusuf Unrelated", "2026-12-22")
    unrelated.next_review_due = datetime(2027, 2, 20, tzinfo=UTC).date()  # due at the February meeting only
    other = level2_case(south_users, "Zachary Elsewhere", "2026-12-14")
    if role == "referrer":
        related.referrer_id = persona.id
    if role == "smb_chair":  # the SMB chair works on a case once its serious further offence review reaches them
        review_reaches_smb(users, related)
    admin, south_admin = users["administrator"], south_users["administrator"]
    [m_related] = meetings.schedule(admin, level=2, starts_at=datetime(2026, 12, 10, 10, tzinfo=UTC),
                                    chair=persona.username if role == "chair" else "chair", venue="Northshire HQ")
    [m_unrelated] = meetings.schedule(admin, level=2, starts_at=datetime(2027, 2, 1, 10, tzinfo=UTC),
                                      chair="chair", venue="Northshire HQ")
    [m_other] = meetings.schedule(south_admin, level=2, starts_at=datetime(2026, 12, 10, 10, tzinfo=UTC),
                                  chair="south_chair", venue="Southmoor HQ")
    assert [i.case_id for i in meetings.build_agenda(admin, m_related.id)] == [related.id]
    assert [i.case_id for i in meetings.build_agenda(admin, m_unrelated.id)] == [unrelated.id]
    assert [i.case_id for i in meetings.build_agenda(south_admin, m_other.id)] == [other.id]
    # every duty-to-co-operate agency is invited to discuss the related case, none to the unrelated one
    [item] = m_related.items
    invited = {a.agency for a in item.attendance} if hasattr(item, "attendance") else set()
    for agency in sorted({ROLE_BY_KEY[r].agency for r in DUTY_TO_COOPERATE_ROLES} - invited):
        db.session.add(Attendance(meeting_id=m_related.id, agenda_item_id=item.id, agency=agency, status="invited",
                                  updated_at=datetime(2026, 11, 25, tzinfo=UTC)))
    dtc_agencies = {ROLE_BY_KEY[r].agency.lower() for r in DUTY_TO_COOPERATE_ROLES}
    for row in db.session.scalars(select(Attendance).where(Attendance.meeting_id == m_unrelated.id)):
        if row.agency.lower() in dtc_agencies:
            db.session.delete(row)
    recs = [recordings.attach(u, m.id, "meeting.wav", _wav())
            for u, m in ((admin, m_related), (admin, m_unrelated), (south_admin, m_other))]
    db.session.commit()

    area_wide = role in AREA_WIDE_ROLES
    visible = {related.id, unrelated.id} if area_wide else ({related.id} if role != "process_owner" else set())
    if role == "lay_adviser":  # lay advisers see aggregated figures only: no case, not even a related one
        visible = set()

    tasks = list(db.session.scalars(select(HumanTask).where(HumanTask.state == "ready").order_by(HumanTask.id)))
    mine = [t for t in tasks if t.area_id == north.id and (t.role == role or t.assignee_id == persona.id)
            and t.case_id in visible]
    others = [t for t in tasks if t.area_id == north.id and t.role != role and t.assignee_id is None]
    elsewhere = [t for t in tasks if t.area_id == south.id]

    own_token, _ = create_token(persona, "matrix: the token under test")
    colleague = users["administrator"] if role == "coordinator" else users["coordinator"]
    their_token, _ = create_token(colleague, "matrix: a colleague's token")
    south_token, _ = create_token(users["south_coordinator"], "matrix: another area's token")
    _row, token = create_token(persona, "matrix: calling the API")
    model_draft = drafts.create_draft(users["owner"], "mappa_referral", drafts.version_files("mappa_referral", 1), 1)
    # a trial run is its starter's own: the process owner persona's, or (for everyone else, refused by role) owner's
    trial = trials.start_trial(persona if role == "process_owner" else users["owner"], "mappa_referral", version=1,
                               data={"category": 2, "rosh": "high", "senior_resources_needed": False})
    [trial_task] = trials.ready_tasks(trial)
    smb_audits = [SmbAudit(area_id=u.area_id, year_ending=date(2026, 3, 31), seed=7, rule="matrix", drawn_by_id=u.id,
                           due_on=date(2026, 12, 23), drawn_at=datetime(2026, 11, 25, tzinfo=UTC))
                  for u in (users["coordinator"], users["south_coordinator"])]
    db.session.add_all(smb_audits)
    plan_actions = [smb_plan.add(u, {"title": "Audit attendance", "owner_role": "police", "due_on": "2027-01-31",
                                     "status": "not started"})
                    for u in (users["coordinator"], south_users["coordinator"])]
    db.session.commit()
    # Child Sex Offender Disclosure Scheme applications: the area is the relationship (Scope.AREA)
    north_csods, south_csods = csods_application(users["police"]), csods_application(south_users["police"])

    def three(key: str, r: int | None, u: int | None, o: int) -> list[Target]:
        return [t for t in (Target({key: r}, "related") if r else None, Target({key: u}, "unrelated") if u else None,
                            Target({key: o}, "other_area")) if t]

    targets = {
        frozenset({"case_id"}): three("case_id", related.id, unrelated.id, other.id),
        frozenset({"meeting_id"}): three("meeting_id", m_related.id, m_unrelated.id, m_other.id),
        frozenset({"meeting_id", "case_id"}): [
            Target({"meeting_id": m_related.id, "case_id": related.id}, "related"),
            Target({"meeting_id": m_unrelated.id, "case_id": unrelated.id}, "unrelated"),
            Target({"meeting_id": m_other.id, "case_id": other.id}, "other_area")],
        frozenset({"meeting_id", "recording_id"}): [
            Target({"meeting_id": m.id, "recording_id": r.id}, kind)
            for m, r, kind in zip((m_related, m_unrelated, m_other), recs, ("related", "unrelated", "other_area"),
                                  strict=True)],
        frozenset({"task_id"}): three("task_id", mine[0].id if mine else None, others[0].id if others else None,
                                      elsewhere[0].id),
        frozenset({"token_id"}): three("token_id", own_token.id, their_token.id, south_token.id),
        frozenset({"user_id"}): [Target({"user_id": colleague.id}, "related"),
                                 Target({"user_id": users["south_coordinator"].id}, "other_area")],
        frozenset({"instance_id"}): three("instance_id", _instance(related), _instance(unrelated), _instance(other)),
        # process models are national (Scope.NONE): one model, version, file and draft each
        frozenset({"key"}): [Target({"key": "mappa_referral"}, "related")],
        frozenset({"key", "n"}): [Target({"key": "mappa_referral", "n": 1}, "related")],
        frozenset({"key", "n", "name"}): [Target({"key": "mappa_referral", "n": 1, "name": "referral.bpmn"},
                                                 "related")],
        frozenset({"key", "draft_id"}): [Target({"key": "mappa_referral", "draft_id": model_draft.id}, "related")],
        frozenset({"key", "draft_id", "form_key"}): [Target({"key": "mappa_referral", "draft_id": model_draft.id,
                                                             "form_key": "screening"}, "related")],
        frozenset({"trial_id"}): [Target({"trial_id": trial.id}, "related")],
        # a duty-to-co-operate agency as the persona's area set it up (Scope.AREA: one's own area's, by its key)
        frozenset({"agency"}): [Target({"agency": "housing"}, "related")],
        frozenset({"trial_id", "task_id"}): [Target({"trial_id": trial.id, "task_id": trial_task["id"]}, "related")],
        frozenset({"application_id"}): [Target({"application_id": north_csods.id}, "related"),
                                        Target({"application_id": south_csods.id}, "other_area")],
        # SMB objects are an area's, not case data (Scope.AREA): the audit sample, a business plan action
        frozenset({"audit_id"}): [Target({"audit_id": smb_audits[0].id}, "related"),
                                  Target({"audit_id": smb_audits[1].id}, "other_area")],
        frozenset({"plan_action_id"}): [Target({"plan_action_id": plan_actions[0].id}, "related"),
                                        Target({"plan_action_id": plan_actions[1].id}, "other_area")],
    }
    names = {c.id: [c.offender_name, c.reference] for c in (related, unrelated, other)}
    return World(persona, targets, names, visible, token)


def expected(role: str, permission: str, target: Target | None, method: str, holds: bool = False) -> int | None:
    """403, 404, or None for "allowed" (any answer but a denial or a server error)."""
    entry = PERMISSIONS[permission]
    if role not in entry.roles:
        return 403
    if target is None or entry.scope is Scope.NONE:
        return None
    if target.kind == "other_area":
        return None if role in entry.every_area else 404  # a national role holds it in every area
    if entry.scope is Scope.AREA:
        return None
    area_wide = role in AREA_WIDE_ROLES
    if target.kind == "unrelated" and not area_wide:
        return 404  # out of reach: own area, but nothing to do with this persona
    writing = method in WRITE_METHODS
    if entry.scope is Scope.CASE_LEAD:  # no persona leads a case of this world: only the MAPPA unit's may
        return None if role in {"coordinator", "chair", "administrator"} else 403
    if entry.scope is Scope.OWN:  # one's own token; a colleague's only for coordinators and managers
        return None if target.kind == "related" or role in SUPERVISORS else 404
    if entry.scope is Scope.LEAD_AGENCY:  # the manager persona (MAPPA unit) manages no case's lead agency
        return 403 if role == "manager" else None
    if entry.scope is Scope.CHAIR:  # the chair persona chairs the related meeting, not the unrelated one
        return None if target.kind == "related" else 403
    if entry.scope is Scope.HAND_ON:  # a task one does not hold: only supervisors hand it on
        return None if role in SUPERVISORS or holds or not writing else 403
    if entry.scope is Scope.TASK and target.kind == "unrelated":  # another role's: area-wide may look, not work
        return 403 if writing else None
    return None


def _holds(persona: User, target: Target | None) -> bool:
    """Is the persona the task's assignee now (having claimed it earlier in this run)?"""
    if target is None or "task_id" not in target.values or "trial_id" in target.values:
        return False  # (a trial's task id is the engine's uuid, not an inbox task)
    db.session.expire_all()
    task = db.session.get(HumanTask, target.values["task_id"])
    return task is not None and task.assignee_id == persona.id


def _refusals() -> int:
    return db.session.scalar(select(func.count()).select_from(AccessLog)
                             .where(AccessLog.event.like("%refused"))) or 0


def _call(client: FlaskClient, world: World, rule: Rule, method: str, url: str, csrf: str) -> Any:
    if url.startswith("/api/"):
        headers = auth_header(world.token)
        if method == "GET":
            return client.get(url, headers=headers)
        return client.open(url, method=method, headers=headers, json={})
    if method == "GET":
        return client.get(url)
    if method == "PUT":
        return client.put(url, json={}, headers={"X-CSRFToken": csrf})
    return client.post(url, data={"csrf_token": csrf})


def _routes(app: Flask) -> list[tuple[Rule, str]]:
    calls = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        guard = getattr(view, "_mappa_guard", None)
        if guard in (None, "public"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            calls.append((rule, method))
    return sorted(calls, key=lambda c: (c[1] != "GET", c[0].endpoint in LAST, c[0].rule))


@pytest.mark.parametrize("role", PERSONAS)
def test_every_route_as_every_role(app: Flask, client: FlaskClient, role: str) -> None:
    world = build_world(role)
    sign_in(client, world.persona.username)
    csrf = csrf_token(client, "/account/tokens")
    hidden = {name for case_id, names in world.names_by_case.items() if case_id not in world.visible_cases
              for name in names}
    every_name = {name for names in world.names_by_case.values() for name in names}
    failures: list[str] = []
    calls = 0
    for rule, method in _routes(app):
        view = app.view_functions[rule.endpoint]
        permission = view._mappa_write_guard if method in WRITE_METHODS else view._mappa_guard
        args = frozenset(rule.arguments)
        if args and args not in world.targets:
            failures.append(f"{rule.rule}: the matrix does not know which objects {sorted(args)} are")
            continue
        for target in world.targets.get(args, [None]):  # type: ignore[list-item]
            url = rule.build(target.values if target else {}, append_unknown=False)[1]
            want = expected(role, permission, target, method, holds=_holds(world.persona, target))
            before = _refusals()
            response = _call(client, world, rule, method, url, csrf)
            calls += 1
            body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json"))\
                else ""
            response.close()  # file downloads (recordings) hold their file open until closed
            if response.status_code in (302, 303) and method in WRITE_METHODS:
                client.get(response.headers["Location"])  # as a browser does: the message it flashed is read there
            where = f"{method} {url} ({rule.endpoint}, {permission}, {target.kind if target else '-'})"
            if want is not None:
                if response.status_code != want:
                    failures.append(f"{where}: {response.status_code}, expected {want}")
                leaked = sorted(n for n in every_name if n and n in body)
                if leaked:
                    failures.append(f"{where}: denied but names {leaked}")
                if _refusals() <= before:
                    failures.append(f"{where}: denied without a security-log row")
                continue
            if response.status_code in (401, 403, 404) or response.status_code >= 500:
                said = re.sub(r"\s+", " ", body)[:160]
                failures.append(f"{where}: {response.status_code}, expected it allowed: {said!r}")
            leaked = sorted(n for n in hidden if n and n in body)
            if leaked:
                failures.append(f"{where}: shows {leaked}, which {role} may not see")
    assert calls > 100
    assert failures == [], f"{len(failures)} of {calls} calls as {role}:\n" + "\n".join(failures)


def test_the_matrix_knows_every_routes_permission(app: Flask) -> None:
    """Every guard names a permission of the one table (so the matrix above can judge every route)."""
    unknown = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for name in (getattr(view, "_mappa_guard", None), getattr(view, "_mappa_write_guard", None)):
            if name not in (None, "public") and name not in PERMISSIONS:
                unknown.append(f"{rule.rule}: {name}")
    assert unknown == []
