"""Teams re-delivers an activity it got no answer for (same id): claim it for one turn, and say what a
re-delivery gets.

- first delivery, or a re-delivery whose first turn died (lease run out, or on PostgreSQL its process gone):
  processed (again);
- a re-delivery while the first turn is still running: waits up to 3 s for it, then 503 with Retry-After;
- a re-delivery of a finished turn: an invoke gets the stored response again; a confirm that opened a ticket
  names that ticket again; any other message gets nothing more (its replies were sent before it was done).

A card's refresh changes nothing, so it is not claimed at all: a re-delivery draws the card afresh.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from botbuilder.core import InvokeResponse
from botbuilder.schema import Activity

from adaptive_cards import verbs
from bot.clock import Clock
from bot.edge.wire import CARD_ACTION
from bot.store.conversations import BUSY, NEW, AtClaim, Claim, ConversationStore

BUSY_WAITS, BUSY_POLL = 12, 0.25
"""A re-delivery that finds its activity still being processed waits up to 3 s for that turn to finish."""


def needs_claim(activity: Activity) -> bool:
    """Whether the activity may change anything: all but a card's refresh (an invoke that only reads), and those
    without an id (nothing to recognise a re-delivery by)."""
    if not activity.id:
        return False
    card_action = activity.type == "invoke" and activity.name == CARD_ACTION
    value = activity.value if card_action and isinstance(activity.value, dict) else {}
    action = value.get("action")
    return not (isinstance(action, dict) and action.get("verb") == verbs.REFRESH)


async def claim_activity(store: ConversationStore, activity: Activity, clock: Clock,
                         also: AtClaim | None = None) -> Claim:
    """Claim the activity (``also`` in the same transaction, when it is this turn's); a re-delivery that finds it
    busy waits a few seconds for the live turn to finish. One that needs no claim (`needs_claim`) is new."""
    if not activity.id or not needs_claim(activity):
        return Claim(NEW)
    conversation = activity.conversation.id if activity.conversation else None
    claim = await store.claim(activity.id, conversation, clock.now(), also)
    for _ in range(BUSY_WAITS):
        if claim.status != BUSY:
            break
        await asyncio.sleep(BUSY_POLL)
        claim = await store.claim(activity.id, conversation, clock.now(), also)
    return claim


async def finish_activity(store: ConversationStore, activity: Activity, response: InvokeResponse | None,
                          now: datetime) -> None:
    """Done: a re-delivery answers an invoke with the same body, and a message with nothing more."""
    if activity.id:
        outcome = {"invoke": {"status": response.status, "body": response.body}} if response is not None else None
        await store.finish_activity(activity.id, now, outcome)
