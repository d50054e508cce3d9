"""Strategic Management Board governance (MAPPA.md sections 1 and 14): the annual audit sample and its scores, and
the SMB business plan.

The audit sample: the coordinator or a manager draws, for a year ending 31 March, the area settings' number of
Level 2 and of Level 3 cases discussed at the year's MAPP meetings, and of the meetings themselves, at random with a
recorded seed (the same seed over the same cases draws the same sample). Each sampled item is an instance of
bpmn/smb_audit.bpmn on its case (a meeting's on the first case of its agenda still in the area): a task for the
coordinator scored against the national tool (forms/smb_case_audit.json, MAPPA K; forms/smb_meeting_audit.json,
MAPPA L), due the date the sample sets, chased by the manager when late. The summary counts each question's answers:
figures, no names.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from services import clock, dates, forms
from services.access import log_access, log_case_list
from services.annual import parse_year_ending, year_start
from services.db import db, insert_unless_present
from services.errors import Conflict, FieldError, NotFound, ValidationFailed
from services.instances import phase_data, start_phase
from services.models import AgendaItem, HumanTask, MappaCase, MappMeeting, SmbAudit, SmbAuditItem, User
from services.settings import area_settings

AUDIT_FORMS: dict[str, str] = {"case": "smb_case_audit", "meeting": "smb_meeting_audit"}  # kind -> its audit tool
AUDIT_LEVELS = (2, 3)
SEED_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class Question:
    key: str
    title: str
    counts: dict[str, int]  # answer label -> how many audits gave it

    @property
    def answered(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ToolSummary:
    kind: str
    title: str
    audited: int
    sampled: int
    questions: list[Question]


def pick(candidates: list[int], count: int, rng: random.Random) -> list[int]:
    """``count`` of the ids (all of them if fewer), drawn by ``rng`` from the ids in ascending order."""
    ordered = sorted(candidates)
    return sorted(rng.sample(ordered, min(count, len(ordered))))


def _window(year_ending: date) -> tuple[datetime, datetime]:
    """The year's first and first-after instants, by London days."""
    first, after = year_start(year_ending), year_ending + timedelta(days=1)
    return (datetime.combine(first, time(), tzinfo=clock.LONDON), datetime.combine(after, time(), tzinfo=clock.LONDON))


def _meetings_held(area_id: int, year_ending: date) -> Any:
    first, after = _window(year_ending)
    return (select(MappMeeting.id).where(MappMeeting.area_id == area_id, MappMeeting.status != "cancelled",
                                         MappMeeting.starts_at >= first, MappMeeting.starts_at < after,
                                         MappMeeting.starts_at <= clock.now()))


def case_candidates(area_id: int, year_ending: date, level: int) -> list[int]:
    """The area's cases at ``level`` discussed at a MAPP meeting held in the year."""
    return list(db.session.scalars(
        select(MappaCase.id).join(AgendaItem, AgendaItem.case_id == MappaCase.id)
        .where(AgendaItem.meeting_id.in_(_meetings_held(area_id, year_ending)), MappaCase.level == level,
               MappaCase.area_id == area_id).distinct()))


def meeting_candidates(area_id: int, year_ending: date) -> list[int]:
    """The area's MAPP meetings held in the year that discussed at least one case the area still manages (the
    meeting's audit is a task on such a case, so it stays in the area's inbox)."""
    return list(db.session.scalars(
        select(AgendaItem.meeting_id).join(MappaCase, MappaCase.id == AgendaItem.case_id)
        .where(AgendaItem.meeting_id.in_(_meetings_held(area_id, year_ending)), MappaCase.area_id == area_id)
        .distinct()))


def _audited_case(meeting: MappMeeting) -> MappaCase:
    """The case a meeting's audit runs on: its first agenda item's case that is still the meeting's area's."""
    return next(item.case for item in meeting.items if item.case.area_id == meeting.area_id)


def _seed(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return secrets.randbelow(SEED_LIMIT)
    if not raw.strip().isdigit() or int(raw) > SEED_LIMIT:
        raise ValidationFailed([FieldError("seed", f"Enter the seed as a whole number from 0 to {SEED_LIMIT}, or "
                                                   "leave it blank for a new one")])
    return int(raw)


def _year(raw: str | None) -> date:
    if raw is None or not raw.strip():
        raise ValidationFailed([FieldError("year_ending", "Enter the year the audit covers, ending 31 March")])
    return parse_year_ending(raw.strip())


def _already_drawn(year_ending: date) -> Conflict:
    return Conflict(f"The audit sample for the year ending {dates.long_date(year_ending)} is already drawn")


def draw(user: User, year_raw: str | None, seed_raw: str | None = None) -> SmbAudit:
    """Draw the year's sample (once a year per area), record its seed and rule, and start an audit of each item."""
    year_ending, seed = _year(year_raw), _seed(seed_raw)
    if db.session.scalar(select(SmbAudit.id).where(SmbAudit.area_id == user.area_id,
                                                   SmbAudit.year_ending == year_ending)) is not None:
        raise _already_drawn(year_ending)
    settings = area_settings(user.area_id)
    per_level, meeting_count = settings["smb_audit_cases_per_level"], settings["smb_audit_meetings"]
    rng = random.Random(seed)  # noqa: S311 - reproducible from the recorded seed by design, not a secret
    cases = [case_id for level in AUDIT_LEVELS
             for case_id in pick(case_candidates(user.area_id, year_ending, level), per_level, rng)]
    meeting_ids = pick(meeting_candidates(user.area_id, year_ending), meeting_count, rng)
    if not cases and not meeting_ids:
        raise ValidationFailed([FieldError("year_ending", "No Level 2 or 3 case was discussed at a MAPP meeting "
                                                          "held in that year: there is nothing to audit")])
    # one sample per area and year, whoever draws at the same moment: the unique key decides, the others are told
    audit_id = db.session.scalar(insert_unless_present(SmbAudit, {
        "area_id": user.area_id, "year_ending": year_ending, "seed": seed, "drawn_by_id": user.id,
        "due_on": clock.today() + timedelta(days=settings["smb_audit_days"]), "drawn_at": clock.now(),
        "rule": f"{per_level} cases per level (2 and 3) and {meeting_count} meetings, at random",
    }).returning(SmbAudit.id))
    if audit_id is None:
        raise _already_drawn(year_ending)
    audit = db.session.get_one(SmbAudit, audit_id)
    for case_id in cases:
        _start(user, audit, "case", db.session.get_one(MappaCase, case_id), None)
    for meeting_id in meeting_ids:
        meeting = db.session.get_one(MappMeeting, meeting_id)
        _start(user, audit, "meeting", _audited_case(meeting), meeting)
    log_access(user, "smb_audit_drawn", None, f"year ending {year_ending}: {len(cases)} cases, "
                                              f"{len(meeting_ids)} meetings, seed {seed}")
    return audit


def _start(user: User, audit: SmbAudit, kind: str, case: MappaCase, meeting: MappMeeting | None) -> None:
    item = SmbAuditItem(audit_id=audit.id, kind=kind, case_id=case.id, meeting_id=meeting.id if meeting else None,
                        status="to audit")
    db.session.add(item)
    data = {"audit_kind": kind, "audit_due": audit.due_on.isoformat(),
            "audit_year": f"Year ending {dates.long_date(audit.year_ending)}"}
    if meeting is not None:
        data["audit_meeting"] = f"Level {meeting.level} MAPP meeting of {dates.long_date(meeting.starts_at)}"
    item.process_instance_id = start_phase(case, "smb_audit", phase_data(case, {}) | data, user).id
    log_access(user, "smb_audit_sampled", case.id, f"{kind} audit, year ending {audit.year_ending}")


def on_audited(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    """The audit task completed: its scores are kept on the sampled item, for the SMB's summary."""
    item = db.session.scalars(select(SmbAuditItem).where(SmbAuditItem.process_instance_id == task.instance_id)).first()
    if item is None:
        raise NotFound("audit sample item not found")
    questions = forms.load_form(AUDIT_FORMS[item.kind])["properties"]
    item.answers = {key: data[key] for key in questions if key in data}
    item.status, item.audited_by_id, item.audited_at = "audited", user.id, clock.now()


def audits(user: User) -> list[SmbAudit]:
    return list(db.session.scalars(select(SmbAudit).where(SmbAudit.area_id == user.area_id)
                                   .order_by(SmbAudit.year_ending.desc())))


def audit_for(user: User, audit_id: int) -> SmbAudit:
    """One audit sample of the user's area (else NotFound); seeing its cases is logged."""
    audit = db.session.get(SmbAudit, audit_id)
    if audit is None or audit.area_id != user.area_id:
        log_access(user, "smb_audit_access_refused", None, f"audit {audit_id}")
        raise NotFound("audit not found")
    log_access(user, "smb_audit_viewed", None, f"year ending {audit.year_ending}")
    log_case_list(user, "smb_audit_viewed", [item.case_id for item in audit.items],
                  f"year ending {audit.year_ending}")  # each sampled case is named: its own access log says so
    return audit


def audit_of_year(user: User, year_ending: date) -> SmbAudit | None:
    return db.session.scalars(select(SmbAudit).where(SmbAudit.area_id == user.area_id,
                                                     SmbAudit.year_ending == year_ending)).first()


def summary(audit: SmbAudit) -> list[ToolSummary]:
    """Per audit tool, each question's answers counted over the audited items: figures only, nobody named."""
    tools = []
    for kind, form_key in AUDIT_FORMS.items():
        form = forms.load_form(form_key)
        items = [i for i in audit.items if i.kind == kind]
        done = [i.answers or {} for i in items if i.status == "audited"]
        questions = []
        for key in form["x-order"]:
            prop = form["properties"][key]
            labels: dict[str, str] = prop.get("x-labels", {})
            if not labels:
                continue  # free text (findings) is read on the audit, not counted
            counted = Counter(answers.get(key) for answers in done)
            questions.append(Question(key, prop["title"], {label: counted[value] for value, label in labels.items()}))
        tools.append(ToolSummary(kind, form["title"], len(done), len(items), questions))
    return tools


def open_audit_tasks(audit: SmbAudit) -> dict[int, HumanTask]:
    """Each sampled item's open task (audit or chase), by the item's instance."""
    ids = [i.process_instance_id for i in audit.items if i.process_instance_id]
    rows = db.session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(ids), HumanTask.state == "ready")
                              .order_by(HumanTask.id))
    return {row.instance_id: row for row in rows}

