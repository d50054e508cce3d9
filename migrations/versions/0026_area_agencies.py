"""Duty-to-co-operate agencies set up per MAPPA area (CJA 2003 s.325(6)): whether each works in the area, its
contact, and the area's memorandum of understanding with it (s.325(5)): signed, review date, reference and notes.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "area_agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=True),
        sa.Column("contact_email", sa.String(length=200), nullable=True),
        sa.Column("mou_signed_on", sa.Date(), nullable=True),
        sa.Column("mou_review_on", sa.Date(), nullable=True),
        sa.Column("mou_reference", sa.String(length=200), nullable=True),
        sa.Column("mou_notes", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_area_agency_area_id_area")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name=op.f("fk_area_agency_updated_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_agency")),
        sa.UniqueConstraint("area_id", "agency", name="uq_area_agency_area_id_agency"),
    )


def downgrade():
    op.drop_table("area_agency")
