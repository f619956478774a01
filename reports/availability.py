"""Service availability where the contract defines it: (A − B) / A × 100 in whole minutes.

Vodafone (004 §9.1, §9.2, §12.1): A = whole minutes in the Annual Measurement Period (twelve months from the
Service Commencement Date or its anniversary), B = whole minutes the Service is Unavailable in it; objective
99.99 %, shown year to date. Maintel (000 §3.4, §3.5): 99.99 % a year, "calculated on a monthly basis" at 99.88 %;
an outage runs from the ticket's creation to service restoration.

Unavailable time is read from the audit events alone: each counted ticket's span from ``reported_at`` to its
restoration (``restored`` or ``resolved``; a reopen or "still broken" undoes a restoration, exactly as the
restoration clock does), with overlapping spans merged so that two tickets about one outage count once.
Tickets left out: Excluded Events (an ``excluded_event`` audit entry), and for Vodafone the time a ticket is on
hold (awaiting the customer or a third party: Excluded Events 12.15 (c), (d)). B is the merged total, rounded
down to whole minutes. Counted tickets are those whose priority (as the clock sees it at ``as_of``) is P1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reports.facts import TicketFacts
from reports.model import Period, local_midnight

Span = tuple[datetime, datetime]
NOT_DEFINED = "not defined: the contract sets no availability measure"


@dataclass(frozen=True)
class Measure:
    name: str
    annual: bool
    """True: the Annual Measurement Period from the commencement date; False: the report period."""
    objective: float
    clause: str


@dataclass(frozen=True)
class Definition:
    priorities: tuple[str, ...]
    holds_excluded: bool
    measures: tuple[Measure, ...]


DEFINITIONS: dict[str, Definition] = {
    "vodafone-vone-m": Definition(("P1",), True, (
        Measure("Annual Measurement Period, year to date", True, 99.99, "contract §9.1, §9.2"),)),
    "maintel-icon": Definition(("P1",), False, (
        Measure("Month", False, 99.88, "contract §3.4"),
        Measure("Year from service commencement, to date", True, 99.99, "contract §3.4"))),
}


@dataclass(frozen=True)
class Availability:
    """One availability figure: A and B in whole minutes, the percentage and the objective."""

    name: str
    clause: str
    start: datetime
    end: datetime
    measured_until: datetime
    total_minutes: int
    unavailable_minutes: int
    objective: float

    @property
    def percent(self) -> float:
        """(A − B) / A × 100 over the whole period, with the outages known so far."""
        return (self.total_minutes - self.unavailable_minutes) / self.total_minutes * 100

    @property
    def allowed_minutes(self) -> int:
        """Whole minutes of unavailability the objective allows over the whole period."""
        return int(self.total_minutes * (100 - self.objective) / 100 + 1e-9)

    @property
    def met(self) -> bool:
        return self.percent >= self.objective - 1e-9


@dataclass(frozen=True)
class AvailabilityReport:
    figures: tuple[Availability, ...]
    note: str = ""


def anniversary(commencement: date, year: int) -> date:
    """The commencement date in ``year`` (29 February falls on 28 February in other years)."""
    try:
        return commencement.replace(year=year)
    except ValueError:
        return commencement.replace(year=year, day=28)


def measurement_year(commencement: date, period: Period) -> Period:
    """The Annual Measurement Period holding the report period's last day."""
    last = (period.end - timedelta(microseconds=1)).astimezone(period.tz).date()
    year = last.year if anniversary(commencement, last.year) <= last else last.year - 1
    start, end = anniversary(commencement, year), anniversary(commencement, year + 1)
    return Period(local_midnight(start, period.tz), local_midnight(end, period.tz),
                  f"{start.isoformat()} to {(end - timedelta(days=1)).isoformat()}", period.tz)


def _subtract(span: Span, holes: Sequence[Span]) -> list[Span]:
    pieces = [span]
    for h_start, h_end in holes:
        pieces = [part for a, b in pieces for part in ((a, min(b, h_start)), (max(a, h_end), b)) if part[0] < part[1]]
    return pieces


def outage_spans(facts: TicketFacts, as_of: datetime, holds_excluded: bool) -> list[Span]:
    """The ticket's unavailable time: reported → restored, less its holds when they are excluded."""
    holes = [(start, stop or as_of) for start, stop in facts.holds] if holds_excluded else []
    return _subtract((facts.ticket.reported_at, facts.restored_at or as_of), holes)


def merged_minutes(spans: Sequence[Span], window: Span) -> int:
    """Whole minutes covered by ``spans`` inside ``window`` (overlaps counted once)."""
    total, cursor = timedelta(0), window[0]
    for start, end in sorted(spans):
        start, end = max(start, cursor), min(end, window[1])
        if start < end:
            total += end - start
            cursor = end
    return int(total.total_seconds() // 60)


def _counted(facts: TicketFacts, definition: Definition) -> bool:
    return facts.priority in definition.priorities and facts.excluded is None


def _figure(measure: Measure, window: Period, spans: Sequence[Span], as_of: datetime) -> Availability:
    until = min(window.end, max(as_of, window.start))
    total = int((window.end - window.start).total_seconds() // 60)
    return Availability(measure.name, measure.clause, window.start, window.end, until, total,
                        merged_minutes(spans, (window.start, until)), measure.objective)


def availability(policy_id: str, tickets: Sequence[TicketFacts], period: Period,
                 as_of: datetime, commencement: date | None) -> AvailabilityReport:
    """Availability figures for a contract over the tickets' facts (their priority is the one at ``as_of``)."""
    definition = DEFINITIONS.get(policy_id)
    if definition is None:
        return AvailabilityReport((), NOT_DEFINED)
    spans = [span for facts in tickets if _counted(facts, definition)
             for span in outage_spans(facts, as_of, definition.holds_excluded)]
    figures, note = [], ""
    for measure in definition.measures:
        if measure.annual and commencement is None:
            note = "give the service commencement date to measure the Annual Measurement Period"
            continue
        window = measurement_year(commencement, period) if measure.annual and commencement else period
        figures.append(_figure(measure, window, spans, as_of))
    return AvailabilityReport(tuple(figures), note)
