"""Area work list: when a task came to its holder, and an index of the area's open tasks in due-date order.

The managers' work list (services.area_tasks) pages through every open task of an area, most overdue first. The
inbox index (area_id, role, assignee_id, due_date) can find the area's rows but not in due-date order, so each
page sorted every open task of the area; (area_id, due_date, id) over ready rows hands them over in order.
``assigned_at`` says for how long the holder has held the task.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

READY = sa.text("state = 'ready'")


def upgrade():
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_human_task_area_open", "human_task", ["area_id", "due_date", "id"],
                    sqlite_where=READY, postgresql_where=READY)


def downgrade():
    op.drop_index("ix_human_task_area_open", table_name="human_task")
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("assigned_at")
