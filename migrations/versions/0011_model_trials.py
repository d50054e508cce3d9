"""Trial runs of process model drafts and versions (the studio's sandbox: no case, no inbox, no history)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "model_trial",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(80), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("trial_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_by", sa.String(80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_trial")),
    )
    op.create_index(op.f("ix_model_trial_started_by"), "model_trial", ["started_by"])


def downgrade():
    op.drop_index(op.f("ix_model_trial_started_by"), table_name="model_trial")
    op.drop_table("model_trial")
