"""Exactly-once intake: a ticket remembers the report it came from; an activity claim is processing or done.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("intake_key", sa.String(64)))
    op.create_index("ix_tickets_intake_key", "tickets", ["intake_key"], unique=True)
    op.add_column("processed_activities", sa.Column("status", sa.String(16), nullable=False, server_default="done"))
    op.add_column("processed_activities", sa.Column("claimed_by", sa.String(64)))
    op.add_column("processed_activities", sa.Column("lease_until", UTCDateTime))
    op.add_column("processed_activities", sa.Column("outcome", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("processed_activities") as batch:
        for column in ("outcome", "lease_until", "claimed_by", "status"):
            batch.drop_column(column)
    op.drop_index("ix_tickets_intake_key", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("intake_key")
