"""Building report inputs the way the bot's store holds them: a ticket and its audit log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from reports import ReportEvent, ReportTicket
from sla import PolicyLibrary
from sla.model import Policy

LIB = PolicyLibrary.load()


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def ticket(policy: str | Policy, priority: str | None, reported: str, *steps: tuple[Any, ...],
           category: str = "incident", services: tuple[str, ...] = (), reference: str = "T") -> ReportTicket:
    """``steps``: (kind, minutes after the report[, data]) in the order they happened."""
    start = ts(reported)
    events = [ReportEvent("opened", start, after={"status": "open", "priority": priority, "category": category})]
    for kind, minutes, *data in steps:
        events.append(ReportEvent(kind, start + timedelta(minutes=minutes), data=data[0] if data else None))
    resolved = policy if isinstance(policy, Policy) else LIB.get(policy)
    return ReportTicket(reference, category, priority, "chat", start, resolved, tuple(events), services)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
