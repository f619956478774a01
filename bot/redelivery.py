"""Teams re-delivers an activity it got no answer for (same id): claim it for one turn, and say what a
re-delivery gets.

- first delivery, or a re-delivery whose first turn died (lease run out, or on PostgreSQL its process gone):
  processed (again);
- a re-delivery while the first turn is still running: waits up to 3 s for it, then 503 with Retry-After;
- a re-delivery of a finished turn: an invoke gets the stored response again; a confirm that opened a ticket
  names that ticket again; any other message gets nothing more (its replies were sent before it was done).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from botbuilder.core import InvokeResponse
from botbuilder.schema import Activity

from bot.clock import Clock
from bot.store.conversations import BUSY, NEW, Claim, ConversationStore

BUSY_WAITS, BUSY_POLL = 12, 0.25
"""A re-delivery that finds its activity still being processed waits up to 3 s for that turn to finish."""


async def claim_activity(store: ConversationStore, activity: Activity, clock: Clock) -> Claim:
    """Claim the activity; a re-delivery that finds it busy waits a few seconds for the live turn to finish."""
    if not activity.id:
        return Claim(NEW)
    conversation = activity.conversation.id if activity.conversation else None
    claim = await store.claim(activity.id, conversation, clock.now())
    for _ in range(BUSY_WAITS):
        if claim.status != BUSY:
            break
        await asyncio.sleep(BUSY_POLL)
        claim = await store.claim(activity.id, conversation, clock.now())
    return claim


async def finish_activity(store: ConversationStore, activity: Activity, response: InvokeResponse | None,
                          now: datetime) -> None:
    """Done: a re-delivery answers an invoke with the same body, and a message with nothing more."""
    if activity.id:
        outcome = {"invoke": {"status": response.status, "body": response.body}} if response is not None else None
        await store.finish_activity(activity.id, now, outcome)
