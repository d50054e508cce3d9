"""Case history by kind and time: the annual statistics read the changes recorded after 31 March (to undo them)
and the year's returns to custody, breaches, serious further offences and serious case reviews, never the whole
history.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_case_event_kind_at", "case_event", ["kind", "at"])


def downgrade():
    op.drop_index("ix_case_event_kind_at", table_name="case_event")
