"""Storms coalesce: many alerts for one person at once become one digest card listing the tickets (pure).

The sender groups a recipient's ready messages; those about tickets (reminders and escalations) that number at
least ``minimum`` go as digests of at most ``limit`` lines, and each underlying message is recorded sent with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from adaptive_cards.reminders import Alert, digest_card
from bot.reminders.store import Message

DIGEST_LIMIT = 25
"""Lines per digest card: keeps one card well inside Teams' message size."""

Unit = Sequence[Message]
"""What one send delivers: one message, or the messages a digest stands for."""


def units(messages: Sequence[Message], coalescible: Collection[str], minimum: int,
          limit: int = DIGEST_LIMIT) -> list[Unit]:
    """One recipient's messages (in order) as send units; the digests take the place of their first message."""
    storm = [m for m in messages if m.purpose in coalescible]
    if minimum < 2 or len(storm) < minimum:
        return [[m] for m in messages]
    chunks = [storm[i:i + limit] for i in range(0, len(storm), limit)]
    result: list[Unit] = []
    for message in messages:
        if message.purpose not in coalescible:
            result.append([message])
        elif message is storm[0]:
            result.extend(chunks)
    return result


def alert_of(message: Message) -> Alert:
    """The digest line for a message: what its own card would have said."""
    about: Mapping[str, Any] = message.payload.get("alert") or {}
    return Alert(ticket_id=message.ticket_id, reference=str(about.get("reference", "")),
                 priority=str(about.get("priority", "")), what=str(about.get("what") or _headline(message)))


def _headline(message: Message) -> str:
    for attachment in message.payload.get("activity", {}).get("attachments") or []:
        body = (attachment.get("content") or {}).get("body") or []
        if body and isinstance(body[0], Mapping) and body[0].get("text"):
            return str(body[0]["text"])
    return message.purpose.replace("_", " ")


def digest(unit: Unit) -> Message:
    """The message that carries a unit: itself when alone, else a digest card under a key naming its members."""
    if len(unit) == 1:
        return unit[0]
    first = unit[0]
    alerts = [alert_of(m) for m in unit]
    tickets = len({a.reference or a.ticket_id for a in alerts})
    headline = f"{len(unit)} alerts about {tickets} ticket{'s' if tickets != 1 else ''}"
    activity = {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                    "content": digest_card(headline=headline, alerts=alerts)}]}
    due = min((datetime.fromisoformat(m.payload["due_at"]) for m in unit if m.payload.get("due_at")), default=None)
    members = hashlib.sha256("\n".join(sorted(m.key for m in unit)).encode()).hexdigest()[:24]
    return replace(first, key=f"digest:{members}", purpose="digest",
                   payload={**first.payload, "activity": activity,
                                                     "due_at": due.isoformat() if due else None})
