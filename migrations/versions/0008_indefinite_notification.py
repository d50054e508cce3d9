"""Indefinite notification: the flag and the date its review point falls (15 years, 8 for juveniles)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("mappa_case", sa.Column("notification_indefinite", sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.add_column("mappa_case", sa.Column("notification_review_due", sa.Date(), nullable=True))


def downgrade():
    op.drop_column("mappa_case", "notification_review_due")
    op.drop_column("mappa_case", "notification_indefinite")
