"""Every dated task of an area by creation, open or finished: the trends count the tasks that were overdue at each
month's end from when each was created and finished, which the open-task indexes (partial, state 'ready') cannot
answer. Dated tasks only (an undated task is never overdue), and by creation rather than due date, so that the work
list's pages stay read from ix_human_task_area_open in its (area, due date, id) order.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_human_task_area_created", "human_task", ["area_id", "created_at"],
                    sqlite_where=sa.text("due_date IS NOT NULL"), postgresql_where=sa.text("due_date IS NOT NULL"))


def downgrade():
    op.drop_index("ix_human_task_area_created", table_name="human_task")
