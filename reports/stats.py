"""Per-target, per-priority tallies and the time figures (median, p90, means) of a report."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from reports.facts import TicketFacts
from sla.model import OUTPUT_NAMES, TARGET_KEYS

ALL = "all"
NO_PRIORITY = "none"
TARGET_ORDER = tuple(OUTPUT_NAMES.get(key, key) for key in TARGET_KEYS)


@dataclass(frozen=True)
class TargetRow:
    """One target at one priority (or ``all``): how many tickets met it, breached it, still run."""

    target: str
    priority: str
    count: int
    met: int
    breached: int
    running: int
    median_used: timedelta | None
    """Median business time used by the decided (met or breached) targets, on the target's own calendar."""
    p90_used: timedelta | None

    @property
    def percent_met(self) -> float | None:
        """Met as a share of the decided targets; None while none is decided."""
        decided = self.met + self.breached
        return None if decided == 0 else 100 * self.met / decided


@dataclass(frozen=True)
class MeanTime:
    """A mean duration over ``count`` tickets, elapsed and on the target's business clock."""

    count: int
    elapsed: timedelta | None
    business: timedelta | None
    business_count: int


def p90(values: Sequence[timedelta]) -> timedelta | None:
    """The nearest-rank 90th percentile: the smallest value with at least 90 % of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The middle value (the mean of the middle two for an even count)."""
    if not values:
        return None
    ordered_values, middle = sorted(values), len(values) // 2
    if len(values) % 2:
        return ordered_values[middle]
    return (ordered_values[middle - 1] + ordered_values[middle]) / 2


def mean(values: Sequence[timedelta]) -> timedelta | None:
    return sum(values, timedelta(0)) / len(values) if values else None


def _row(target: str, priority: str, facts: Iterable[TicketFacts]) -> TargetRow:
    outcomes = [f.outcomes[target] for f in facts if target in f.outcomes]
    tally = Counter(o.status for o in outcomes)
    used = [o.used for o in outcomes if o.status != "running"]
    return TargetRow(target, priority, len(outcomes), tally["met"], tally["breached"], tally["running"],
                     median(used), p90(used))


def priority_key(facts: TicketFacts) -> str:
    return facts.priority or NO_PRIORITY


def ordered(names: Iterable[str], first: Sequence[str]) -> list[str]:
    """``names`` with those in ``first`` leading, in that order, and the rest sorted."""
    found = set(names)
    return [n for n in first if n in found] + sorted(found - set(first))


def target_rows(facts: Sequence[TicketFacts], priority_order: Sequence[str]) -> tuple[TargetRow, ...]:
    """Per target: one row for all priorities, then one per priority that has the target."""
    targets = ordered((name for f in facts for name in f.outcomes), TARGET_ORDER)
    rows = []
    for target in targets:
        having = [f for f in facts if target in f.outcomes]
        rows.append(_row(target, ALL, having))
        for priority in ordered({priority_key(f) for f in having}, priority_order):
            rows.append(_row(target, priority, [f for f in having if priority_key(f) == priority]))
    return tuple(rows)


def mean_time(pairs: Sequence[tuple[timedelta, timedelta | None]]) -> MeanTime:
    business = [b for _, b in pairs if b is not None]
    return MeanTime(len(pairs), mean([e for e, _ in pairs]), mean(business), len(business))


def mtta(facts: Sequence[TicketFacts]) -> MeanTime:
    return mean_time([f.acknowledged for f in facts if f.acknowledged is not None])


def mttr(facts: Sequence[TicketFacts]) -> MeanTime:
    return mean_time([f.restored for f in facts if f.restored is not None])
