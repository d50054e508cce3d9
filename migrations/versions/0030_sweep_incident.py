"""A scheduler sweep step that fails as a whole is an incident for the process owner: the step, its error, when it
first and last failed and how many times, open until the step next runs cleanly (services.scheduler).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sweep_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=60), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sweep_incident")),
    )
    op.create_index(op.f("ix_sweep_incident_step"), "sweep_incident", ["step"])


def downgrade():
    op.drop_index(op.f("ix_sweep_incident_step"), table_name="sweep_incident")
    op.drop_table("sweep_incident")
