"""Subscribers: the reporters of one outage who follow its ticket (joined at intake, or merged in).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

NAME, ID, URL = 256, 512, 512
"""The sizes schema.py gives these columns when this revision was written."""

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_subscribers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id", name="fk_ticket_subscribers_ticket_id_tickets"),
                  nullable=False),
        sa.Column("subscriber_id", sa.String(ID), nullable=False),
        sa.Column("subscriber_name", sa.String(NAME), nullable=False),
        sa.Column("conversation_id", sa.String(ID), nullable=False),
        sa.Column("tenant_id", sa.String(64)),
        sa.Column("service_url", sa.String(URL)),
        sa.Column("activity_id", sa.String(ID)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("from_ticket_id", sa.Integer),
        sa.Column("join_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("joined_at", UTCDateTime, nullable=False),
        sa.Column("left_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_subscribers"),
        sa.UniqueConstraint("join_key", name="uq_ticket_subscribers_join_key"),
        sa.UniqueConstraint("ticket_id", "subscriber_id", name="uq_ticket_subscribers_ticket_id"),
    )
    op.create_index("ix_ticket_subscribers_ticket_id", "ticket_subscribers", ["ticket_id"])
    op.create_index("ix_ticket_subscribers_subscriber_id", "ticket_subscribers", ["subscriber_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_subscribers_subscriber_id", table_name="ticket_subscribers")
    op.drop_index("ix_ticket_subscribers_ticket_id", table_name="ticket_subscribers")
    op.drop_table("ticket_subscribers")
