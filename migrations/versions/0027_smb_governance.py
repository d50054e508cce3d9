"""SMB governance: the annual audit sample (cases and meetings, with the seed that redraws it) and its scores, and
the SMB business plan's actions.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "smb_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("year_ending", sa.Date(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_smb_audit_area_id_area")),
        sa.ForeignKeyConstraint(["drawn_by_id"], ["user_account.id"], name=op.f("fk_smb_audit_drawn_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smb_audit")),
        sa.UniqueConstraint("area_id", "year_ending", name="uq_smb_audit_area_year"),
    )
    op.create_table(
        "smb_audit_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("process_instance_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("audited_by_id", sa.Integer(), nullable=True),
        sa.Column("audited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["audit_id"], ["smb_audit.id"], name=op.f("fk_smb_audit_item_audit_id_smb_audit")),
        sa.ForeignKeyConstraint(["case_id"], ["mappa_case.id"], name=op.f("fk_smb_audit_item_case_id_mappa_case")),
        sa.ForeignKeyConstraint(["meeting_id"], ["mapp_meeting.id"],
                                name=op.f("fk_smb_audit_item_meeting_id_mapp_meeting")),
        sa.ForeignKeyConstraint(["process_instance_id"], ["process_instance.id"],
                                name=op.f("fk_smb_audit_item_process_instance_id_process_instance")),
        sa.ForeignKeyConstraint(["audited_by_id"], ["user_account.id"],
                                name=op.f("fk_smb_audit_item_audited_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smb_audit_item")),
    )
    op.create_index(op.f("ix_smb_audit_item_audit_id"), "smb_audit_item", ["audit_id"])
    op.create_table(
        "smb_plan_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("owner_role", sa.String(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_smb_plan_action_area_id_area")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_smb_plan_action_created_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smb_plan_action")),
    )
    op.create_index(op.f("ix_smb_plan_action_area_id"), "smb_plan_action", ["area_id"])


def downgrade():
    op.drop_index(op.f("ix_smb_plan_action_area_id"), table_name="smb_plan_action")
    op.drop_table("smb_plan_action")
    op.drop_index(op.f("ix_smb_audit_item_audit_id"), table_name="smb_audit_item")
    op.drop_table("smb_audit_item")
    op.drop_table("smb_audit")
