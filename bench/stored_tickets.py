"""Many synthetic tickets written straight into a Faultline database (bulk inserts), for the report and board
benches: each ticket with its audit events, as the bot would have stored them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.config import Customer
from bot.store.db import Database
from bot.store.schema import policy_snapshots, ticket_events, tickets
from bot.store.tickets import snapshot_hash
from reports import ReportTicket

STATUS_AFTER = {"acknowledged": "acknowledged", "paused": "on_hold", "resumed": "acknowledged",
                "restored": "restored", "still_broken": "acknowledged", "resolved": "resolved"}


def _status(ticket: ReportTicket) -> str:
    status = "open"
    for event in ticket.events:
        status = STATUS_AFTER.get(event.kind, status)
    return status


def _ticket_row(customer: Customer, n: int, ticket: ReportTicket, at: datetime, policy_hash: str) -> dict[str, Any]:
    return {"id": n, "customer_id": customer.id, "reference": f"{customer.reference_prefix}-{n:06d}",
            "status": _status(ticket), "category": ticket.category, "priority": ticket.priority,
            "channel": ticket.channel, "policy_id": customer.policy.id, "policy_hash": policy_hash,
            "reported_at": ticket.reported_at, "started_at": ticket.reported_at,
            "report": {"description": f"Synthetic fault {n}", "services": list(ticket.services)},
            "classification": {}, "reporter_id": "bench-reporter", "reporter_name": "Bench Reporter",
            "reporter_conversation_id": "a:bench", "assignee_id": None, "assignee_name": None, "version": 1,
            "created_at": at, "updated_at": at}


def _event_rows(n: int, ticket: ReportTicket) -> list[dict[str, Any]]:
    return [{"ticket_id": n, "seq": seq, "kind": e.kind, "at": e.at, "actor_id": "bench-engineer",
             "actor_name": "Bench Engineer", "before": None, "after": dict(e.after) if e.after else None,
             "data": dict(e.data) if e.data else None} for seq, e in enumerate(ticket.events, start=1)]


async def store(db: Database, customer: Customer, synthetic: Sequence[ReportTicket], first_id: int = 1) -> None:
    """Write the tickets (their policy snapshot stored once) and their events, a thousand tickets per transaction."""
    digest = snapshot_hash(customer.policy.raw)
    async with db.write() as conn:
        await conn.execute(db.insert(policy_snapshots).values(hash=digest, body=dict(customer.policy.raw))
                           .on_conflict_do_nothing(index_elements=["hash"]))
    for start in range(0, len(synthetic), 1000):
        chunk = list(enumerate(synthetic[start:start + 1000], start=first_id + start))
        async with db.write() as conn:
            await conn.execute(tickets.insert(), [_ticket_row(customer, n, t, t.reported_at, digest)
                                                for n, t in chunk])
            await conn.execute(ticket_events.insert(), [row for n, t in chunk for row in _event_rows(n, t)])
