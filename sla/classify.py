"""Classification: a structured report against a policy's rules gives a category, a priority and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sla.errors import SlaError
from sla.facts import (
    EQUIPMENT_OWNERS,
    FACT_NAMES,
    IMPACTS,
    RISK_LEVELS,
    SCOPES,
    Facts,
    facts_from_mapping,
    impact_of,
    inferred_impact,
    report_view,
    scope_of,
)
from sla.model import CATEGORIES, Comparison, Condition, Policy, Rule
from sla.undecided import undecided_facts

__all__ = [
    "EQUIPMENT_OWNERS", "FACT_NAMES", "IMPACTS", "RISK_LEVELS", "SCOPES", "Classification", "Facts", "RuleMatch",
    "classify", "decide", "facts_from_mapping", "impact_of", "inferred_impact", "matches", "scope_of",
]


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
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
    "known": lambda a, b: b,
    "services_any": lambda have, wanted: bool(have & wanted),
    "services_only": lambda have, allowed: bool(have) and have <= allowed,
    "services_none": lambda have, excluded: bool(have) and not have & excluded,
}
_UNKNOWN_MATCHES = frozenset({"ne", "not_in"})
"""An unknown fact equals nothing: it fails every test except 'is not …' (and ``known = false``)."""


def _holds(comparison: Comparison, view: Mapping[str, Any]) -> bool:
    actual = view[comparison.fact]
    if actual is None:
        return comparison.op in _UNKNOWN_MATCHES or (comparison.op == "known" and comparison.value is False)
    return _OPS[comparison.op](actual, comparison.value)


def matches(condition: Condition, facts: Facts | Mapping[str, Any]) -> bool:
    """True if every comparison holds and, where ``any`` groups are given, one of them does."""
    view = report_view(facts) if isinstance(facts, Facts) else facts
    if not all(_holds(c, view) for c in condition.comparisons):
        return False
    return not condition.any_of or any(matches(group, view) for group in condition.any_of)


def decide(policy: Policy, facts: Facts) -> Classification:
    """The most precedent category, then the highest priority, with exactly the rules that decided it."""
    view = report_view(facts)
    matched = [r for r in policy.rules if not r.fallback and matches(r.when, view)]
    if not any(r.category in ("incident", "no_priority_scheme") for r in matched):
        matched += [r for r in policy.rules if r.fallback and matches(r.when, view)]
    if not matched:
        raise SlaError(f"policy {policy.id} has no rule for this report; add a fallback rule")
    best = min(_precedence(policy, r) for r in matched)
    deciding = [r for r in matched if _precedence(policy, r) == best]
    return Classification(policy.id, deciding[0].category, deciding[0].priority,
                          tuple(RuleMatch(r.id, r.quote, r.seed) for r in deciding))


def classify(policy: Policy, facts: Facts) -> Classification:
    """Classify a report, naming the unknown facts that would change the answer (see ``sla.undecided``)."""
    result = decide(policy, facts)
    open_facts = undecided_facts(policy, facts, (result.category, result.priority), decide)
    return result if not open_facts else Classification(result.policy, result.category, result.priority,
                                                        result.rules, open_facts)


def _precedence(policy: Policy, rule: Rule) -> tuple[int, int]:
    return CATEGORIES.index(rule.category), policy.rank(rule.priority)
