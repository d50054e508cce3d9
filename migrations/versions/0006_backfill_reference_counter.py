"""Backfill the case reference counters: per prefix, the highest reference number already given.

0005 created ``reference_counter`` empty, so on a database that already held cases the next referral drew
number 1 again and failed on the unique reference. This sets each prefix's counter to the highest number in use
(never lowering a counter already ahead).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CASES = sa.table("mappa_case", sa.column("reference", sa.String))
COUNTERS = sa.table("reference_counter", sa.column("prefix", sa.String), sa.column("last", sa.Integer))


def highest_numbers(references):
    """{"NO-2026-": 42, ...} from references such as "NO-2026-00042"."""
    highest = {}
    for reference in references:
        prefix, _, number = reference.rpartition("-")
        if prefix and number.isdigit():
            highest[prefix + "-"] = max(highest.get(prefix + "-", 0), int(number))
    return highest


def upgrade():
    bind = op.get_bind()
    highest = highest_numbers(reference for (reference,) in bind.execute(sa.select(CASES.c.reference)))
    current = dict(bind.execute(sa.select(COUNTERS.c.prefix, COUNTERS.c.last)).all())
    for prefix, last in sorted(highest.items()):
        if prefix not in current:
            bind.execute(sa.insert(COUNTERS).values(prefix=prefix, last=last))
        elif current[prefix] < last:
            bind.execute(sa.update(COUNTERS).where(COUNTERS.c.prefix == prefix).values(last=last))


def downgrade():
    pass  # the counters stay right for 0005's schema: nothing to undo
