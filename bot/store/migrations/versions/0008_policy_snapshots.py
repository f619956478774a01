"""Policy snapshots stored once by content hash: tickets point at them instead of each keeping a copy.

A ticket used to carry its whole policy snapshot (2–13 KB of JSON); tickets opened under the same policy version
now share one `policy_snapshots` row, keyed by the SHA-256 of the snapshot's canonical JSON (sorted keys, no
spaces), the same hash the bot computes when it opens a ticket. Upgrading reads every ticket's snapshot once,
stores each distinct one and points the tickets at it; downgrading copies the snapshot back onto each ticket.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01
"""

import hashlib
import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_tickets_policy_hash_policy_snapshots"
CHUNK = 500
"""Ticket ids updated per statement (well under SQLite's limit on bound parameters)."""
PAGE = 2000
"""Tickets read at a time."""

snapshots = sa.table("policy_snapshots", sa.column("hash", sa.String), sa.column("body", sa.JSON))
tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("policy_hash", sa.String),
                   sa.column("policy_snapshot", sa.JSON))


def content_hash(snapshot: Any) -> str:
    """The same as `bot.store.tickets.snapshot_hash` (kept here so the migration never changes with the code)."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _tickets_by_hash(bind: sa.Connection) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """One pass over the tickets: each distinct snapshot (by hash) and the tickets that carry it."""
    bodies: dict[str, Any] = {}
    owners: dict[str, list[int]] = defaultdict(list)
    hashes: dict[str, str] = {}  # the stored text → its hash: equal texts are parsed once
    query = sa.select(tickets.c.id, sa.cast(tickets.c.policy_snapshot, sa.Text)).order_by(tickets.c.id).limit(PAGE)
    last = None
    while rows := bind.execute(query if last is None else query.where(tickets.c.id > last)).all():
        for ticket_id, stored in rows:  # a page at a time: never every snapshot in memory at once
            digest = hashes.get(stored)
            if digest is None:
                body = json.loads(stored)
                digest = hashes[stored] = content_hash(body)
                bodies.setdefault(digest, body)
            owners[digest].append(ticket_id)
        last = rows[-1][0]
    return bodies, owners


def upgrade() -> None:
    op.create_table(
        "policy_snapshots",
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("hash", name="pk_policy_snapshots"),
    )
    op.add_column("tickets", sa.Column("policy_hash", sa.String(64)))
    bind = op.get_bind()
    bodies, owners = _tickets_by_hash(bind)
    if bodies:
        bind.execute(snapshots.insert(), [{"hash": h, "body": body} for h, body in bodies.items()])
    for digest, ids in owners.items():
        for start in range(0, len(ids), CHUNK):
            bind.execute(tickets.update().where(tickets.c.id.in_(ids[start:start + CHUNK]))
                         .values(policy_hash=digest))
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("policy_hash", existing_type=sa.String(64), nullable=False)
        batch.create_foreign_key(FOREIGN_KEY, "policy_snapshots", ["policy_hash"], ["hash"])
        batch.drop_column("policy_snapshot")


def downgrade() -> None:
    op.add_column("tickets", sa.Column("policy_snapshot", sa.JSON))
    body = sa.select(snapshots.c.body).where(snapshots.c.hash == tickets.c.policy_hash).scalar_subquery()
    op.get_bind().execute(tickets.update().values(policy_snapshot=body))
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("policy_snapshot", existing_type=sa.JSON, nullable=False)
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_column("policy_hash")
    op.drop_table("policy_snapshots")
