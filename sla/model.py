"""The policy model: frozen data read from a policy file, used by deadlines and classification."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sla.calendars import Calendar

TARGET_KEYS = ("first_response", "update", "restoration", "resolution")
"""The targets every policy answers for, in display order; policies may add others."""

OUTPUT_NAMES = {"update": "first_update"}
"""A cadence target is reported by its first due point."""

CATEGORIES = (
    "out_of_scope",
    "not_applicable",
    "service_request",
    "help_request",
    "incident",
    "no_priority_scheme",
)
"""Categories in order of precedence when rules of several categories match."""

CHANNELS = ("chat", "phone", "email")
STARTS = {
    "reported_at": "starts when the ticket is opened",
    "onsite_determined_at": "starts when an engineer records that an on-site visit is needed",
    "hosted_telephony_requested_at": "starts when the customer requests Hosted Telephony",
    "site_visit_notified_at": "starts when the customer is told a site visit is needed",
}
"""The instants a target's clock can start at, with the reason shown while it has not started."""
UNPRIORITISED = "unprioritised"


@dataclass(frozen=True)
class TargetSpec:
    """One SLA target: how its due time follows from its start."""

    key: str
    rule: str
    quote: str
    seed: str
    calendar: str | None = None
    duration: timedelta | None = None
    days: int = 0
    mode: str = ""
    start: str = "reported_at"
    channels: frozenset[str] | None = None
    defer_channels: frozenset[str] = frozenset()
    defer_calendar: str | None = None
    strict: bool = False
    breach_grace: timedelta = timedelta(0)
    reason: str | None = None
    pausable: bool = True
    """Whether a hold (awaiting customer / third party) stops this target's clock."""

    @property
    def output_name(self) -> str:
        return OUTPUT_NAMES.get(self.key, self.key)

    @property
    def has_target(self) -> bool:
        return self.rule != "none"


@dataclass(frozen=True)
class Priority:
    """A priority level and its definition in the contract's words."""

    id: str
    name: str
    definition: str
    seed: str


@dataclass(frozen=True)
class Comparison:
    """One test of a fact: ``fact op value``."""

    fact: str
    op: str
    value: Any


@dataclass(frozen=True)
class Condition:
    """All comparisons hold, and (if given) at least one of the ``any`` groups holds."""

    comparisons: tuple[Comparison, ...] = ()
    any_of: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A classification rule quoting the contract."""

    id: str
    category: str
    priority: str | None
    quote: str
    seed: str
    when: Condition
    fallback: bool = False


@dataclass(frozen=True)
class Reading:
    """A named alternative reading of an ambiguous clause: an overlay on the policy file."""

    name: str
    register: str
    description: str
    overlay: Mapping[str, Any]


@dataclass(frozen=True, eq=False)
class Policy:
    """A contract as data, with the readings chosen for it."""

    id: str
    name: str
    version: str
    source: str
    calendars: Mapping[str, Calendar]
    priorities: tuple[Priority, ...]
    target_sets: Mapping[str, Mapping[str, TargetSpec]]
    rules: tuple[Rule, ...]
    readings_available: Mapping[str, Reading]
    readings: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def priority_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.priorities)

    def priority(self, priority_id: str) -> Priority:
        return next(p for p in self.priorities if p.id == priority_id)

    def rank(self, priority_id: str | None) -> int:
        """0 for the most urgent priority; priorities absent or None rank last."""
        ids = self.priority_ids
        return ids.index(priority_id) if priority_id in ids else len(ids)
