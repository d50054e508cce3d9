"""Reminders and escalations: the outbox (recorded before sending) and in-app notifications

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PENDING = sa.text("status IN ('pending', 'sending')")


def upgrade():
    op.create_table(
        "reminder_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(20), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(80), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recipient_id"], ["user_account.id"],
                                name=op.f("fk_reminder_outbox_recipient_id_user_account")),
        sa.ForeignKeyConstraint(["task_id"], ["human_task.id"], name=op.f("fk_reminder_outbox_task_id_human_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_outbox")),
        sa.UniqueConstraint("rule", "key", "recipient_id", name="uq_reminder_outbox_rule_key_recipient"),
    )
    op.create_index("ix_reminder_outbox_task_rule", "reminder_outbox", ["task_id", "rule"])
    op.create_index("ix_reminder_outbox_pending", "reminder_outbox", ["status"], sqlite_where=PENDING,
                    postgresql_where=PENDING)
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(20), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account")),
        sa.ForeignKeyConstraint(["outbox_id"], ["reminder_outbox.id"],
                                name=op.f("fk_notification_outbox_id_reminder_outbox")),
        sa.ForeignKeyConstraint(["task_id"], ["human_task.id"], name=op.f("fk_notification_task_id_human_task")),
        sa.ForeignKeyConstraint(["case_id"], ["mappa_case.id"], name=op.f("fk_notification_case_id_mappa_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_notification_outbox_id")),
    )
    op.create_index("ix_notification_user_read", "notification", ["user_id", "read_at"])


def downgrade():
    op.drop_index("ix_notification_user_read", table_name="notification")
    op.drop_table("notification")
    op.drop_index("ix_reminder_outbox_pending", table_name="reminder_outbox")
    op.drop_index("ix_reminder_outbox_task_rule", table_name="reminder_outbox")
    op.drop_table("reminder_outbox")
