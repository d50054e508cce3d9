"""Flat inbox and sweep: indexes walked in the page's order, and the sweep's due timers and overdue tasks by range.

The inbox (services.tasks.inbox_query) is split into 'assigned to me' and 'unclaimed for role R' parts, each
walking one of these partial indexes in due-date-then-id order and stopping at the page's end, instead of reading
every ready task of the area and sorting them (bench/RESULTS.md). The sweep finds due timers by a range of
(status, next_timer_at), and the tasks to mark (or unmark) overdue by a range of (overdue, due_date) over ready
tasks, so neither reads the instances or tasks that are only waiting.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

READY = sa.text("state = 'ready'")
CLAIMED = sa.text("state = 'ready' AND assignee_id IS NOT NULL")
UNCLAIMED = sa.text("state = 'ready' AND assignee_id IS NULL")


def upgrade():
    op.create_index("ix_human_task_inbox_assigned", "human_task", ["area_id", "assignee_id", "due_date", "id"],
                    sqlite_where=CLAIMED, postgresql_where=CLAIMED)
    op.create_index("ix_human_task_inbox_unclaimed", "human_task", ["area_id", "role", "due_date", "id"],
                    sqlite_where=UNCLAIMED, postgresql_where=UNCLAIMED)
    op.create_index("ix_human_task_ready_overdue", "human_task", ["overdue", "due_date"],
                    sqlite_where=READY, postgresql_where=READY)
    op.create_index("ix_process_instance_running_timer", "process_instance", ["status", "next_timer_at"])


def downgrade():
    op.drop_index("ix_process_instance_running_timer", table_name="process_instance")
    op.drop_index("ix_human_task_ready_overdue", table_name="human_task")
    op.drop_index("ix_human_task_inbox_unclaimed", table_name="human_task")
    op.drop_index("ix_human_task_inbox_assigned", table_name="human_task")
