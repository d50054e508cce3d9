"""Child Sex Offender Disclosure Scheme applications (MAPPA.md §18): the application, its process state and the
panel's decision (the same fields as a case's disclosure decision), and its stages with due dates.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "csods_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("received_by_id", sa.Integer(), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("child_name", sa.String(length=200), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("mappa_case_id", sa.Integer(), nullable=True),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("process_status", sa.String(length=20), nullable=False),
        sa.Column("next_timer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("recipient_organisation", sa.String(length=200), nullable=True),
        sa.Column("information", sa.Text(), nullable=True),
        sa.Column("power", sa.String(length=40), nullable=True),
        sa.Column("deliver_by", sa.Date(), nullable=True),
        sa.Column("offender_told_first", sa.Boolean(), nullable=True),
        sa.Column("offender_not_told_reason", sa.Text(), nullable=True),
        sa.Column("undertaking", sa.Text(), nullable=True),
        sa.Column("panel", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("delivery_method", sa.String(length=40), nullable=True),
        sa.Column("undertaking_given", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_csods_application_area_id_area")),
        sa.ForeignKeyConstraint(["received_by_id"], ["user_account.id"],
                                name=op.f("fk_csods_application_received_by_id_user_account")),
        sa.ForeignKeyConstraint(["mappa_case_id"], ["mappa_case.id"],
                                name=op.f("fk_csods_application_mappa_case_id_mappa_case")),
        sa.ForeignKeyConstraint(["model_id"], ["process_model.id"],
                                name=op.f("fk_csods_application_model_id_process_model")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csods_application")),
        sa.UniqueConstraint("reference", name=op.f("uq_csods_application_reference")),
    )
    op.create_index(op.f("ix_csods_application_area_id"), "csods_application", ["area_id"])
    op.create_index(op.f("ix_csods_application_mappa_case_id"), "csods_application", ["mappa_case_id"])
    op.create_index("ix_csods_application_running_timer", "csods_application", ["process_status", "next_timer_at"])
    op.create_table(
        "csods_stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("task_uuid", sa.String(length=36), nullable=False),
        sa.Column("bpmn_id", sa.String(length=80), nullable=False),
        sa.Column("hook", sa.String(length=40), nullable=True),
        sa.Column("form_key", sa.String(length=80), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["csods_application.id"],
                                name=op.f("fk_csods_stage_application_id_csods_application")),
        sa.ForeignKeyConstraint(["completed_by_id"], ["user_account.id"],
                                name=op.f("fk_csods_stage_completed_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csods_stage")),
        sa.UniqueConstraint("task_uuid", name=op.f("uq_csods_stage_task_uuid")),
    )
    op.create_index(op.f("ix_csods_stage_application_id"), "csods_stage", ["application_id"])


def downgrade():
    op.drop_index(op.f("ix_csods_stage_application_id"), table_name="csods_stage")
    op.drop_table("csods_stage")
    op.drop_index("ix_csods_application_running_timer", table_name="csods_application")
    op.drop_index(op.f("ix_csods_application_mappa_case_id"), table_name="csods_application")
    op.drop_index(op.f("ix_csods_application_area_id"), table_name="csods_application")
    op.drop_table("csods_application")
