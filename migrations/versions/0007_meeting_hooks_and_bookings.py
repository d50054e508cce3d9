"""Declared step hooks on the inbox projection, the day review work counts as done, and agenda bookings.

- human_task.hook: the domain hook the step declares in its model (services key on it, not on BPMN ids);
  existing rows get the hook their step stood for.
- human_task.done_on: when the work counts as done if not the completion day (a MAPP meeting review is done
  at the meeting, whenever the chair approves the minutes).
- minutes.process_instance_id: the minutes process (drafting, approval, distribution) of each set of minutes,
  filled in for processes already running.
- agenda_item.booked with a partial unique index: a case is on one upcoming agenda at most, so concurrent
  agenda builds cannot book it twice. Existing bookings on scheduled or running meetings are kept (the earliest
  per case where the old race booked one twice).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BOOKED = sa.text("booked")
STEP_HOOKS = {
    "approve_minutes": "minutes_approval",
    "revise_minutes": "minutes_revision",
    "distribute_minutes": "minutes_distribution",
    "police_research": "agenda_research",
    "om_research": "agenda_research",
    "prison_research": "agenda_research",
    "meeting_review": "meeting_review",
    "level1_review": "level1_review",
    "complete_action": "agreed_action",
}


def upgrade():
    # plain ADD COLUMN (no table rebuild): SQLite cannot rebuild a table other rows reference with foreign keys on
    op.add_column("human_task", sa.Column("hook", sa.String(length=40), nullable=True))
    op.add_column("human_task", sa.Column("done_on", sa.Date(), nullable=True))
    op.create_index("ix_human_task_hook", "human_task", ["hook", "state"])
    human_task = sa.table("human_task", sa.column("bpmn_id", sa.String), sa.column("hook", sa.String))
    for bpmn_id, hook in STEP_HOOKS.items():
        op.execute(human_task.update().where(human_task.c.bpmn_id == bpmn_id).values(hook=hook))

    op.add_column("agenda_item", sa.Column("booked", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        sa.text(
            "UPDATE agenda_item SET booked = :yes WHERE id IN (SELECT MIN(a.id) FROM agenda_item a "
            "JOIN mapp_meeting m ON m.id = a.meeting_id WHERE m.status IN ('scheduled', 'in progress') "
            "GROUP BY a.case_id)"
        ).bindparams(yes=True)
    )
    op.create_index(
        "uq_agenda_item_booked_case",
        "agenda_item",
        ["case_id"],
        unique=True,
        sqlite_where=BOOKED,
        postgresql_where=BOOKED,
    )
    op.add_column("minutes", sa.Column("process_instance_id", sa.Integer(), nullable=True))
    _link_minutes_to_their_process()


def _link_minutes_to_their_process():
    """Minutes processes started before this revision carry the minutes id in their data."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, state FROM process_instance WHERE phase = 'minutes'")).all()
    for instance_id, state in rows:
        minutes_id = _minutes_id(json.loads(state or "{}"))
        if minutes_id is not None:
            bind.execute(
                sa.text(
                    "UPDATE minutes SET process_instance_id = :instance WHERE id = :minutes "
                    "AND process_instance_id IS NULL"
                ),
                {"instance": instance_id, "minutes": minutes_id},
            )


def _minutes_id(state: dict) -> int | None:
    for task in (state.get("tasks") or {}).values():
        value = (task.get("data") or {}).get("minutes_id")
        if value is not None:
            return int(value)
    return None


def downgrade():
    op.drop_column("minutes", "process_instance_id")
    op.drop_index("uq_agenda_item_booked_case", table_name="agenda_item")
    op.drop_column("agenda_item", "booked")
    op.drop_index("ix_human_task_hook", table_name="human_task")
    op.drop_column("human_task", "done_on")
    op.drop_column("human_task", "hook")
