"""Typed SQLAlchemy models. The case outlives its process instances; human_task is the inbox projection."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.db import db

if TYPE_CHECKING:
    from services.db import Base as Model
else:
    Model = db.Model


class Area(Model):
    __tablename__ = "area"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class User(Model):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(80))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles_text: Mapped[str] = mapped_column("roles", String(400), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    area: Mapped[Area] = relationship(lazy="joined")

    # Flask-Login's user protocol
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_id

    @property
    def session_id(self) -> str | None:
        """The sign-in session this user object was loaded through (Flask-Login stores it as the user id)."""
        return self.__dict__.get("_session_id")

    @session_id.setter
    def session_id(self, value: str | None) -> None:
        self.__dict__["_session_id"] = value

    @property
    def area_name(self) -> str:
        return self.area.name

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r for r in self.roles_text.split(",") if r)

    @roles.setter
    def roles(self, value: Any) -> None:
        self.roles_text = ",".join(sorted(set(value)))


class UserSession(Model):
    """Server-side sign-in sessions: the cookie only carries this row's random id."""

    __tablename__ = "user_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ApiToken(Model):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship()


class IdempotentRequest(Model):
    """A change made through the API with an ``Idempotency-Key``: what was asked and what was answered, so that a
    client whose connection dropped can send it again and learn the outcome instead of doing it twice.
    Stored in the change's own transaction: either both are there or neither."""

    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and body
    status: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(index=True)


class SignInCounter(Model):
    """Failed sign-ins counted in the database (so every worker sees them): one row per attempted username
    (``account:<name>``, known or not) and per client address (``address:<ip>``, ``token:<ip>``).
    services.lockout keeps them with conditional statements."""

    __tablename__ = "sign_in_counter"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime]  # start of the address's counting window
    locked_at: Mapped[datetime | None]  # an account: when its failures reached the limit


class ProcessModel(Model):
    """One published version of a process model (BPMN and DMN files). Instances are pinned to a version."""

    __tablename__ = "process_model"
    __table_args__ = (UniqueConstraint("process_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    checksum: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime]
    published_by: Mapped[str] = mapped_column(String(80))
    retired_at: Mapped[datetime | None]  # retired: no new instance starts on it; running ones carry on
    retired_by: Mapped[str | None] = mapped_column(String(80))


class ModelDraft(Model):
    """An unpublished edit of a process model (BPMN, DMN and ``forms/<key>.json`` files), saved by the studio.

    ``version`` counts saves (the ETag ``"d<id>v<version>"``); publishing makes it a ProcessModel version.
    """

    __tablename__ = "model_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80), index=True)
    name: Mapped[str] = mapped_column(String(200))
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    base_version: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, published, discarded
    published_version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(80))
    updated_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ModelTrial(Model):
    """A sandboxed trial run of a draft (or a published version), owned by the process owner who started it.

    Not a case: the serialised workflow lives here only (no MappaCase, HumanTask or history rows). ``path`` lists the
    BPMN ids completed, in order; ``trial_time`` is the trial's own clock, moved forward to fire its timers.
    """

    __tablename__ = "model_trial"
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(80))
    draft_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int | None] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))  # of the files the trial runs: a draft saved since is refused
    state: Mapped[str] = mapped_column(Text)
    path: Mapped[list[str]] = mapped_column(JSON)
    trial_time: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # running, completed, error
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(80), index=True)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MappaCase(Model):
    """The long-lived MAPPA case: the facts screens and statistics need, projected from workflow data."""

    __tablename__ = "mappa_case"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    offender_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    pnc_id: Mapped[str | None] = mapped_column(String(40))
    crn: Mapped[str | None] = mapped_column(String(40))
    visor_reference: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[int] = mapped_column(Integer)
    level: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(40), index=True)
    lead_agency: Mapped[str] = mapped_column(String(80))
    lead_officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    referrer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    custody: Mapped[bool] = mapped_column(Boolean, default=False)
    release_date: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(Text)  # where the offender lives now (services.lifecycle)
    address_since: Mapped[date | None] = mapped_column(Date)
    sentence_date: Mapped[date | None] = mapped_column(Date)
    licence_end: Mapped[date | None] = mapped_column(Date)
    notification_end: Mapped[date | None] = mapped_column(Date)
    notification_indefinite: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    notification_review_due: Mapped[date | None] = mapped_column(Date)  # indefinite notification's review point
    victims_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    children_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    vulnerable_adults_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    next_review_due: Mapped[date | None] = mapped_column(Date, index=True)
    exit_reason: Mapped[str | None] = mapped_column(String(200))
    exit_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    area: Mapped[Area] = relationship(lazy="joined")
    lead_officer: Mapped[User | None] = relationship(foreign_keys=[lead_officer_id])
    referrer: Mapped[User | None] = relationship(foreign_keys=[referrer_id])


class ProcessInstance(Model):
    """One phase of a case (referral and screening, one review period, exit) as a SpiffWorkflow instance."""

    __tablename__ = "process_instance"
    # the sweep's due timers: running instances in next-timer order, an index range up to now (migration 0018)
    __table_args__ = (Index("ix_process_instance_running_timer", "status", "next_timer_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"))
    phase: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)  # running, completed, error
    state: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    model: Mapped[ProcessModel] = relationship(lazy="joined", innerjoin=True)


class HumanTask(Model):
    """Inbox projection of READY and finished user tasks, rewritten with each instance save."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_ready_inbox", "area_id", "role", "assignee_id", "due_date",
              sqlite_where=text("state = 'ready'"), postgresql_where=text("state = 'ready'")),
        # the inbox's parts (services.tasks._inbox_parts), each walked in the page's order: see migration 0018
        Index("ix_human_task_inbox_assigned", "area_id", "assignee_id", "due_date", "id",
              sqlite_where=text("state = 'ready' AND assignee_id IS NOT NULL"),
              postgresql_where=text("state = 'ready' AND assignee_id IS NOT NULL")),
        Index("ix_human_task_inbox_unclaimed", "area_id", "role", "due_date", "id",
              sqlite_where=text("state = 'ready' AND assignee_id IS NULL"),
              postgresql_where=text("state = 'ready' AND assignee_id IS NULL")),
        # the sweep's overdue marking: ready tasks by whether they are marked, then due date
        Index("ix_human_task_ready_overdue", "overdue", "due_date",
              sqlite_where=text("state = 'ready'"), postgresql_where=text("state = 'ready'")),
        Index("ix_human_task_assignee", "assignee_id", "state"),
        Index("ix_human_task_hook", "hook", "state"),
        Index("ix_human_task_area_open", "area_id", "due_date", "id",  # the area work list, in due-date order
              sqlite_where=text("state = 'ready'"), postgresql_where=text("state = 'ready'")),
        Index("ix_human_task_area_created", "area_id", "created_at",  # the trends: overdue at each month's end
              sqlite_where=text("due_date IS NOT NULL"), postgresql_where=text("due_date IS NOT NULL")),
        # the reminders' rules (services.reminders): ready tasks not yet reminded, in due date order (0021)
        Index("ix_human_task_unreminded_overdue", "due_date", "id",
              sqlite_where=text("state = 'ready' AND overdue_reminded_at IS NULL"),
              postgresql_where=text("state = 'ready' AND overdue_reminded_at IS NULL")),
        Index("ix_human_task_unescalated", "due_date", "id",
              sqlite_where=text("state = 'ready' AND escalated_at IS NULL"),
              postgresql_where=text("state = 'ready' AND escalated_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    task_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    bpmn_id: Mapped[str] = mapped_column(String(80))
    hook: Mapped[str | None] = mapped_column(String(40))  # the domain hook the step declares (services.hooks)
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(40))
    form_key: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(20))  # ready, completed, cancelled
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime | None]  # when the current assignee got it (claimed, handed or bound at creation)
    due_date: Mapped[date | None] = mapped_column(Date)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    done_on: Mapped[date | None] = mapped_column(Date)  # when the work counts as done, if not the completion day
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # workflow data the step's page shows
    overdue_reminded_at: Mapped[datetime | None]  # when the overdue reminder was recorded (services.reminders)
    escalated_at: Mapped[datetime | None]  # when the escalation was recorded
    case: Mapped[MappaCase] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])


class CaseEvent(Model):
    """The case history: who did what, when, and what changed."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_kind_at", "kind", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(String(400))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    actor: Mapped[User | None] = relationship()


class VisorChange(Model):
    """A MAPP meeting or a change of a case (level, lead, release date) that its ViSOR user must record. It is
    carried by the case's open 'Update ViSOR' process until that task is completed; the history keeps it after."""

    __tablename__ = "visor_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # services.visor.KINDS
    summary: Mapped[str] = mapped_column(String(400))
    happened_at: Mapped[datetime]
    recorded_at: Mapped[datetime | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_on: Mapped[date | None] = mapped_column(Date)  # the day the ViSOR user says it went on ViSOR


class AccessLog(Model):
    """Who read or changed which case data, when (DPA 2018 s.62 logging)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    event: Mapped[str] = mapped_column(String(60))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    detail: Mapped[str | None] = mapped_column(String(400))
    user: Mapped[User | None] = relationship()


class AreaSetting(Model):
    """Per-area durations and switches; defaults live in services.settings."""

    __tablename__ = "area_setting"
    __table_args__ = (UniqueConstraint("area_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    key: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(String(200))


class SweepIncident(Model):
    """A scheduler sweep step that failed as a whole (services.scheduler): what went wrong, when it first and last
    failed and how many sweeps in a row, open (``resolved_at`` empty) until the step next runs cleanly. A sweep step
    is national: the process owner sees it under /admin/incidents (services.incidents)."""

    __tablename__ = "sweep_incident"
    id: Mapped[int] = mapped_column(primary_key=True)
    step: Mapped[str] = mapped_column(String(60), index=True)  # the step's name (services.scheduler.STEP_LABELS)
    error: Mapped[str] = mapped_column(Text)  # the last failure's
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    occurrences: Mapped[int] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None]


class SchedulerHeartbeat(Model):
    """When the scheduler last finished a sweep, and which process it was (``/readyz`` reads it).

    Who may sweep is decided by services.sweep_lock, never by this row.
    """

    __tablename__ = "scheduler_heartbeat"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    beat_at: Mapped[datetime]
    sweeps: Mapped[int] = mapped_column(default=0)


# The longest venue and online link a meeting keeps: its columns, and what services.meetings.schedule and the API
# accept (one declaration; the migrations made the columns this size).
MEETING_VENUE_MAX = 200
MEETING_LINK_MAX = 400


class MappMeeting(Model):
    """A Level 2 or Level 3 MAPP meeting in an area: one slot, several offenders on its agenda."""

    __tablename__ = "mapp_meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    venue: Mapped[str | None] = mapped_column(String(MEETING_VENUE_MAX))
    online_link: Mapped[str | None] = mapped_column(String(MEETING_LINK_MAX))
    chair_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled, in progress, held, cancelled
    series: Mapped[str | None] = mapped_column(String(40))  # recurring slots share a series key
    confidentiality_read_at: Mapped[datetime | None]
    confidentiality_read_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    area: Mapped[Area] = relationship(lazy="joined")
    chair: Mapped[User] = relationship(foreign_keys=[chair_id], lazy="joined")
    items: Mapped[list[AgendaItem]] = relationship(back_populates="meeting", order_by="AgendaItem.position")


class AgendaItem(Model):
    """One offender on a meeting's agenda, in the order and time the administrator set."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("meeting_id", "case_id"),
        # a case is booked on one upcoming agenda at most: concurrent agenda builds insert ON CONFLICT DO NOTHING
        Index("uq_agenda_item_booked_case", "case_id", unique=True,
              sqlite_where=text("booked"), postgresql_where=text("booked")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("mapp_meeting.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    minutes_allotted: Mapped[int] = mapped_column(Integer, default=20)
    kind: Mapped[str] = mapped_column(String(20))  # initial, review, early review
    booked: Mapped[bool] = mapped_column(Boolean, default=True)  # until the meeting is held, cancelled or past
    research_flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    meeting: Mapped[MappMeeting] = relationship(back_populates="items")
    case: Mapped[MappaCase] = relationship(lazy="joined")


class Attendance(Model):
    """Who was invited to an agenda item (or the whole meeting), by agency, and whether they came."""

    __tablename__ = "attendance"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("mapp_meeting.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"))
    agency: Mapped[str] = mapped_column(String(80))
    person: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(30), default="invited")  # invited, present, apologies, report received
    updated_at: Mapped[datetime]


class Minutes(Model):
    """Minutes of one offender's discussion at one meeting (MAPPA C sections), saved as they are typed."""

    __tablename__ = "minutes"
    __table_args__ = (UniqueConstraint("meeting_id", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("mapp_meeting.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, awaiting approval, approved, distributed
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    distributed_at: Mapped[datetime | None]
    # the minutes process (drafting, approval, distribution) of these minutes; a plain column (no foreign key) so
    # that SQLite could add it without rebuilding a table other rows reference
    process_instance_id: Mapped[int | None] = mapped_column(Integer)
    meeting: Mapped[MappMeeting] = relationship(lazy="joined")
    case: Mapped[MappaCase] = relationship(lazy="joined")
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])


class MinutesRevision(Model):
    """Every saved version of a set of minutes, with who saved it and when."""

    __tablename__ = "minutes_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sections: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime]
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    saved_by: Mapped[User] = relationship()


class MeetingRecording(Model):
    """An audio recording kept to help finish the minutes, deleted after its retention date."""

    __tablename__ = "meeting_recording"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("mapp_meeting.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    stored_as: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    retention_until: Mapped[date] = mapped_column(Date)


SHARED_WITH_MAX = 200  # onward sharing of minutes: the recipient (person and organisation)
SHARED_BECAUSE_MAX = 400  # and why it is necessary and proportionate


class Disclosure(Model):
    """Minutes shared beyond the meeting: recipient, purpose and the chair who permitted it (s.62 logging)."""

    __tablename__ = "disclosure"
    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(SHARED_WITH_MAX))
    purpose: Mapped[str] = mapped_column(String(SHARED_BECAUSE_MAX))
    permitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime]


class DisclosureDecision(Model):
    """A decision whether to disclose information about the offender to a third party (MAPPA guidance ch.10),
    made at a Level 2/3 review (``minutes_id``) or between meetings. A decision to disclose names the recipient,
    what is disclosed, the power used, who delivers it and by when, whether the offender is told first and the
    recipient's undertaking; its delivery is a task (bpmn/disclosure.bpmn). A decision not to disclose keeps its
    reason."""

    __tablename__ = "disclosure_decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    minutes_id: Mapped[int | None] = mapped_column(ForeignKey("minutes.id"))
    decision: Mapped[str] = mapped_column(String(20))  # disclose, not_disclose (services.disclosures.DECISIONS)
    rationale: Mapped[str] = mapped_column(Text)  # why disclosure is (or is not) necessary and proportionate
    recipient: Mapped[str | None] = mapped_column(String(200))
    recipient_organisation: Mapped[str | None] = mapped_column(String(200))  # their role or organisation
    information: Mapped[str | None] = mapped_column(Text)  # what is disclosed
    power: Mapped[str | None] = mapped_column(String(40))  # services.disclosures.POWERS
    deliverer_role: Mapped[str | None] = mapped_column(String(40))
    deliverer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    deliver_by: Mapped[date | None] = mapped_column(Date)
    offender_told_first: Mapped[bool | None] = mapped_column(Boolean)
    offender_not_told_reason: Mapped[str | None] = mapped_column(Text)
    undertaking: Mapped[str | None] = mapped_column(Text)  # what the recipient undertakes (confidentiality)
    status: Mapped[str] = mapped_column(String(20))  # to deliver, delivered, not disclosed
    process_instance_id: Mapped[int | None] = mapped_column(Integer)  # the delivery (mappa_disclosure)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    delivery_method: Mapped[str | None] = mapped_column(String(40))
    undertaking_given: Mapped[bool | None] = mapped_column(Boolean)
    delivered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime]
    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])
    minutes: Mapped[Minutes | None] = relationship()
    deliverer: Mapped[User | None] = relationship(foreign_keys=[deliverer_id])
    delivered_by: Mapped[User | None] = relationship(foreign_keys=[delivered_by_id])


class ReferenceCounter(Model):
    """The last case number used for a reference prefix (NO-2026-), taken under a row lock."""

    __tablename__ = "reference_counter"
    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class ReminderOutbox(Model):
    """One reminder to one person, recorded before it is sent: one row per (rule, subject, recipient) ever.

    ``key`` names what the reminder is about (``task:<id>`` for the overdue and escalation rules, ``day:<date>``
    for the daily digest). ``status``: pending (to send), sending (claimed by one sweep), sent, or no_address
    (the person has no email address: the in-app notification is all they get).
    """

    __tablename__ = "reminder_outbox"
    __table_args__ = (
        UniqueConstraint("rule", "key", "recipient_id", name="uq_reminder_outbox_rule_key_recipient"),
        Index("ix_reminder_outbox_task_rule", "task_id", "rule"),
        Index("ix_reminder_outbox_pending", "status", sqlite_where=text("status IN ('pending', 'sending')"),
              postgresql_where=text("status IN ('pending', 'sending')")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(20))  # overdue, escalation, digest
    key: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    email: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime]


class Notification(Model):
    """An in-app notification, made in the same transaction as its outbox row (so also exactly once)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("reminder_outbox.id"), unique=True)
    rule: Mapped[str] = mapped_column(String(20))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("mappa_case.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class RsoRecord(Model):
    """A registered sex offender's notification record (Sexual Offences Act 2003 Part 2, MAPPA.md §17), one per
    category 1 case: the disposal that set the notification period (s.82), when it ends (or that it is indefinite,
    with the date a review may first be applied for), and the dates the next notifications are counted from. The
    obligations due (initial, periodic, home visit) each run as an instance of bpmn/rso_notification.bpmn, whose
    ids are kept here (services.rso)."""

    __tablename__ = "rso_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), unique=True)
    trigger: Mapped[str] = mapped_column(String(20))  # conviction, caution, finding, release (services.rso.TRIGGERS)
    relevant_date: Mapped[date] = mapped_column(Date)  # s.82(6): the conviction, caution or finding date
    disposal: Mapped[str] = mapped_column(String(40))  # services.rso.DISPOSALS
    under_18: Mapped[bool] = mapped_column(Boolean)
    discharge_months: Mapped[int | None] = mapped_column(Integer)  # a conditional discharge's length
    indefinite: Mapped[bool] = mapped_column(Boolean)
    period_end: Mapped[date | None] = mapped_column(Date)
    review_from: Mapped[date | None] = mapped_column(Date)  # indefinite: a review may be applied for from
    rosh: Mapped[str] = mapped_column(String(20))  # risk of serious harm: sets the home visit interval
    no_fixed_abode: Mapped[bool] = mapped_column(Boolean, default=False)
    first_notified_on: Mapped[date | None] = mapped_column(Date)
    periodic_from: Mapped[date | None] = mapped_column(Date)  # the last s.84 or s.85 notification (annual date)
    last_visit_on: Mapped[date | None] = mapped_column(Date)
    initial_instance_id: Mapped[int | None] = mapped_column(Integer)
    periodic_instance_id: Mapped[int | None] = mapped_column(Integer)
    visit_instance_id: Mapped[int | None] = mapped_column(Integer)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime]


class RsoEvent(Model):
    """One notification event of a registered sex offender: the requirement, the initial, a periodic or a changed
    details notification, a foreign travel notice, a home visit or a breach; ``late`` when made after its
    deadline (``due``)."""

    __tablename__ = "rso_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # services.rso.KINDS
    change: Mapped[str | None] = mapped_column(String(20))  # a change's kind (services.rso.CHANGES)
    occurred_on: Mapped[date | None] = mapped_column(Date)  # what happened when (change, departure, breach)
    notified_on: Mapped[date] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)  # the notification was due by
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    case: Mapped[MappaCase] = relationship()
class SeriousFurtherOffence(Model):
    """A serious further offence charge on a MAPPA case (MAPPA.md §13) and its review: the MAPPA N to the SMB chair,
    the SMB's decision whether to hold a MAPPA serious case review, and if so its terms, panel, MAPPA O report, action
    plan and publication decision, each a step of bpmn/sfo_review.bpmn (services.sfo)."""

    __tablename__ = "serious_further_offence"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    offence: Mapped[str] = mapped_column(String(40))  # services.sfo.offences() (forms/sfo_charge.json)
    charged_on: Mapped[date] = mapped_column(Date)
    details: Mapped[str] = mapped_column(Text)
    level_at_charge: Mapped[int | None] = mapped_column(Integer)
    category_at_charge: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(30))  # services.sfo.STATUSES
    scr_decision: Mapped[str | None] = mapped_column(String(20))  # hold, not_hold (forms/sfo_scr_decision.json)
    scr_reasons: Mapped[str | None] = mapped_column(Text)
    publication: Mapped[str | None] = mapped_column(String(20))  # publish, do_not_publish (forms/sfo_publication.json)
    process_instance_id: Mapped[int | None] = mapped_column(Integer)  # the review (mappa_sfo_review)
    notified_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    notified_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    notified_by: Mapped[User] = relationship(foreign_keys=[notified_by_id])
class AreaAgency(Model):
    """A duty-to-co-operate agency (CJA 2003 s.325(6), workflows.lanes.DTC_AGENCIES) as one MAPPA area set it up:
    whether it works in the area, its contact, and the area's memorandum of understanding with it (s.325(5)).
    No row: the agency works in the area and no memorandum is recorded yet (services.agencies)."""

    __tablename__ = "area_agency"
    __table_args__ = (UniqueConstraint("area_id", "agency", name="uq_area_agency_area_id_agency"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    agency: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    mou_signed_on: Mapped[date | None] = mapped_column(Date)
    mou_review_on: Mapped[date | None] = mapped_column(Date)
    mou_reference: Mapped[str | None] = mapped_column(String(200))
    mou_notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
class CriticalFlag(Model):
    """A Level 3 case flagged as a possible Critical Public Protection Case (MAPPA guidance ch.19; its current criteria
    and forms are UNCONFIRMED): the CPPC referral, the senior manager's decision, the national notification to HMPPS
    Public Protection Group (who, when, reference) and its reviews until de-registered (bpmn/critical_case.bpmn).
    The case is critical while a flag is approved or notified (services.critical_cases.STATUSES)."""

    __tablename__ = "critical_flag"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # services.critical_cases.STATUSES
    reason: Mapped[str] = mapped_column(Text)  # why the case may be critical
    flagged_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    flagged_at: Mapped[datetime]
    process_instance_id: Mapped[int | None] = mapped_column(Integer)  # its mappa_critical_case instance
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    notified_to: Mapped[str | None] = mapped_column(String(200))  # who at HMPPS Public Protection Group
    notified_on: Mapped[date | None] = mapped_column(Date)
    notification_reference: Mapped[str | None] = mapped_column(String(200))
    notified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None]  # declined or de-registered
    flagged_by: Mapped[User] = relationship(foreign_keys=[flagged_by_id])
    notified_by: Mapped[User | None] = relationship(foreign_keys=[notified_by_id])
class CsodsApplication(Model):
    """A Child Sex Offender Disclosure Scheme application (MAPPA.md §18), made by a member of the public through a
    police officer: not a MAPPA case (the subject may be one: ``mappa_case_id``). It runs
    bpmn/csods_application.bpmn on the engine; its stages are ``CsodsStage`` rows. The panel's decision is kept
    with the same fields and vocabulary as a case's disclosure decision (services.disclosures)."""

    __tablename__ = "csods_application"
    __table_args__ = (Index("ix_csods_application_running_timer", "process_status", "next_timer_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # services.csods.STATUSES
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)  # the whole application's target (csods_overall_working_days)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    applicant_name: Mapped[str] = mapped_column(String(200))
    subject_name: Mapped[str] = mapped_column(String(200))
    child_name: Mapped[str] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)  # the application form as given (forms/csods_application)
    mappa_case_id: Mapped[int | None] = mapped_column(ForeignKey("mappa_case.id"), index=True)
    # the process: one engine instance, kept on the application (an application has no case to hang it on)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"))
    state: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    process_status: Mapped[str] = mapped_column(String(20))  # running, completed, error
    next_timer_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)  # while in error: what failed, and where (an incident)
    # the panel's decision (services.disclosures.DECISIONS, POWERS, OFFENDER_TOLD)
    decision: Mapped[str | None] = mapped_column(String(20))
    rationale: Mapped[str | None] = mapped_column(Text)
    recipient: Mapped[str | None] = mapped_column(String(200))
    recipient_organisation: Mapped[str | None] = mapped_column(String(200))
    information: Mapped[str | None] = mapped_column(Text)
    power: Mapped[str | None] = mapped_column(String(40))
    deliver_by: Mapped[date | None] = mapped_column(Date)
    offender_told_first: Mapped[bool | None] = mapped_column(Boolean)
    offender_not_told_reason: Mapped[str | None] = mapped_column(Text)
    undertaking: Mapped[str | None] = mapped_column(Text)
    panel: Mapped[str | None] = mapped_column(String(200))  # who decided (the panel's agencies, or the MAPP meeting)
    decided_at: Mapped[datetime | None]
    delivered_on: Mapped[date | None] = mapped_column(Date)
    delivery_method: Mapped[str | None] = mapped_column(String(40))
    undertaking_given: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    area: Mapped[Area] = relationship(lazy="joined")
    received_by: Mapped[User] = relationship(foreign_keys=[received_by_id])
    mappa_case: Mapped[MappaCase | None] = relationship()
    model: Mapped[ProcessModel] = relationship()


class CsodsStage(Model):
    """One stage of a CSODS application: a user task of its process, with its due date, who did it and when, and
    whether it was escalated for being late."""

    __tablename__ = "csods_stage"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("csods_application.id"), index=True)
    task_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(80))
    hook: Mapped[str | None] = mapped_column(String(40))
    form_key: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))  # ready, completed, cancelled
    due_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    escalated_at: Mapped[datetime | None]
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
class SmbAudit(Model):
    """The SMB's annual audit sample of one area: the rule and the recorded seed redraw it exactly."""

    __tablename__ = "smb_audit"
    __table_args__ = (UniqueConstraint("area_id", "year_ending", name="uq_smb_audit_area_year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    year_ending: Mapped[date] = mapped_column(Date)
    seed: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(200))  # the sample rule in words, with the settings it used
    due_on: Mapped[date] = mapped_column(Date)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    drawn_at: Mapped[datetime]
    items: Mapped[list[SmbAuditItem]] = relationship(back_populates="audit", order_by="SmbAuditItem.id")


class SmbAuditItem(Model):
    """One sampled case (MAPPA K) or meeting (MAPPA L), its audit task's instance, and the scores given."""

    __tablename__ = "smb_audit_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("smb_audit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # case, meeting
    case_id: Mapped[int] = mapped_column(ForeignKey("mappa_case.id"))  # a meeting's: the case its instance runs on
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("mapp_meeting.id"))
    process_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    status: Mapped[str] = mapped_column(String(20))  # to audit, audited
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    audited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    audited_at: Mapped[datetime | None]
    audit: Mapped[SmbAudit] = relationship(back_populates="items")


class SmbPlanAction(Model):
    """An action of the SMB's business plan: what, who owns it (a role), by when, and how far it has got."""

    __tablename__ = "smb_plan_action"
    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    title: Mapped[str] = mapped_column(String(400))
    owner_role: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # not started, in progress, done
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
