"""What one intake turn works with: the world (context), what the user sent (turn), and what comes back."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adaptive_cards import verbs
from adaptive_cards.cards import Card
from dialogs.classifying import classify_remembered
from dialogs.matching import DEFAULT_WINDOW, Candidate
from sla import Classification, Policy
from sla.classify import Facts


@dataclass(frozen=True)
class IntakeContext:
    """What intake needs to know about the world for one turn."""

    customer_name: str
    policy: Policy
    services: Mapping[str, str]
    tz: ZoneInfo
    now: datetime
    channel: str = "chat"
    vocabulary: Mapping[str, Sequence[str]] = field(default_factory=dict)
    classifier: Callable[[Policy, Facts], Classification] = classify_remembered
    candidates: Sequence[Candidate] = ()
    """The customer's open tickets this report may repeat (found through the visibility gate)."""
    match_window: timedelta = DEFAULT_WINDOW


@dataclass(frozen=True)
class Reply:
    text: str = ""
    card: Card | None = None


@dataclass(frozen=True)
class Submission:
    """A confirmed report, ready to become a ticket."""

    kind: str
    answers: Mapping[str, Any]
    classification: Classification


@dataclass(frozen=True)
class Join:
    """The reporter said "same problem": they follow that ticket, and what they said adds to its impact."""

    ticket_id: int
    reference: str
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    state: dict[str, Any] | None
    replies: tuple[Reply, ...] = ()
    submission: Submission | None = None
    join: Join | None = None


@dataclass(frozen=True)
class Turn:
    """What the user sent: typed text and/or a card submission."""

    text: str = ""
    value: Mapping[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str | None:
        action = self.value.get(verbs.ACTION_KEY)
        return action if isinstance(action, str) else None

    @property
    def words(self) -> str:
        return " ".join(self.text.lower().split()).rstrip(".!")
