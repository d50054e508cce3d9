"""Case facts for the full lifecycle (sentence, licence and notification dates, safeguarding flags) and the
workflow data a task shows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DATES = ("sentence_date", "licence_end", "notification_end")
FLAGS = ("victims_flag", "children_flag", "vulnerable_adults_flag")


def upgrade():
    with op.batch_alter_table("mappa_case") as batch:
        for name in DATES:
            batch.add_column(sa.Column(name, sa.Date(), nullable=True))
        for name in FLAGS:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("context", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("context")
    with op.batch_alter_table("mappa_case") as batch:
        for name in DATES + FLAGS:
            batch.drop_column(name)
