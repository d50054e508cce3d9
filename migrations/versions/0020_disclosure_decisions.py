"""Disclosure decisions (MAPPA guidance ch.10): to whom, what, the power used, who delivers it by when, whether the
offender is told first, the recipient's undertaking, or the reason not to disclose; and how it was delivered.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "disclosure_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("recipient_organisation", sa.String(length=200), nullable=True),
        sa.Column("information", sa.Text(), nullable=True),
        sa.Column("power", sa.String(length=40), nullable=True),
        sa.Column("deliverer_role", sa.String(length=40), nullable=True),
        sa.Column("deliverer_id", sa.Integer(), nullable=True),
        sa.Column("deliver_by", sa.Date(), nullable=True),
        sa.Column("offender_told_first", sa.Boolean(), nullable=True),
        sa.Column("offender_not_told_reason", sa.Text(), nullable=True),
        sa.Column("undertaking", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("process_instance_id", sa.Integer(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("delivery_method", sa.String(length=40), nullable=True),
        sa.Column("undertaking_given", sa.Boolean(), nullable=True),
        sa.Column("delivered_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["mappa_case.id"], name=op.f("fk_disclosure_decision_case_id_mappa_case")),
        sa.ForeignKeyConstraint(["minutes_id"], ["minutes.id"], name=op.f("fk_disclosure_decision_minutes_id_minutes")),
        sa.ForeignKeyConstraint(["deliverer_id"], ["user_account.id"],
                                name=op.f("fk_disclosure_decision_deliverer_id_user_account")),
        sa.ForeignKeyConstraint(["delivered_by_id"], ["user_account.id"],
                                name=op.f("fk_disclosure_decision_delivered_by_id_user_account")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"],
                                name=op.f("fk_disclosure_decision_decided_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_decision")),
    )
    op.create_index(op.f("ix_disclosure_decision_case_id"), "disclosure_decision", ["case_id"])


def downgrade():
    op.drop_index(op.f("ix_disclosure_decision_case_id"), table_name="disclosure_decision")
    op.drop_table("disclosure_decision")
