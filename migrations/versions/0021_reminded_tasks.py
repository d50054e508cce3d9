"""Reminders at scale: each ready task says whether its overdue reminder and its escalation have been recorded.

services.reminders found the tasks still to remind by a NOT EXISTS against reminder_outbox, whose plan depended on
the tables' statistics (30 s a sweep at 100,000 cases on PostgreSQL never analysed). Now the task is marked when its
reminder is recorded, and the tasks still to remind, the country's at once, are a range of a partial index (due
date, id) over the ready tasks not marked, whatever the statistics. Tasks already reminded are marked from reminder_outbox.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

MARKS = {"overdue": "overdue_reminded_at", "escalation": "escalated_at"}
UNREMINDED = sa.text("state = 'ready' AND overdue_reminded_at IS NULL")
UNESCALATED = sa.text("state = 'ready' AND escalated_at IS NULL")


def upgrade():
    op.add_column("human_task", sa.Column("overdue_reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("human_task", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    for rule, column in MARKS.items():
        op.execute(sa.text(
            f"UPDATE human_task SET {column} = (SELECT min(r.created_at) FROM reminder_outbox r "  # noqa: S608
            f"WHERE r.task_id = human_task.id AND r.rule = :rule) "
            f"WHERE id IN (SELECT task_id FROM reminder_outbox WHERE rule = :rule)").bindparams(rule=rule))
    op.create_index("ix_human_task_unreminded_overdue", "human_task", ["due_date", "id"],
                    sqlite_where=UNREMINDED, postgresql_where=UNREMINDED)
    op.create_index("ix_human_task_unescalated", "human_task", ["due_date", "id"],
                    sqlite_where=UNESCALATED, postgresql_where=UNESCALATED)


def downgrade():
    op.drop_index("ix_human_task_unescalated", table_name="human_task")
    op.drop_index("ix_human_task_unreminded_overdue", table_name="human_task")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy: the copy drops a table other rows refer to
    op.drop_column("human_task", "escalated_at")
    op.drop_column("human_task", "overdue_reminded_at")
