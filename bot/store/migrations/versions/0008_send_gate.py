"""Sending shared by replicas: each tenant's slots of Teams' allowance, and whose turn it is to send to a person;
conversation references found by user (a person's 1:1 chat with the bot).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

RECIPIENT = 512 + 64
"""The size schema.py gives an outbox recipient when this revision was written."""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_slots",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("free_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "slot", name="pk_send_slots"),
    )
    op.create_table(
        "recipient_sends",
        sa.Column("recipient", sa.String(RECIPIENT), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("held_until", UTCDateTime, nullable=False),
        sa.Column("last_alert", UTCDateTime),
        sa.PrimaryKeyConstraint("recipient", name="pk_recipient_sends"),
    )
    op.create_index("ix_conversation_refs_user_id", "conversation_refs", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_refs_user_id", table_name="conversation_refs")
    op.drop_table("recipient_sends")
    op.drop_table("send_slots")
