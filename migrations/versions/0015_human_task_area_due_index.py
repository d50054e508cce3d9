"""Every task of an area by due date, open or finished: the trends count the tasks that were overdue at each month's
end from when each was created and finished, which the open-task indexes (partial, state 'ready') cannot answer.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_human_task_area_due", "human_task", ["area_id", "due_date"])


def downgrade():
    op.drop_index("ix_human_task_area_due", table_name="human_task")
