"""Process model drafts (the studio's unpublished edits) and retired model versions

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "model_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(80), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_draft")),
    )
    op.create_index(op.f("ix_model_draft_process_id"), "model_draft", ["process_id"])
    # plain ALTER TABLE (no batch copy): process_instance references process_model
    op.add_column("process_model", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("process_model", sa.Column("retired_by", sa.String(80), nullable=True))


def downgrade():
    op.drop_column("process_model", "retired_by")
    op.drop_column("process_model", "retired_at")
    op.drop_index(op.f("ix_model_draft_process_id"), table_name="model_draft")
    op.drop_table("model_draft")
