"""Tables. The Alembic migrations in `migrations/` create exactly these (a test compares them)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.edge.limits import MAX_ID, MAX_NAME, MAX_URL

# Column sizes follow the platform's limits, the same numbers the edge enforces (migration 0004 set them).
NAME = MAX_NAME
"""Display names (Microsoft Entra allows 256 characters)."""
WIRE_ID = MAX_ID
"""Ids that come from Teams: conversations, activities, MRIs, teams and channels."""
USER_ID = MAX_ID
"""Who did something: an Entra object id, or the Teams id when the channel sends none."""
URL = MAX_URL
RECIPIENT = WIRE_ID + 64
"""An outbox recipient: "conversation:" or "user:" and an id."""
OUTBOX_KEY = 640
"""An outbox idempotency key: a timer's key or "ticket:{id}:v{version}:{kind}", then ":" and the recipient (at most
about 600 characters); under PostgreSQL's b-tree limit like STATE_KEY."""
POLICY_HASH = 64
"""A policy snapshot's SHA-256, in hex."""
STATE_KEY = 640
"""Dialog-state keys: "{channelId}/conversations/{conversation id}" (at most 591) and room to spare; 640 characters
of up to 4 bytes stay under PostgreSQL's 2,704-byte limit for a b-tree key."""

metadata = MetaData(naming_convention={
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_name)s",
})


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


reference_counters = Table(
    "reference_counters", metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)

policy_snapshots = Table(
    "policy_snapshots", metadata,
    Column("hash", String(POLICY_HASH), primary_key=True),
    Column("body", JSON, nullable=False),
)
"""Policy snapshots, each stored once: the SHA-256 of its canonical JSON → the snapshot (never changed)."""

tickets = Table(
    "tickets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("reference", String(40), nullable=False, unique=True),
    Column("status", String(24), nullable=False),
    Column("category", String(32), nullable=False),
    Column("priority", String(8)),
    Column("channel", String(8), nullable=False),
    Column("policy_id", String(64), nullable=False),
    Column("policy_hash", String(POLICY_HASH), ForeignKey("policy_snapshots.hash"), nullable=False),
    Column("reported_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("report", JSON, nullable=False),
    Column("classification", JSON, nullable=False),
    Column("reporter_id", String(USER_ID), nullable=False),
    Column("reporter_name", String(NAME), nullable=False),
    Column("reporter_conversation_id", String(WIRE_ID), nullable=False),
    Column("reporter_activity_id", String(WIRE_ID)),
    Column("channel_conversation_id", String(WIRE_ID)),
    Column("channel_activity_id", String(WIRE_ID)),
    Column("assignee_id", String(USER_ID)),
    Column("assignee_name", String(NAME)),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("intake_key", String(64)),
    Index("ix_tickets_intake_key", "intake_key", unique=True),
)

ticket_events = Table(
    "ticket_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", String(USER_ID)),
    Column("actor_name", String(NAME)),
    Column("before", JSON),
    Column("after", JSON),
    Column("data", JSON),
    UniqueConstraint("ticket_id", "seq"),
)

conversation_refs = Table(
    "conversation_refs", metadata,
    Column("conversation_id", String(WIRE_ID), primary_key=True),
    Column("tenant_id", String(64)),
    Column("customer_id", String(64)),
    Column("user_id", String(64)),
    Column("reference", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_conversation_refs_user_id", "user_id"),
)

channel_bindings = Table(
    "channel_bindings", metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("team_id", String(WIRE_ID)),
    Column("channel_id", String(WIRE_ID), nullable=False),
    Column("service_url", String(URL), nullable=False),
    Column("tenant_id", String(64)),
    Column("bound_by", String(64), nullable=False),
    Column("bound_at", UTCDateTime, nullable=False),
)

dialog_state = Table(
    "dialog_state", metadata,
    Column("key", String(STATE_KEY), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("etag", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

processed_activities = Table(
    "processed_activities", metadata,
    Column("activity_id", String(WIRE_ID), primary_key=True),
    Column("conversation_id", String(WIRE_ID)),
    Column("processed_at", UTCDateTime, nullable=False, index=True),
    Column("status", String(16), nullable=False, server_default="done"),
    Column("claimed_by", String(64)),
    Column("lease_until", UTCDateTime),
    Column("outcome", JSON),
)


users = Table(
    "users", metadata,
    Column("aad_object_id", String(64), primary_key=True),
    Column("mri", String(WIRE_ID), nullable=False),
    Column("name", String(NAME)),
    Column("tenant_id", String(64)),
    Column("updated_at", UTCDateTime, nullable=False),
)

timers = Table(
    "timers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("target", String(40), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("point_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_by", String(64)),
    Column("lease_until", UTCDateTime),
    Column("fired_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_timers_status_due", "status", "due_at"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(OUTBOX_KEY), nullable=False, unique=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), index=True),
    Column("timer_id", Integer),
    Column("purpose", String(40), nullable=False),
    Column("recipient", String(RECIPIENT), nullable=False),
    Column("tenant_id", String(64)),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("not_before", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("claimed_by", String(64)),
    Column("last_error", String(500)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index("ix_outbox_status_not_before", "status", "not_before"),
)

ticket_subscribers = Table(
    "ticket_subscribers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("subscriber_id", String(USER_ID), nullable=False),
    Column("subscriber_name", String(NAME), nullable=False),
    Column("conversation_id", String(WIRE_ID), nullable=False),
    Column("tenant_id", String(64)),
    Column("service_url", String(URL)),
    Column("activity_id", String(WIRE_ID)),
    Column("source", String(16), nullable=False),
    Column("from_ticket_id", Integer),
    Column("join_key", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("left_at", UTCDateTime),
    UniqueConstraint("ticket_id", "subscriber_id"),
    Index("ix_ticket_subscribers_subscriber_id", "subscriber_id"),
)
"""People who follow a ticket they did not open: reporters of the same problem who said "same problem", and the
reporters of duplicates merged into it. ``status`` is active, or split (no longer following)."""


send_slots = Table(
    "send_slots", metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("free_at", UTCDateTime, nullable=False),
)
"""A tenant's share of Teams' per-tenant allowance (50 a second), one row per call that may be under way or have
arrived within the last second: every replica takes its slots here (bot/reminders/gate.py)."""

recipient_sends = Table(
    "recipient_sends", metadata,
    Column("recipient", String(RECIPIENT), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("held_until", UTCDateTime, nullable=False),
    Column("last_alert", UTCDateTime),
)
"""Whose turn it is to send to a recipient (one replica at a time), and when they were last alerted."""

