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
    op.add_column("mappa_case", sa.Column("address", sa.Text(), nullable=True))
    op.add_column("mappa_case", sa.Column("address_since", sa.Date(), nullable=True))


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy: the copy drops a table other rows refer to
    op.drop_column("mappa_case", "address_since")
    op.drop_column("mappa_case", "address")
