"""Critical Public Protection Cases (MAPPA guidance ch.19, criteria UNCONFIRMED): a Level 3 case's flag, its
referral decision, the national notification to HMPPS Public Protection Group and its end.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "critical_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("flagged_by_id", sa.Integer(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_instance_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("notified_to", sa.String(length=200), nullable=True),
        sa.Column("notified_on", sa.Date(), nullable=True),
        sa.Column("notification_reference", sa.String(length=200), nullable=True),
        sa.Column("notified_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["mappa_case.id"], name=op.f("fk_critical_flag_case_id_mappa_case")),
        sa.ForeignKeyConstraint(["flagged_by_id"], ["user_account.id"], name=op.f("fk_critical_flag_flagged_by_id_user_account")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"], name=op.f("fk_critical_flag_decided_by_id_user_account")),
        sa.ForeignKeyConstraint(["notified_by_id"], ["user_account.id"], name=op.f("fk_critical_flag_notified_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_critical_flag")),
    )
    op.create_index(op.f("ix_critical_flag_case_id"), "critical_flag", ["case_id"])


def downgrade():
    op.drop_index(op.f("ix_critical_flag_case_id"), table_name="critical_flag")
    op.drop_table("critical_flag")
