"""A reporter's later update, read against the ticket's report: does the priority change?

Pure. The update is read like a first message (``dialogs.extract``, with the customer's own words), merged into
the facts the ticket already has, and classified with the ticket's policy snapshot. Newer facts override older
ones, except how widely: counts and shares only widen (an update saying "now nobody can call" widens a
one-user report; one that names nobody does not narrow it), and services named are added to those known.

An upgrade is applied at once; a lower priority is only suggested, since a downgrade is the engineer's
decision (DuoCall 2.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from adaptive_cards import verbs
from adaptive_cards.cards import CARD_VERSION, Card, execute, text
from bot.rules.verbs import Change
from dialogs.extract import Vocabulary, extract
from dialogs.intake import FACT_KEYS, facts_of
from sla import Policy
from sla.classify import Classification, RuleMatch, classify, facts_from_mapping
from sla.errors import SlaError

if TYPE_CHECKING:
    from bot.store.tickets import Ticket

WIDENING = ("users_affected", "pct_users_affected", "sites_affected", "total_sites")
"""How widely: an update can only widen these (the larger count wins)."""
KEPT = ("services", *FACT_KEYS)
"""The report's keys that are facts (no free text): the only ones merged and stored again."""


@dataclass(frozen=True)
class Reading:
    """The update's outcome: ``kind`` is ``same``, ``upgrade`` or ``suggest`` (a lower priority, not applied)."""

    kind: str
    priority: str | None
    rules: tuple[RuleMatch, ...] = ()
    facts: Mapping[str, Any] | None = None

    @property
    def because(self) -> str:
        """The deciding rules in the contract's words: "'…' (000:L33)"."""
        return "; ".join(f"'{r.quote}' ({r.seed})" for r in self.rules)


SAME = Reading("same", None)


def merged(known: Mapping[str, Any], found: Mapping[str, Any]) -> dict[str, Any]:
    """The report's facts with the update's: newer override, scope only widens, services add up."""
    facts = {k: known[k] for k in KEPT if known.get(k) is not None}
    for key, value in found.items():
        if key not in KEPT or value is None:
            continue
        facts[key] = _merge_one(key, facts.get(key), value)
    if facts.get("pct_users_affected", 0) > 0 and facts.get("users_affected") == 1 and "users_affected" not in found:
        facts["users_affected"] = None  # "just me" was said before the update spoke of a share of everyone
    return facts


def _merge_one(key: str, old: Any, new: Any) -> Any:
    if old is None:
        return new
    if key in WIDENING:
        return max(old, new)
    if key == "services":
        return list(dict.fromkeys([*old, *new]))
    return new


def decide(policy: Policy, ticket: tuple[str, str | None], facts: Mapping[str, Any]) -> Reading:
    """Classify the merged facts; compare with the ticket's (category, priority)."""
    try:
        result = classify(policy, facts_from_mapping(facts_of("fault", facts)))
    except SlaError:
        return SAME
    category, priority = ticket
    if result.category != category or result.priority is None or result.priority == priority:
        return SAME
    return _reading(policy, priority, result, facts)


def _reading(policy: Policy, priority: str | None, result: Classification, facts: Mapping[str, Any]) -> Reading:
    kind = "upgrade" if policy.rank(result.priority) < policy.rank(priority) else "suggest"
    return Reading(kind, result.priority, result.rules, dict(facts))


def reconsider(policy: Policy, ticket: tuple[str, str | None], known: Mapping[str, Any], update: str, *,
               catalogue: Mapping[str, str], vocabulary: Vocabulary | None, now: datetime, tz: ZoneInfo) -> Reading:
    """Read the reporter's update (``known``: the facts the ticket has so far) and decide what it changes."""
    found = extract(update, catalogue, now=now, tz=tz, vocabulary=vocabulary).found
    if not any(key in KEPT for key in found):
        return SAME
    return decide(policy, ticket, merged(known, found))


# -- what the engineers are told -------------------------------------------------------------------------
def record(reading: Reading, category: str) -> dict[str, Any]:
    """The ticket's classification column after an upgrade: the deciding rules and the merged facts (no text)."""
    return {"category": category, "priority": reading.priority, "facts": dict(reading.facts or {}),
            "rules": [{"id": r.id, "quote": r.quote, "seed": r.seed} for r in reading.rules]}


def upgrade_change(ticket: Ticket, reading: Reading, actor_name: str) -> Change:
    """The same event an engineer's reclassify stores, with the contract's words as the reason."""
    reason = f"reporter's update: {reading.because}"
    return Change("reclassified", {"priority": reading.priority, "classification": record(reading, ticket.category)},
                  {"priority": reading.priority, "reason": reason},
                  f"Reclassified from {ticket.priority} to {reading.priority} ({actor_name}'s update).")


def upgrade_text(ticket: Ticket, reading: Reading) -> str:
    return f"Now {reading.priority}: {reading.because} — from the reporter's update ({ticket.reference})."


def suggestion_text(ticket: Ticket, reading: Reading) -> str:
    return (f"{reading.priority} suggested for {ticket.reference} (now {ticket.priority}): {reading.because} — from "
            "the reporter's update. A lower priority is your decision; nothing was changed.")


def suggestion_card(ticket: Ticket, reading: Reading) -> Card:
    """One click applies the suggestion through the engineers' own reclassify verb."""
    data = {"ticket": ticket.id, "version": ticket.version, "priority": reading.priority,
            "reason": f"reporter's update: {reading.because}"}
    return {"type": "AdaptiveCard", "version": CARD_VERSION,
            "body": [text(suggestion_text(ticket, reading))],
            "actions": [execute(f"Reclassify to {reading.priority}", verbs.RECLASSIFY, data)]}
