"""Reminder and escalation cards: what is due or late, on which ticket, and the one-click next step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adaptive_cards import verbs as v
from adaptive_cards.cards import Card, card, execute, facts, text


def reminder_card(*, ticket_id: int, reference: str, headline: str, summary: str, due: str, timer_key: str) -> Card:
    """To the assignee (or the channel): an update is due soon, now, or is late."""
    update = {"type": "Action.ShowCard", "title": "Post update", "card": {
        "type": "AdaptiveCard",
        "body": [{"type": "Input.Text", "id": "text", "label": "Update for the customer", "isMultiline": True,
                  "isRequired": True, "errorMessage": "Write the update", "maxLength": 4000}],
        "actions": [execute("Send to the customer", v.UPDATE, {"ticket": ticket_id})]}}
    return card(
        [text(headline, size="Medium", weight="Bolder", color="Warning"),
         facts([("Ticket", reference), ("Due", due), ("About", summary)])],
        [update,
         execute("Snooze 15 min", v.SNOOZE, {"ticket": ticket_id, "timer": timer_key, "minutes": 15}),
         execute("Snooze 30 min", v.SNOOZE, {"ticket": ticket_id, "timer": timer_key, "minutes": 30})],
    )


def escalation_card(*, ticket_id: int, reference: str, headline: str, clock: str, lateness: str, summary: str,
                    assignee: str) -> Card:
    """To a team lead or manager: which clock, how late, and take ownership or open the ticket."""
    return card(
        [text(headline, size="Medium", weight="Bolder", color="Attention"),
         facts([("Ticket", reference), ("Clock", clock), ("Standing", lateness), ("About", summary),
                ("Assigned to", assignee or "nobody")])],
        [execute("Take ownership", v.TAKE_OWNERSHIP, {"ticket": ticket_id}, style="positive"),
         execute("Open ticket", v.REFRESH, {"ticket": ticket_id})],
    )


@dataclass(frozen=True)
class Alert:
    """One line of a digest: which ticket, how urgent, what fired."""

    ticket_id: int | None
    reference: str
    priority: str
    what: str


def digest_card(*, headline: str, alerts: Sequence[Alert]) -> Card:
    """Many alerts for one person at once, as one card: a line per ticket; selecting a line opens the ticket."""
    lines = [{"type": "Container", "separator": True, "items": [
        text(" · ".join(part for part in (f"**{a.reference}**" if a.reference else "", a.priority, a.what) if part))],
        **({"selectAction": execute("Open ticket", v.REFRESH, {"ticket": a.ticket_id})}
           if a.ticket_id is not None else {})} for a in alerts]
    return card([text(headline, size="Medium", weight="Bolder", color="Attention"), *lines])
