"""Retention: what the service no longer needs is deleted after a configurable age.

- processed activity ids (de-duplication of Teams' re-deliveries, which come within minutes);
- dialog states nobody has touched (a conversation abandoned half way);
- fired, dropped and cancelled timers, only of resolved tickets (an open ticket's past timers keep it from being
  reminded twice of the same due point);
- sent, failed and dropped outbox messages (their keys keep a message from being queued twice).

Any replica may prune; deleting what another replica deleted a moment ago is harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.reminders.store import CANCELLED, DROPPED, FAILED, FIRED, SENT
from bot.store.db import Database
from bot.store.schema import dialog_state, outbox, processed_activities, tickets, timers

log = logging.getLogger("faultline.prune")
RESOLVED = "resolved"


@dataclass(frozen=True)
class Retention:
    activities: timedelta = timedelta(days=2)
    dialogs: timedelta = timedelta(days=14)
    timers: timedelta = timedelta(days=30)
    outbox: timedelta = timedelta(days=30)


async def prune(db: Database, now: datetime, keep: Retention) -> dict[str, int]:
    """Delete what is older than its retention; how many rows of each kind went."""
    resolved = select(tickets.c.id).where(tickets.c.status == RESOLVED, tickets.c.updated_at < now - keep.timers)
    statements = {
        "activities": delete(processed_activities).where(processed_activities.c.processed_at < now - keep.activities),
        "dialogs": delete(dialog_state).where(dialog_state.c.updated_at < now - keep.dialogs),
        "timers": delete(timers).where(timers.c.status.in_((FIRED, DROPPED, CANCELLED)),
                                       timers.c.created_at < now - keep.timers, timers.c.ticket_id.in_(resolved)),
        "outbox": delete(outbox).where(outbox.c.status.in_((SENT, FAILED, DROPPED)),
                                       outbox.c.created_at < now - keep.outbox),
    }
    counts = {}
    async with db.write() as conn:
        for kind, statement in statements.items():
            counts[kind] = (await conn.execute(statement)).rowcount
    if any(counts.values()):
        log.info("pruned %s", counts)
    return counts
