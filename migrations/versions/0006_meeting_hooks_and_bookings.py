"""Declared step hooks on the inbox projection, the day review work counts as done, and agenda bookings.

- human_task.hook: the domain hook the step declares in its model (services key on it, not on BPMN ids);
  existing rows get the hook their step stood for.
- human_task.done_on: when the work counts as done if not the completion day (a MAPP meeting review is done
  at the meeting, whenever the chair approves the minutes).
- minutes.process_instance_id: the minutes process (drafting, approval, distribution) of each set of minutes.
- agenda_item.booked with a partial unique index: a case is on one upcoming agenda at most, so concurrent
  agenda builds cannot book it twice. Existing bookings on scheduled or running meetings are kept (the earliest
  per case where the old race booked one twice).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
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
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("hook", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("done_on", sa.Date(), nullable=True))
    op.create_index("ix_human_task_hook", "human_task", ["hook", "state"])
    human_task = sa.table("human_task", sa.column("bpmn_id", sa.String), sa.column("hook", sa.String))
    for bpmn_id, hook in STEP_HOOKS.items():
        op.execute(human_task.update().where(human_task.c.bpmn_id == bpmn_id).values(hook=hook))

    with op.batch_alter_table("agenda_item") as batch:
        batch.add_column(sa.Column("booked", sa.Boolean(), nullable=False, server_default=sa.false()))
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
    with op.batch_alter_table("minutes") as batch:
        batch.add_column(sa.Column("process_instance_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_minutes_process_instance_id_process_instance"), "process_instance", ["process_instance_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("minutes") as batch:
        batch.drop_constraint(op.f("fk_minutes_process_instance_id_process_instance"), type_="foreignkey")
        batch.drop_column("process_instance_id")
    op.drop_index("uq_agenda_item_booked_case", table_name="agenda_item")
    with op.batch_alter_table("agenda_item") as batch:
        batch.drop_column("booked")
    op.drop_index("ix_human_task_hook", table_name="human_task")
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("done_on")
        batch.drop_column("hook")
