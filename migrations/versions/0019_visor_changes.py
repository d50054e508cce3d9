"""Changes of a case that ViSOR has not been told yet, each carried by an 'Update ViSOR' task until recorded.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "visor_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=400), nullable=False),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["mappa_case.id"], name=op.f("fk_visor_change_case_id_mappa_case")),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"],
                                name=op.f("fk_visor_change_instance_id_process_instance")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_visor_change_recorded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visor_change")),
    )
    op.create_index(op.f("ix_visor_change_case_id"), "visor_change", ["case_id"])
    op.create_index(op.f("ix_visor_change_instance_id"), "visor_change", ["instance_id"])


def downgrade():
    op.drop_index(op.f("ix_visor_change_instance_id"), table_name="visor_change")
    op.drop_index(op.f("ix_visor_change_case_id"), table_name="visor_change")
    op.drop_table("visor_change")
