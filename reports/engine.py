"""The monthly SLA report: every figure computed from tickets' audit events through the SLA clock.

Which tickets a report counts: those whose ``reported_at`` (the instant every clock starts from, SLA_POLICIES
§0.1) falls in the period, a half-open range [start, end) of instants; by default the calendar month in the
customer's time zone (``month_period``). A ticket belongs to exactly one month, whenever it is resolved.

Every ticket is judged as its events stand at ``as_of`` (the instant the report is made; pass it explicitly, so
that the same events and ``as_of`` always give the same report; tickets reported after it are not yet counted):
- a target is *met* or *breached* once completed (or breached while still running, as the clock says),
  *running* while its clock still runs or is on hold; targets without a clock (no target, not started) are not
  counted. ``% met`` is met / (met + breached). Median and p90 (nearest rank) of business time used are over the
  decided targets, measured by ``sla.clock`` on the target's own calendar with holds excluded;
- the update cadence counts once per ticket: breached if any update was sent after it was due (each counted in
  ``late_updates``) or the current wait is overdue; its time used is the longest wait between updates;
- a ticket's priority is the one in force at ``as_of`` (after any reclassification); targets completed earlier
  are judged by the priority in force when they were met, as the clock does;
- MTTA: reported → first acknowledgement; MTTR: reported → service restored (restored or resolved, a reopen
  undoes it); elapsed, and business time on the first-response / restoration (else resolution) calendar.
Availability (``reports.availability``) looks at every ticket given, not only the period's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reports.availability import AvailabilityReport, availability
from reports.facts import TicketFacts, ticket_facts
from reports.model import Period, ReportTicket
from reports.stats import NO_PRIORITY, MeanTime, TargetRow, mtta, mttr, ordered, priority_key, target_rows
from sla.calendars import require_aware
from sla.model import Policy


@dataclass(frozen=True)
class SlaReport:
    customer: str
    policy_id: str
    policy_name: str
    period: Period
    as_of: datetime
    tickets: int
    targets: tuple[TargetRow, ...]
    mtta: MeanTime
    mttr: MeanTime
    by_priority: Mapping[str, int]
    by_category: Mapping[str, int]
    by_service: Mapping[str, int]
    by_day: Mapping[str, int]
    """Tickets reported on each local day of the period (ISO dates, every day listed)."""
    reclassified_tickets: int
    reclassifications: int
    reopened_tickets: int
    late_updates: int
    availability: AvailabilityReport


def _tally(values: Iterable[str], first: Sequence[str] = ()) -> dict[str, int]:
    counts = Counter(values)
    return {name: counts[name] for name in ordered(counts, first)}


def _by_day(facts: Sequence[TicketFacts], period: Period) -> dict[str, int]:
    counts = Counter(f.ticket.reported_at.astimezone(period.tz).date() for f in facts)
    first = period.start.astimezone(period.tz).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(period.tz).date()
    return {(first + timedelta(days=n)).isoformat(): counts[first + timedelta(days=n)]
            for n in range((last - first).days + 1)}


def build_report(customer: str, policy: Policy, tickets: Sequence[ReportTicket], period: Period,
                 as_of: datetime, *, commencement: date | None = None) -> SlaReport:
    """The report of ``customer`` for ``period``; ``tickets`` may hold any others (availability needs them)."""
    as_of = require_aware(as_of)
    facts = [ticket_facts(t, as_of) for t in tickets if period.contains(t.reported_at) and t.reported_at <= as_of]
    priorities = (*policy.priority_ids, NO_PRIORITY)
    outages = facts + [ticket_facts(t, as_of) for t in tickets
                       if t.reported_at <= as_of and not period.contains(t.reported_at)]
    return SlaReport(
        customer=customer, policy_id=policy.id, policy_name=policy.name, period=period, as_of=as_of,
        tickets=len(facts), targets=target_rows(facts, priorities), mtta=mtta(facts), mttr=mttr(facts),
        by_priority=_tally((priority_key(f) for f in facts), priorities),
        by_category=_tally(f.ticket.category for f in facts),
        by_service=_tally(s for f in facts for s in f.ticket.services),
        by_day=_by_day(facts, period),
        reclassified_tickets=sum(f.reclassifications > 0 for f in facts),
        reclassifications=sum(f.reclassifications for f in facts),
        reopened_tickets=sum(f.reopens > 0 for f in facts),
        late_updates=sum(f.late_updates for f in facts),
        availability=availability(policy.id, outages, period, as_of, commencement),
    )

