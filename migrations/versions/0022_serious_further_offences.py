"""Serious further offences and MAPPA serious case reviews (MAPPA.md §13): the charge, the case's category and
level then, the review's status, the SMB's decision whether to hold a serious case review (with its reasons) and
its publication decision.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "serious_further_offence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("offence", sa.String(length=40), nullable=False),
        sa.Column("charged_on", sa.Date(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("level_at_charge", sa.Integer(), nullable=True),
        sa.Column("category_at_charge", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("scr_decision", sa.String(length=20), nullable=True),
        sa.Column("scr_reasons", sa.Text(), nullable=True),
        sa.Column("publication", sa.String(length=20), nullable=True),
        sa.Column("process_instance_id", sa.Integer(), nullable=True),
        sa.Column("notified_by_id", sa.Integer(), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["mappa_case.id"],
                                name=op.f("fk_serious_further_offence_case_id_mappa_case")),
        sa.ForeignKeyConstraint(["notified_by_id"], ["user_account.id"],
                                name=op.f("fk_serious_further_offence_notified_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serious_further_offence")),
    )
    op.create_index(op.f("ix_serious_further_offence_case_id"), "serious_further_offence", ["case_id"])


def downgrade():
    op.drop_index(op.f("ix_serious_further_offence_case_id"), table_name="serious_further_offence")
    op.drop_table("serious_further_offence")
