"""Which unknown facts would change a classification, so the intake knows what to ask.

Each fact not given is tried with a few telling values (``PROBES``), only where the report makes the question
sensible (e.g. the MoS only for a voice-quality report). A fact is *undecided* when one of its values changes the
category or the priority. Facts no rule of the policy reads are never tried.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Protocol

from sla.facts import DERIVED, Facts, impact_of, said_impact, scope_of, with_fact
from sla.model import Condition, Policy


class _Outcome(Protocol):
    @property
    def category(self) -> str: ...

    @property
    def priority(self) -> str | None: ...


Decide = Callable[[Policy, Facts], _Outcome]
Asks = Callable[[Facts], bool]

_UNSCOPED = (None, "some_users")
_PARTIAL = (None, "some_users", "one_site", "some_sites")


def _has(*services: str) -> Asks:
    return lambda f: bool(f.services_affected & set(services))


def _total_values(f: Facts) -> tuple[Any, ...]:
    return (f.sites_affected, (f.sites_affected or 0) + 1) if f.sites_affected else ()


PROBES: tuple[tuple[str, Callable[[Facts], tuple[Any, ...]], Asks], ...] = (
    ("services_affected", lambda f: (frozenset({"all"}),), lambda f: not f.services_affected),
    ("impact", lambda f: ("degraded", "at_risk"), lambda f: said_impact(f) is None),
    ("users_affected", lambda f: (1,), lambda f: scope_of(f) is None),
    ("pct_users_affected", lambda f: (30, 60, 100), lambda f: scope_of(f) in _PARTIAL),
    ("sites_affected", lambda f: (1, 2), lambda f: scope_of(f) in _UNSCOPED),
    ("total_sites", _total_values, lambda f: f.sites_affected is not None),
    ("mission_critical_site", lambda f: (True,), lambda f: scope_of(f) not in ("single_user", "no_users")),
    ("voice_mos", lambda f: (2.8, 3.5), _has("voice_quality")),
    ("latency_ms_rtt", lambda f: (121, 100), _has("latency")),
    ("capacity_loss_pct", lambda f: (3, 10, 30, 60), _has("capacity", "sip_trunk")),
    ("email_delivery_minutes", lambda f: (1, 5), _has("messaging")),
    ("failures_per_day", lambda f: (5, 20), lambda f: impact_of(f) == "degraded"),
    ("redundancy_left", lambda f: (True, False),
     lambda f: _has("resilience", "sba")(f) or (impact_of(f) == "at_risk" and f.risk_event is None)),
    ("risk_event", lambda f: ("high", "medium", "low"), lambda f: bool(f.recurring) or impact_of(f) == "at_risk"),
    ("recurring", lambda f: (True,), lambda f: f.risk_event == "high"),
    ("equipment_owner", lambda f: ("provider", "customer"), _has("handset", "cordless_handsets")),
    ("workaround", lambda f: (True,), lambda f: True),
)
"""fact, the values to try, and when asking for it makes sense. In this order the intake is told them."""

UNDECIDED_FACTS = tuple(name for name, _, _ in PROBES)
"""Every fact name ``undecided`` can contain."""

_READ: weakref.WeakKeyDictionary[Policy, frozenset[str]] = weakref.WeakKeyDictionary()


def _facts_in(condition: Condition) -> set[str]:
    names = {c.fact for c in condition.comparisons}
    for group in condition.any_of:
        names |= _facts_in(group)
    return {base for name in names for base in DERIVED.get(name, (name,))}


def facts_read(policy: Policy) -> frozenset[str]:
    """The report facts the policy's rules read (derived facts counted as the facts they come from)."""
    if policy not in _READ:
        _READ[policy] = frozenset(name for rule in policy.rules for name in _facts_in(rule.when))
    return _READ[policy]


def undecided_facts(policy: Policy, facts: Facts, answer: tuple[str, str | None], decide: Decide) -> tuple[str, ...]:
    """The unknown facts, in ``PROBES`` order, one of whose values would change ``answer``."""
    read = facts_read(policy)
    return tuple(name for name, values, asks in PROBES
                 if name in read and _unknown(facts.value(name)) and asks(facts)
                 and _changes(policy, facts, name, values(facts), answer, decide))


def _unknown(value: Any) -> bool:
    return value is None or value == frozenset()


def _variants(facts: Facts, name: str, value: Any) -> tuple[Facts, ...]:
    """The report with ``name`` set to ``value``; a service named for a report that says nothing of how widely is
    also tried for the whole customer, since naming the service is asked first ("phones are broken" may be P1)."""
    tried = with_fact(facts, name, value)
    if name != "services_affected" or scope_of(facts) is not None:
        return (tried,)
    return tried, with_fact(tried, "pct_users_affected", 100)


def _changes(policy: Policy, facts: Facts, name: str, values: tuple[Any, ...], answer: tuple[str, str | None],
             decide: Decide) -> bool:
    for value in values:
        for other in (decide(policy, tried) for tried in _variants(facts, name, value)):
            if (other.category, other.priority) != answer:
                return True
    return False
