"""Registered sex offender notification (Sexual Offences Act 2003 Part 2): a record per category 1 case (the
notification period by disposal, the annual date, the obligations running) and its notification events.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rso_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("relevant_date", sa.Date(), nullable=False),
        sa.Column("disposal", sa.String(length=40), nullable=False),
        sa.Column("under_18", sa.Boolean(), nullable=False),
        sa.Column("discharge_months", sa.Integer(), nullable=True),
        sa.Column("indefinite", sa.Boolean(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("review_from", sa.Date(), nullable=True),
        sa.Column("rosh", sa.String(length=20), nullable=False),
        sa.Column("no_fixed_abode", sa.Boolean(), nullable=False),
        sa.Column("first_notified_on", sa.Date(), nullable=True),
        sa.Column("periodic_from", sa.Date(), nullable=True),
        sa.Column("last_visit_on", sa.Date(), nullable=True),
        sa.Column("initial_instance_id", sa.Integer(), nullable=True),
        sa.Column("periodic_instance_id", sa.Integer(), nullable=True),
        sa.Column("visit_instance_id", sa.Integer(), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["mappa_case.id"], name=op.f("fk_rso_record_case_id_mappa_case")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["user_account.id"],
                                name=op.f("fk_rso_record_opened_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rso_record")),
        sa.UniqueConstraint("case_id", name=op.f("uq_rso_record_case_id")),
    )
    op.create_table(
        "rso_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["mappa_case.id"], name=op.f("fk_rso_event_case_id_mappa_case")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_rso_event_recorded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rso_event")),
    )
    op.create_index(op.f("ix_rso_event_case_id"), "rso_event", ["case_id"])


def downgrade():
    op.drop_index(op.f("ix_rso_event_case_id"), table_name="rso_event")
    op.drop_table("rso_event")
    op.drop_table("rso_record")
