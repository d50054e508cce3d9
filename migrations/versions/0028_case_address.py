"""A case's current address and the day the offender moved there: a change is recorded by the Responsible
Authority or the MAPPA coordinator and is for ViSOR too (services.lifecycle.change_address).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mappa_case") as batch:
        batch.add_column(sa.Column("address", sa.Text(), nullable=True))
        batch.add_column(sa.Column("address_since", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("mappa_case") as batch:
        batch.drop_column("address_since")
        batch.drop_column("address")
