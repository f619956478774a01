"""Tickets for the board's tests and bench, written straight to the store: open ones with clocks near their
deadlines, one on hold, and resolved ones in the previous month for the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.config import Config, Customer
from bot.store.db import Database
from bot.store.tickets import NewTicket, Ticket, TicketStore

ENGINEER = "00000000-0000-0000-0000-00000000e001"


@dataclass(frozen=True)
class Step:
    kind: str
    columns: dict[str, Any]
    data: dict[str, Any]


def new_ticket(customer: Customer, priority: str, reported_at: datetime, description: str,
               services: tuple[str, ...] = ("inbound_calls",)) -> NewTicket:
    return NewTicket(customer_id=customer.id, category="incident", priority=priority, channel="chat",
                     policy_id=customer.policy.id, policy_snapshot=dict(customer.policy.raw), reported_at=reported_at,
                     started_at=reported_at, report={"description": description, "services": list(services)},
                     classification={"category": "incident", "priority": priority}, reporter_id="seed-reporter",
                     reporter_name="Rita Reporter", reporter_conversation_id="a:seed",
                     reference_prefix=customer.reference_prefix)


async def step(store: TicketStore, ticket: Ticket, at: datetime, kind: str, columns: dict[str, Any] | None = None,
               data: dict[str, Any] | None = None) -> Ticket:
    change = Step(kind, columns or {}, data or {})
    changed, _ = await store.transition(ticket.id, at=at, actor_id=ENGINEER, actor_name="Eng Alpha",
                                        decide=lambda t, e: change)
    return changed


async def open_one(store: TicketStore, customer: Customer, priority: str, reported_at: datetime,
                   description: str) -> Ticket:
    return await store.create(new_ticket(customer, priority, reported_at, description), at=reported_at)


async def seed(db: Database, config: Config, now: datetime) -> dict[str, Ticket]:
    """The board's scenario; ``now`` is when the viewer looks (the tickets are placed around it)."""
    store = TicketStore(db)
    maintel, vodafone = config.customer("maintel-demo"), config.customer("vodafone-demo")
    assert maintel is not None and vodafone is not None
    found = {}
    p1 = await open_one(store, maintel, "P1", now - timedelta(minutes=10), "All inbound calls fail at head office")
    found["maintel_p1"] = await step(store, p1, now - timedelta(minutes=8), "assigned",
                                     {"assignee_id": ENGINEER, "assignee_name": "Eng Alpha"}, {"assignee": ENGINEER})
    hold = await open_one(store, maintel, "P2", now - timedelta(hours=3), "Voicemail light stuck on one handset")
    hold = await step(store, hold, now - timedelta(hours=2, minutes=50), "acknowledged", {"status": "acknowledged"})
    found["maintel_hold"] = await step(store, hold, now - timedelta(hours=2), "paused", {"status": "on_hold"},
                                       {"reason": "awaiting the customer's site access", "hold_kind":
                                        "awaiting_customer"})
    found["vodafone_p2"] = await open_one(store, vodafone, "P2", now - timedelta(minutes=30),
                                          "Outbound calls drop after a minute")
    month_start = (now.replace(day=1) - timedelta(days=1)).replace(day=3, hour=10, minute=0, second=0, microsecond=0)
    for n, (priority, minutes) in enumerate((("P1", 50), ("P2", 200), ("P3", 900))):
        reported = month_start + timedelta(days=2 * n)
        old = await open_one(store, maintel, priority, reported, f"Past fault {n + 1}")
        old = await step(store, old, reported + timedelta(minutes=5 + n * 20), "acknowledged",
                         {"status": "acknowledged"})
        old = await step(store, old, reported + timedelta(minutes=minutes), "restored", {"status": "restored"},
                         {"text": "service back"})
        found[f"past_{n}"] = await step(store, old, reported + timedelta(minutes=minutes + 60), "resolved",
                                        {"status": "resolved"}, {"summary": "fixed"})
    return found
