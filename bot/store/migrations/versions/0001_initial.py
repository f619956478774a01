"""Initial schema: tickets, their event log, conversations, bindings, dialog state, processed activities.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_counters",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("last_number", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name="pk_reference_counters"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(8)),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("policy_snapshot", sa.JSON, nullable=False),
        sa.Column("reported_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("classification", sa.JSON, nullable=False),
        sa.Column("reporter_id", sa.String(64), nullable=False),
        sa.Column("reporter_name", sa.String(200), nullable=False),
        sa.Column("reporter_conversation_id", sa.String(300), nullable=False),
        sa.Column("reporter_activity_id", sa.String(300)),
        sa.Column("channel_conversation_id", sa.String(300)),
        sa.Column("channel_activity_id", sa.String(300)),
        sa.Column("assignee_id", sa.String(64)),
        sa.Column("assignee_name", sa.String(200)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.UniqueConstraint("reference", name="uq_tickets_reference"),
    )
    op.create_index("ix_tickets_customer_id", "tickets", ["customer_id"])
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor_id", sa.String(64)),
        sa.Column("actor_name", sa.String(200)),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
        sa.Column("data", sa.JSON),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_events"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_ticket_events_ticket_id_tickets"),
        sa.UniqueConstraint("ticket_id", "seq", name="uq_ticket_events_ticket_id"),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])
    op.create_table(
        "conversation_refs",
        sa.Column("conversation_id", sa.String(300), primary_key=True),
        sa.Column("tenant_id", sa.String(64)),
        sa.Column("customer_id", sa.String(64)),
        sa.Column("user_id", sa.String(64)),
        sa.Column("reference", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_conversation_refs"),
    )
    op.create_table(
        "channel_bindings",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(300)),
        sa.Column("channel_id", sa.String(300), nullable=False),
        sa.Column("service_url", sa.String(500), nullable=False),
        sa.Column("tenant_id", sa.String(64)),
        sa.Column("bound_by", sa.String(64), nullable=False),
        sa.Column("bound_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name="pk_channel_bindings"),
    )
    op.create_table(
        "dialog_state",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_dialog_state"),
    )
    op.create_table(
        "processed_activities",
        sa.Column("activity_id", sa.String(300), primary_key=True),
        sa.Column("conversation_id", sa.String(300)),
        sa.Column("processed_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("activity_id", name="pk_processed_activities"),
    )
    op.create_index("ix_processed_activities_processed_at", "processed_activities", ["processed_at"])


def downgrade() -> None:
    for index, table in (("ix_processed_activities_processed_at", "processed_activities"),
                         ("ix_ticket_events_ticket_id", "ticket_events"),
                         ("ix_tickets_customer_id", "tickets")):
        op.drop_index(index, table_name=table)
    for table in ("processed_activities", "dialog_state", "channel_bindings", "conversation_refs",
                  "ticket_events", "tickets", "reference_counters"):
        op.drop_table(table)
