"""Is this the problem someone of the same customer already reported? Pure: candidates in, the best one out.

A candidate is one of the customer's open tickets (the visibility gate chose them, so another customer's ticket
is never among them). It matches when its services overlap the report's, its site is the report's when both
sites are known, and it was opened within the customer's window. The best match covers the most of the
report's services, then is the newest. The offer names it in plain words and is always a question: the reporter
says yes or no, nothing is joined silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from adaptive_cards import verbs
from adaptive_cards.cards import Card, card, submit, text

DEFAULT_WINDOW = timedelta(hours=4)
YES_WORDS = {"yes", "y", "yes same problem", "same problem", "same", "yes same", "yep", "yeah", "that's it",
             "thats it", "it is", "yes it is", "same here", "me too"}
NO_WORDS = {"no", "n", "no something else", "something else", "different", "nope", "not that", "no it isn't",
            "no it's not", "no its not", "other"}


@dataclass(frozen=True)
class Candidate:
    """An open ticket of the reporter's customer, as far as matching and the offer need to know it."""

    ticket_id: int
    reference: str
    priority: str | None
    services: tuple[str, ...]
    site: str | None
    opened_at: datetime
    engineer_on_it: bool


def _same_site(report_site: str | None, candidate: Candidate) -> bool:
    if not report_site or not candidate.site:
        return True
    return report_site.strip().lower() == candidate.site.strip().lower()


def overlap(services: Sequence[str], candidate: Candidate) -> int:
    """How many of the report's services the candidate covers."""
    return len(set(services) & set(candidate.services))


def best_match(candidates: Sequence[Candidate], services: Sequence[str], site: str | None, now: datetime,
               window: timedelta = DEFAULT_WINDOW) -> Candidate | None:
    """The candidate this report most likely repeats, or None."""
    fitting = [c for c in candidates if overlap(services, c) and _same_site(site, c)
               and timedelta(0) <= now - c.opened_at <= window]
    if not fitting:
        return None
    return max(fitting, key=lambda c: (overlap(services, c), c.opened_at, c.ticket_id))


def answer_of(words: str) -> bool | None:
    """True for "yes, same problem", False for "no, something else", None for anything else."""
    plain = " ".join(words.lower().replace(",", " ").replace("’", "'").split()).rstrip(".!")
    return True if plain in YES_WORDS else False if plain in NO_WORDS else None


def covers(candidate: Candidate, catalogue: Mapping[str, str]) -> str:
    """'inbound calls at Leeds' — what the ticket is about, in the catalogue's words."""
    names = [catalogue.get(s, s.replace("_", " ")) for s in candidate.services]
    what = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    what = what[:1].lower() + what[1:] if what[:2] != what[:2].upper() else what
    return f"{what} at {candidate.site}" if candidate.site else what


def offer_text(candidate: Candidate, catalogue: Mapping[str, str], tz: ZoneInfo) -> str:
    """"This looks like MAINTEL-000123 — P1, inbound calls at Leeds, opened 09:12, an engineer is on it." """
    opened = candidate.opened_at.astimezone(tz).strftime("%H:%M")
    who = "an engineer is on it" if candidate.engineer_on_it else "the engineers have it"
    priority = f"{candidate.priority}, " if candidate.priority else ""
    return (f"This looks like {candidate.reference} — {priority}{covers(candidate, catalogue)}, opened {opened}, "
            f"{who}. Same problem?")


def offer_card(candidate: Candidate) -> Card:
    """The two answers as buttons (typing them works too)."""
    return card([text(f"Is it {candidate.reference}?", weight="Bolder")], [
        submit("Yes, same problem", verbs.SAME_PROBLEM, style="positive", ticket=candidate.ticket_id),
        submit("No, something else", verbs.NOT_SAME_PROBLEM, ticket=candidate.ticket_id)])
