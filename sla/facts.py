"""A report's facts: what it says, checked, and what follows from it (impact inferred, scope derived).

SLA_POLICIES §9.1 grades a report on three axes: how badly (``impact``), what (``services_affected``) and how
widely (``scope``, derived from the user and site counts). The rules in the policy files test these by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sla.errors import RequestError
from sla.services import SERVICES

RISK_LEVELS = ("high", "medium", "low")
IMPACTS = ("down", "degraded", "at_risk")
"""How badly (SLA_POLICIES §9.1): users cannot use it at all; it works but badly; nothing fails for users yet."""
SCOPES = ("single_user", "some_users", "one_site", "some_sites", "whole_customer", "no_users")
"""How widely, derived from the counts (see ``scope_of``)."""
EQUIPMENT_OWNERS = ("provider", "customer")

IMPACT_OF_SERVICE = {"voice_quality": "degraded", "latency": "degraded", "capacity": "degraded",
                     "resilience": "at_risk"}
"""Services that say how badly by their nature (§9.1): a degradation, or a lost redundancy (at risk)."""


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
    redundancy_left: bool | None = None
    """After a loss of resilience some redundancy still remains (a partial loss, Vodafone P3 a)."""
    failures_per_day: float | None = None
    """How often an intermittent fault happens a day (CloudCTI P3 example: fewer than 10 a day)."""
    equipment_owner: str | None = None
    """provider | customer: who owns the failing equipment (Vodafone 12.9: equipment sold is the customer's)."""

    @property
    def single_user(self) -> bool:
        """A single user's issue (derived: exactly one user affected)."""
        return self.users_affected == 1

    def value(self, fact: str) -> Any:
        return getattr(self, fact)


FACT_NAMES = frozenset(f.name for f in fields(Facts))
DERIVED = {"scope": ("users_affected", "pct_users_affected", "sites_affected", "total_sites"),
           "single_user": ("users_affected",), "impact": ("impact",)}
"""Facts a rule may test that are computed from others, with the facts each is computed from."""
_NUMBERS = {"pct_users_affected", "voice_mos", "latency_ms_rtt", "capacity_loss_pct", "email_delivery_minutes",
            "failures_per_day"}
_COUNTS = {"users_affected", "sites_affected", "total_sites"}
_PERCENTAGES = {"pct_users_affected", "capacity_loss_pct"}
_CHOICES = {"risk_event": RISK_LEVELS, "impact": IMPACTS, "equipment_owner": EQUIPMENT_OWNERS}


def inferred_impact(services: frozenset[str]) -> str | None:
    """The impact the services say by their nature (§9.1), or None when they do not say it."""
    kinds = {IMPACT_OF_SERVICE[s] for s in services if s in IMPACT_OF_SERVICE}
    return "degraded" if "degraded" in kinds else ("at_risk" if kinds else None)


def said_impact(facts: Facts) -> str | None:
    """The impact the report says: given, or said by the services, or ``degraded`` when a failure rate is given,
    or ``at_risk`` when a risk event is named that is not the risk of a recurring fault (a risk event is "currently
    non-impacting", Vodafone P3 c / P4 b)."""
    intermittent = "degraded" if facts.failures_per_day is not None else None
    risk = "at_risk" if facts.risk_event is not None and not facts.recurring else None
    return facts.impact or inferred_impact(facts.services_affected) or intermittent or risk


def impact_of(facts: Facts) -> str:
    """The impact the report says, else ``down`` (the reading until the reporter says otherwise, §9.1)."""
    return said_impact(facts) or "down"


def scope_of(facts: Facts) -> str | None:
    """How widely: the first of these that holds, or None when the counts do not say."""
    pct, users, sites, total = (facts.pct_users_affected, facts.users_affected, facts.sites_affected,
                                facts.total_sites)
    checks = (
        (pct is not None and pct >= 100, "whole_customer"),
        (users == 1, "single_user"),
        (users == 0 or pct == 0, "no_users"),
        (sites is not None and total is not None and sites >= total > 1, "whole_customer"),
        (sites == 1, "one_site"),
        (sites is not None and sites > 1, "some_sites"),
        ((users or 0) > 1 or (pct or 0) > 0, "some_users"),
    )
    return next((scope for holds, scope in checks if holds), None)


def report_view(facts: Facts) -> dict[str, Any]:
    """Every fact a rule may test, by name: the given facts with impact inferred, plus scope and single_user."""
    view = dict(facts.__dict__)
    view.update(impact=impact_of(facts), scope=scope_of(facts), single_user=facts.single_user)
    return view


def with_fact(facts: Facts, name: str, value: Any) -> Facts:
    """A copy of ``facts`` with one fact set (unchecked: for trying values the classifier chose itself)."""
    copy = object.__new__(Facts)
    copy.__dict__.update(facts.__dict__)
    copy.__dict__[name] = value
    return copy


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
        return _services(value)
    if name in _CHOICES:
        if value not in _CHOICES[name]:
            raise RequestError(f"{name} must be one of {', '.join(_CHOICES[name])}, or null; got {value!r}")
        return value
    if name in _NUMBERS or name in _COUNTS:
        return _number(name, value)
    if not isinstance(value, bool):
        raise RequestError(f"{name} must be true, false or null; got {value!r}")
    return value


def _services(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise RequestError("services_affected must be a list of service ids")
    unknown = [s for s in value if s not in SERVICES]
    if unknown:
        raise RequestError(f"unknown service id {unknown[0]!r}; see `python -m sla services`")
    return frozenset(value)


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
