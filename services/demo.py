"""Demo data: two MAPPA areas, one user per role, and cases spread over the lifecycle (idempotent)."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, inspect, select

from services import clock, disclosures
from services.auth import hash_password, user_by_username
from services.cases import create_referral
from services.catalogue import sync_shipped_models
from services.db import db
from services.models import Area, HumanTask, MappaCase, MappMeeting, User
from services.tasks import complete
from workflows.coverage import COVERAGE
from workflows.lanes import agency_of

AREAS = {"northshire": "Northshire", "southmoor": "Southmoor"}
# username, display name, agency, roles, area
USERS = [
    ("coordinator", "Cora Ordinator", "MAPPA Unit", {"coordinator"}, "northshire"),
    ("administrator", "Adam Ministrator", "MAPPA Unit", {"administrator"}, "northshire"),
    ("police", "PC Pat Rolman", "Police", {"police", "referrer"}, "northshire"),
    ("probation", "Petra Obation", "Probation", {"offender_manager", "referrer"}, "northshire"),
    ("prison", "Priya Son", "Prison", {"prison", "referrer"}, "northshire"),
    ("housing", "Hugo Using", "Housing", {"housing", "referrer"}, "northshire"),
    ("health", "Helen Health", "Health", {"health", "referrer"}, "northshire"),
    ("chair", "Charles Chair", "Probation", {"chair"}, "northshire"),
    ("manager", "Mona Manager", "Probation", {"manager"}, "northshire"),
    ("owner", "Owen Owner", "MAPPA Unit", {"process_owner"}, "northshire"),
    # duty-to-co-operate agencies: each sees only the cases it works on (services.access)
    ("childrens_services", "Chloe Carer", agency_of("childrens_social_care"), {"childrens_social_care", "referrer"},
     "northshire"),
    ("yot", "Yusuf Oti", agency_of("youth_offending_team"), {"youth_offending_team", "referrer"}, "northshire"),
    ("victim_liaison", "Vicky Lyons", agency_of("victim_liaison"), {"victim_liaison"}, "northshire"),
    ("south_coordinator", "Sam South", "MAPPA Unit", {"coordinator"}, "southmoor"),
    # the Strategic Management Board's lay adviser: aggregated figures only (the SMB pack), never a case
    ("lay_adviser", "Laila Adviser", agency_of("lay_adviser"), {"lay_adviser"}, "northshire"),
    # the Board's chair: its business plan and audits, and the serious case reviews it decides (services.sfo)
    ("smb_chair", "Sunita Board", agency_of("smb_chair"), {"smb_chair"}, "northshire"),
]
FIRST = ["Adam", "Brian", "Carl", "Dean", "Errol", "Frank", "Gary", "Harry", "Ian", "Jack", "Kevin", "Liam", "Mark",
         "Neil", "Owen", "Paul", "Ross", "Steve", "Tom", "Wayne"]
LAST = ["Ashby", "Brook", "Carter", "Dunn", "Ellis", "Foster", "Green", "Hale", "Irwin", "Jones", "Kemp", "Lowe",
        "Marsh", "Nash", "Oakes", "Price", "Reed", "Shaw", "Turner", "Walsh"]
STAGES = ["referred", "returned", "screening", "level1", "level2", "level3", "review_due", "overdue", "exited",
          "not_eligible", "identified", "custody", "early_review", "action", "transferred"]


@dataclass
class SeedResult:
    passwords: list[tuple[str, str, str]] = field(default_factory=list)
    cases_created: int = 0
    meetings_created: int = 0


def demo_users_present() -> list[str]:
    """The demo users in this database (production mode refuses to start while any exist)."""
    if not inspect(db.engine).has_table(User.__tablename__):
        return []  # a database not yet migrated has no users at all
    names = [username for username, *_rest in USERS]
    return sorted(db.session.scalars(select(User.username).where(User.username.in_(names))))


def new_password(username: str) -> str:
    user = user_by_username(username)
    if user is None:
        raise LookupError(f"no user {username!r}")
    password = secrets.token_urlsafe(12)
    user.password_hash = hash_password(password)
    return password


def seed(case_count: int = 30) -> SeedResult:
    with COVERAGE.paused():  # demo loading is not a test of the models
        return _seed(case_count)


def _seed(case_count: int) -> SeedResult:
    result = SeedResult()
    sync_shipped_models()
    areas = {}
    for code, name in AREAS.items():
        area = db.session.scalars(select(Area).where(Area.code == code)).first()
        if area is None:
            area = Area(code=code, name=name)
            db.session.add(area)
            db.session.flush()
        areas[code] = area
    for username, display, agency, roles, area_code in USERS:
        if user_by_username(username) is not None:
            continue
        password = secrets.token_urlsafe(12)
        user = User(username=username, display_name=display, agency=agency, area_id=areas[area_code].id,
                    password_hash=hash_password(password), active=True)
        user.roles = roles
        db.session.add(user)
        result.passwords.append((username, password, ",".join(sorted(roles))))
    db.session.flush()
    existing = db.session.scalar(select(func.count(MappaCase.id)))  # demo cases start in Northshire; some move
    rng = random.Random(2026)
    for index in range(existing or 0, case_count):
        _demo_case(index, rng)
        result.cases_created += 1
    if case_count and not db.session.scalar(select(func.count(MappMeeting.id))):
        result.meetings_created = _demo_meetings()
    return result


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), clock.LONDON).astimezone(UTC)


def _demo_meetings() -> int:
    """A Level 3 meeting held last week with approved minutes, a Level 2 meeting in progress today, and
    fortnightly Level 2 and monthly Level 3 slots ahead with their agendas offered."""
    from services import meetings

    admin, chair = _user("administrator"), _user("chair")
    today = clock.today()
    with clock.as_of(_at(today - timedelta(days=10), 9)):
        [held] = meetings.schedule(admin, level=3, starts_at=_at(today - timedelta(days=7), 10), chair="chair",
                                   venue="Northshire Police HQ, room 4")
        [live] = meetings.schedule(admin, level=2, starts_at=_at(today, 10), chair="chair",
                                   online_link="https://meet.northshire.example/mappa-l2")
        meetings.build_agenda(admin, held.id)
    with clock.as_of(_at(today - timedelta(days=7), 12)):
        meetings.open_meeting(chair, held.id)
        for item in held.items:
            _approved_minutes(admin, chair, held, item.case)
        meetings.close_meeting(chair, held.id)
    meetings.build_agenda(admin, live.id)
    _research_done(live)
    meetings.open_meeting(chair, live.id)
    if live.items:
        meetings.save_minutes(admin, live.id, live.items[0].case_id, {
            "summary": "Risk discussed with all agencies present.", "attendees": "Police, Probation, Housing"}, None)
    ahead = meetings.schedule(admin, level=2, starts_at=_at(today + timedelta(days=14), 10), chair="chair",
                              venue="Northshire Civic Centre", repeat_weeks=2, occurrences=4)
    ahead += meetings.schedule(admin, level=3, starts_at=_at(today + timedelta(days=21), 14), chair="chair",
                               venue="Northshire Police HQ, room 4", repeat_weeks=4, occurrences=2)
    for meeting in (ahead[0], ahead[4]):
        meetings.build_agenda(admin, meeting.id)
    return 2 + len(ahead)


def _research_done(meeting: MappMeeting) -> None:
    """Today's meeting had its research done beforehand; the police flagged one concern to the chair."""
    for n, item in enumerate(meeting.items):
        for step, username in (("police_research", "police"), ("om_research", "probation"),
                               ("prison_research", "prison")):
            for task in _ready(item.case, step):
                flagged = n == 0 and step == "police_research"
                complete(_user(username), task.id, {
                    "issues_of_concern": "Seen twice near the victim's workplace this month." if flagged
                    else "Nothing new since the last review.", "flag_to_chair": flagged})


def _approved_minutes(admin: User, chair: User, meeting: MappMeeting, case: MappaCase) -> None:
    from services import meetings

    review = (clock.today() + timedelta(weeks=6)).isoformat()
    meetings.save_minutes(admin, meeting.id, case.id, {
        "summary": "All agencies shared information; risk remains very high to a known adult.",
        "attendees": "Police (DI Khan), Probation (SPO Reid), Housing, Children's social care",
        "risk_assessment": "Very high risk of serious harm to the ex-partner.",
        "rmp_monitoring_control": "Exclusion zone; electronic monitoring.",
        "level_decision": {"decision": "level_3", "rationale": "Senior oversight still needed."},
        "next_review_date": review,
        "actions": [{"description": "Joint home visit", "owner_role": "police", "owner_agency": "Police",
                     "due": (clock.today() + timedelta(days=14)).isoformat()}],
    }, None)
    minutes = meetings.submit_for_approval(admin, meeting.id, case.id)
    disclosures.record_decision(chair, case.id, {  # a Level 2/3 review considers disclosure every time
        "decision": "not_disclose", "reason_not_disclosed": "Not necessary: the exclusion zone protects her."},
        minutes.id)
    complete(chair, _task(case, "approve_minutes").id, {"approval": "approve"})


def _task(case: MappaCase, bpmn_id: str) -> HumanTask:
    return db.session.scalars(select(HumanTask).where(
        HumanTask.case_id == case.id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "ready")).one()


def _user(name: str) -> User:
    user = user_by_username(name)
    assert user is not None
    return user


def _offender(rng: random.Random, today: date) -> dict[str, Any]:
    return {"offender_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "date_of_birth": (today - timedelta(days=rng.randint(20 * 365, 70 * 365))).isoformat(),
            "crn": f"X{rng.randint(100000, 999999)}", "lead_agency": "Probation"}


def _demo_case(index: int, rng: random.Random) -> MappaCase:
    stage = STAGES[index % len(STAGES)]
    today = clock.today()
    if stage in ("identified", "custody"):
        return _identified_case(stage, rng, today)
    referrer = _user(rng.choice(["probation", "police", "prison", "housing"]))
    # Category 3 is only ever managed at Level 2 or 3 (services.levels)
    category = 3 if stage == "not_eligible" else rng.choice([1, 1, 1, 2, 2, 4] if stage == "level1" else
                                                           [1, 1, 1, 2, 2, 3, 4])
    level_requested = 3 if stage == "level3" else 2
    data = _offender(rng, today) | {
        "category": category, "level_requested": level_requested, "custody": False,
        "rosh": rng.choice(["high", "very_high"]) if level_requested == 3 else rng.choice(["medium", "high"]),
        "senior_resources_needed": level_requested == 3, "victims_flag": rng.random() < 0.6,
        "children_flag": rng.random() < 0.4, "vulnerable_adults_flag": rng.random() < 0.2,
        "referral_reason": "Demo referral: escalating behaviour reported by partner agencies.",
    }
    if level_requested == 3:
        data["level3_reason"] = "Needs senior police and probation representation to authorise resources."
    if category == 1:
        data["notification_end"] = (today + timedelta(days=rng.randint(400, 3000))).isoformat()
    case = create_referral(referrer, data)
    if stage == "referred":
        return case
    coordinator = _user("coordinator")
    if stage == "returned":
        complete(coordinator, _task(case, "check_referral").id,
                 {"referral_complete": "no", "missing_information": "Section 6 needs the victim issues."})
        return case
    complete(coordinator, _task(case, "check_referral").id, {"referral_complete": "yes"})
    if stage == "screening":
        return case
    outcome = {"level1": "rejected_level_1", "level3": "accepted_level_3", "not_eligible": "not_mappa_managed"}.get(
        stage, "accepted_level_2")
    first_due = {"review_due": today + timedelta(days=7), "overdue": today,
                 "early_review": today + timedelta(days=25),
                 "level3": today + timedelta(days=12),  # due at the Level 3 meeting held in the demo
                 }.get(stage, today + timedelta(days=rng.randint(10, 27)))
    complete(coordinator, _task(case, "screening_decision").id, {
        "screening_outcome": outcome, "screening_rationale": "Demo screening decision.",
        "first_review_due": first_due.isoformat()})
    for task in _ready(case, "visor_record"):  # ViSOR work follows an accepted screening
        complete(_user("police"), task.id, {"visor_reference": f"VS{rng.randint(10000, 99999)}"})
    if stage == "overdue":
        _backdate_open_tasks(case, days=5)
    elif stage == "early_review":
        from services.lifecycle import request_early_review

        request_early_review(_user("police"), case.id, "intelligence", "Seen near the victim's home.")
    elif stage == "action":
        from services.lifecycle import agree_action

        agree_action(coordinator, case.id, "Home visit with the police offender manager", "police",
                     today + timedelta(days=10))
        agree_action(coordinator, case.id, "Check the partner's children are safe at the new address",
                     "childrens_social_care", today + timedelta(days=7))
    elif stage == "transferred":
        from services.lifecycle import transfer

        transfer(coordinator, case.id, "southmoor", "Moved to approved premises in Southmoor.")
    elif stage == "exited":
        _fire_now(case)
        for task in _ready(case, "meeting_review"):
            complete(_user("chair"), task.id, {"review_outcome": "exit", "review_rationale": "Risk reduced."})
        for task in _ready(case, "confirm_exit"):
            complete(coordinator, task.id, {"exit_decision": "exit", "exit_reason": "meeting_decision",
                                            "exit_date": today.isoformat(),
                                            "early_exit_reason": "Recalled to custody on a new sentence."})
    return case


def _identified_case(stage: str, rng: random.Random, today: date) -> MappaCase:
    from services.cases import identify_offender

    data = _offender(rng, today) | {"category": rng.choice([1, 2]), "custody": stage == "custody",
                                    "sentence_date": (today - timedelta(days=1)).isoformat()}
    if stage == "custody":
        data["release_date"] = (today + timedelta(days=rng.randint(150, 400))).isoformat()
    if data["category"] == 1:  # identified by sentence: the notification period is known
        data["notification_end"] = (today + timedelta(days=rng.randint(1500, 3600))).isoformat()
    return identify_offender(_user("prison" if stage == "custody" else "probation"), data)


def _backdate_open_tasks(case: MappaCase, days: int) -> None:
    """Demo only: a review that was due a few days ago and has not been held."""
    for task in _ready(case, "meeting_review"):
        task.due_date = clock.today() - timedelta(days=days)
        task.overdue = True
    case.next_review_due = clock.today() - timedelta(days=days)


def _ready(case: MappaCase, bpmn_id: str) -> list[HumanTask]:
    return list(db.session.scalars(select(HumanTask).where(
        HumanTask.case_id == case.id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "ready")))


def _fire_now(case: MappaCase) -> None:
    """Bring an exiting demo case's review forward so its review task exists now."""
    from services.instances import ENGINE, load, lock, save
    from services.models import ProcessInstance

    instance = db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.case_id == case.id, ProcessInstance.status == "running")).first()
    if instance is None or instance.next_timer_at is None:
        return
    fire_at = instance.next_timer_at + timedelta(minutes=1)
    instance = lock(instance.id)
    wf = load(instance)
    result = ENGINE.fire_due_timers(wf, fire_at)
    save(instance, case, wf, result, None)
