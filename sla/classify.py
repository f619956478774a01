"""Classification: a structured report against a policy's rules gives a category, a priority and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from sla.errors import RequestError, SlaError
from sla.model import CATEGORIES, Comparison, Condition, Policy, Rule
from sla.services import SERVICES

RISK_LEVELS = ("high", "medium", "low")
IMPACTS = ("down", "degraded", "at_risk")
"""How badly (SLA_POLICIES §9.1): users cannot use it at all; it works but badly; nothing fails for users yet."""


@dataclass(frozen=True)
class Facts:
    """What a report says; None means not known."""

    services_affected: frozenset[str] = frozenset()
    pct_users_affected: float | None = None
    users_affected: int | None = None
    sites_affected: int | None = None
    total_sites: int | None = None
    mission_critical_site: bool | None = None
    workaround: bool | None = None
    is_question: bool | None = None
    is_change_request: bool | None = None
    security_incident: bool | None = None
    voice_mos: float | None = None
    latency_ms_rtt: float | None = None
    capacity_loss_pct: float | None = None
    email_delivery_minutes: float | None = None
    risk_event: str | None = None
    impact: str | None = None
    """down | degraded | at_risk; None means not said (classification infers it, §9.1)."""
    recurring: bool | None = None
    """The fault has happened before (Maintel P2 "risk of reoccurrence")."""

    @property
    def single_user(self) -> bool:
        """A single user's issue (derived: exactly one user affected)."""
        return self.users_affected == 1

    def value(self, fact: str) -> Any:
        return getattr(self, fact)


FACT_NAMES = frozenset(f.name for f in fields(Facts))
_NUMBERS = {"pct_users_affected", "voice_mos", "latency_ms_rtt", "capacity_loss_pct", "email_delivery_minutes"}
_COUNTS = {"users_affected", "sites_affected", "total_sites"}
_PERCENTAGES = {"pct_users_affected", "capacity_loss_pct"}


def facts_from_mapping(data: Mapping[str, Any]) -> Facts:
    """Validate a JSON-shaped report; the error says which field is wrong and what to send."""
    unknown = sorted(set(data) - FACT_NAMES)
    if unknown:
        raise RequestError(f"unknown fact {unknown[0]!r}; known facts: {', '.join(sorted(FACT_NAMES))}")
    values = {name: _check(name, value) for name, value in data.items() if value is not None}
    facts = Facts(**values)
    if (facts.sites_affected is not None and facts.total_sites is not None
            and facts.sites_affected > facts.total_sites):
        raise RequestError("sites_affected cannot be more than total_sites")
    return facts


def _check(name: str, value: Any) -> Any:
    if name == "services_affected":
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise RequestError("services_affected must be a list of service ids")
        unknown = [s for s in value if s not in SERVICES]
        if unknown:
            raise RequestError(f"unknown service id {unknown[0]!r}; see `python -m sla services`")
        return frozenset(value)
    if name == "risk_event":
        if value not in RISK_LEVELS:
            raise RequestError(f"risk_event must be one of {', '.join(RISK_LEVELS)}")
        return value
    if name == "impact":
        if value not in IMPACTS:
            raise RequestError(f"impact must be one of {', '.join(IMPACTS)}")
        return value
    if name in _NUMBERS or name in _COUNTS:
        return _number(name, value)
    if not isinstance(value, bool):
        raise RequestError(f"{name} must be true, false or null; got {value!r}")
    return value


def _number(name: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(f"{name} must be a number or null; got {value!r}")
    if value < 0:
        raise RequestError(f"{name} cannot be negative; got {value}")
    if name in _PERCENTAGES and value > 100:
        raise RequestError(f"{name} is a percentage from 0 to 100; got {value}")
    if name in _COUNTS and value != int(value):
        raise RequestError(f"{name} must be a whole number; got {value}")
    return int(value) if name in _COUNTS else value


@dataclass(frozen=True)
class RuleMatch:
    """A rule that decided a classification, in the contract's words."""

    id: str
    quote: str
    seed: str


@dataclass(frozen=True)
class Classification:
    """The outcome: category, priority (None where the contract has none) and the deciding rules."""

    policy: str
    category: str
    priority: str | None
    rules: tuple[RuleMatch, ...]
    undecided: tuple[str, ...] = ()
    """Facts not known that would change the answer, so the intake can ask; the answer is what the known
    facts support."""


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gte": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "lte": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
    "services_any": lambda have, wanted: bool(have & wanted),
    "services_only": lambda have, allowed: bool(have) and have <= allowed,
    "services_none": lambda have, excluded: bool(have) and not have & excluded,
}


def _holds(comparison: Comparison, facts: Facts) -> bool:
    actual = facts.value(comparison.fact)
    if actual is None:
        return comparison.op == "ne"  # an unknown fact equals nothing
    return _OPS[comparison.op](actual, comparison.value)


def matches(condition: Condition, facts: Facts) -> bool:
    """True if every comparison holds and, where ``any`` groups are given, one of them does."""
    if not all(_holds(c, facts) for c in condition.comparisons):
        return False
    return not condition.any_of or any(matches(group, facts) for group in condition.any_of)


def classify(policy: Policy, facts: Facts) -> Classification:
    """Classify a report: the most precedent category, then the highest priority, with its rules."""
    matched = [r for r in policy.rules if not r.fallback and matches(r.when, facts)]
    if not any(r.category in ("incident", "no_priority_scheme") for r in matched):
        matched += [r for r in policy.rules if r.fallback and matches(r.when, facts)]
    if not matched:
        raise SlaError(f"policy {policy.id} has no rule for this report; add a fallback rule")
    best = min(matched, key=lambda r: _precedence(policy, r))
    deciding = [r for r in matched if _precedence(policy, r) == _precedence(policy, best)]
    return Classification(policy.id, best.category, best.priority,
                          tuple(RuleMatch(r.id, r.quote, r.seed) for r in deciding))


def _precedence(policy: Policy, rule: Rule) -> tuple[int, int]:
    return CATEGORIES.index(rule.category), policy.rank(rule.priority)
