"""A CSODS application's process error: an application whose process fails is kept with its process in error and
what went wrong (the failing element named), an incident for the process owner until retried (services.csods).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("csods_application", sa.Column("error", sa.Text(), nullable=True))


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy: the copy drops a table other rows refer to
    op.drop_column("csods_application", "error")
