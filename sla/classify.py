"""Classification: a structured report against a policy's rules gives a category, a priority and why."""

from __future__ import annotations

import weakref
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
from sla.undecided import UNDECIDED_FACTS, undecided_facts

__all__ = [
    "EQUIPMENT_OWNERS", "FACT_NAMES", "IMPACTS", "RISK_LEVELS", "SCOPES", "UNDECIDED_FACTS", "Classification", "Facts",
    "RuleMatch",
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


Test = Callable[[Mapping[str, Any]], bool]
Entry = tuple[Rule, tuple[int, int], Test]
_TABLES: weakref.WeakKeyDictionary[Policy, tuple[tuple[Entry, ...], tuple[Entry, ...]]] = (
    weakref.WeakKeyDictionary())


def _unknown_holds(comparison: Comparison) -> bool:
    return comparison.op in _UNKNOWN_MATCHES or (comparison.op == "known" and comparison.value is False)


def compile_condition(condition: Condition) -> Test:
    """The condition as one function of a report view: every comparison holds and one ``any`` group does."""
    tests = tuple((c.fact, _OPS[c.op], c.value, _unknown_holds(c)) for c in condition.comparisons)
    groups = tuple(compile_condition(g) for g in condition.any_of)

    def holds(view: Mapping[str, Any]) -> bool:
        for fact, op, value, unknown_holds in tests:
            actual = view[fact]
            if not (unknown_holds if actual is None else op(actual, value)):
                return False
        return not groups or any(group(view) for group in groups)
    return holds


def matches(condition: Condition, facts: Facts | Mapping[str, Any]) -> bool:
    """True if every comparison holds and, where ``any`` groups are given, one of them does."""
    return compile_condition(condition)(report_view(facts) if isinstance(facts, Facts) else facts)


def _table(policy: Policy) -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
    """The policy's rules compiled once, most precedent first (file order within a level): regular, fallback."""
    if policy not in _TABLES:
        entries = sorted(((r, _precedence(policy, r), compile_condition(r.when)) for r in policy.rules),
                         key=lambda entry: entry[1])
        _TABLES[policy] = (tuple(e for e in entries if not e[0].fallback), tuple(e for e in entries if e[0].fallback))
    return _TABLES[policy]


def _first_level(entries: tuple[Entry, ...], view: Mapping[str, Any]) -> list[Rule]:
    """Every matching rule of the most precedent level that has a match."""
    deciding: list[Rule] = []
    best: tuple[int, int] | None = None
    for rule, level, test in entries:
        if best is not None and level != best:
            break
        if test(view):
            best = level
            deciding.append(rule)
    return deciding


def decide(policy: Policy, facts: Facts) -> Classification:
    """The most precedent category, then the highest priority, with exactly the rules that decided it.
    Fallback rules are read only when no other rule matched."""
    view = report_view(facts)
    regular, fallback = _table(policy)
    deciding = _first_level(regular, view) or _first_level(fallback, view)
    if not deciding:
        raise SlaError(f"policy {policy.id} has no rule for this report; add a fallback rule")
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
