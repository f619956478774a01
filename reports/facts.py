"""One ticket's reportable facts, read from its audit events through the SLA clock (sla/clock.py)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from reports.model import EXCLUDED_EVENT, ReportTicket

# ticket_history: the clock's own reading of holds and restorations, reused so the report cannot diverge from it.
from sla.clock import (
    EVENT_KINDS,
    ClockState,
    TargetState,
    TicketEvent,
    TicketHistory,
    clock_state,
    history_clock_state,
    paused_time,
    ticket_history,
)
from sla.deadlines import calendar_of, target_set
from sla.errors import RequestError
from sla.model import Policy

CLOCK_KIND: dict[str, str] = {kind: kind for kind in EVENT_KINDS} | {"still_broken": "reopened"}
"""Stored audit kind → the SLA clock's kind (as ``bot.rules.verbs.SLA_KIND``); other kinds move no clock."""
DECIDED = ("met", "breached")
RUNNING = ("running", "at_risk", "paused")
UPDATE = "first_update"


@dataclass(frozen=True)
class TargetOutcome:
    """How one target of one ticket stands in the report: met, breached or running."""

    status: str
    used: timedelta


@dataclass(frozen=True)
class TicketFacts:
    ticket: ReportTicket
    priority: str | None
    outcomes: dict[str, TargetOutcome]
    acknowledged: tuple[timedelta, timedelta | None] | None
    """Time to acknowledge: elapsed, and business time on the first-response clock."""
    restored: tuple[timedelta, timedelta | None] | None
    """Time to restore service: elapsed, and business time on the restoration (else resolution) clock."""
    reclassifications: int
    reopens: int
    late_updates: int
    excluded: str | None
    restored_at: datetime | None = None
    """When service was restored (restored or resolved; a reopen undoes it), as the restoration clock reads it."""
    holds: tuple[tuple[datetime, datetime | None], ...] = ()
    """Spans on hold (an open hold ends None)."""


def clock_events(ticket: ReportTicket) -> list[TicketEvent]:
    """The ticket's events that move its SLA clocks, in the SLA engine's terms (as the bot builds them)."""
    found = []
    for event in ticket.events:
        kind = CLOCK_KIND.get(event.kind)
        if kind == "opened":
            found.append(TicketEvent("opened", ticket.reported_at, priority=(event.after or {}).get("priority"),
                                     channel=ticket.channel, category=ticket.category))
        elif kind is not None:
            found.append(TicketEvent(kind, event.at, priority=(event.data or {}).get("priority")))
    if not found or found[0].kind != "opened":
        raise RequestError(f"ticket {ticket.reference} has no 'opened' event, so its audit log is incomplete; "
                           "report on it once the log is restored")
    return sorted(found, key=lambda e: e.at)


def _clock(ticket: ReportTicket, events: list[TicketEvent], at: datetime) -> ClockState | None:
    try:
        return clock_state(ticket.policy, events, at)
    except RequestError:  # a category without targets (out of scope, not applicable) has no clock
        return None


def _history_and_clock(ticket: ReportTicket, events: list[TicketEvent],
                       at: datetime) -> tuple[TicketHistory, ClockState] | None:
    """`_clock`, keeping the history the clock read (so it is read once)."""
    try:
        history = ticket_history(events, at)
        return history, history_clock_state(ticket.policy, history, at)
    except RequestError:  # as `_clock`
        return None


@functools.lru_cache(maxsize=64)
def cadence_only(policy: Policy) -> Policy:
    """The policy with only its update cadence, so the clock judges each update without the other targets."""
    sets = {name: {k: spec for k, spec in specs.items() if k == "update"} for name, specs in policy.target_sets.items()}
    return replace(policy, target_sets=sets)


def _late_updates(ticket: ReportTicket, events: list[TicketEvent]) -> tuple[int, timedelta]:
    """Updates sent after their cadence was due, and the longest gap used between updates."""
    late, longest = 0, timedelta(0)
    cadence = replace(ticket, policy=cadence_only(ticket.policy))
    for i, event in enumerate(events):
        if event.kind != "updated":
            continue
        clock = _clock(cadence, events[:i], event.at)
        state = clock.targets.get(UPDATE) if clock else None
        if state is not None and state.status in DECIDED + RUNNING:
            late += state.status == "breached"
            longest = max(longest, state.consumed)
    return late, longest


def _outcome(state: TargetState) -> TargetOutcome | None:
    if state.status in DECIDED:
        return TargetOutcome(state.status, state.consumed)
    if state.status in RUNNING:
        return TargetOutcome("running", state.consumed)
    return None  # no target, or its clock has not started


def _update_outcome(final: TargetOutcome | None, late: int, longest: timedelta) -> TargetOutcome | None:
    """The cadence over the whole ticket: breached if any update (or the current wait) was late."""
    if final is None:
        return None
    status = "breached" if late else final.status
    return TargetOutcome(status, max(longest, final.used))


def _time_to_restore(ticket: ReportTicket, clock: ClockState, history: TicketHistory,
                     done: datetime | None) -> tuple[timedelta, timedelta | None] | None:
    if done is None:
        return None
    specs = target_set(ticket.policy, clock.priority, ticket.category)
    for key in ("restoration", "resolution"):
        state, spec = clock.targets.get(key), specs.get(key)
        if state is not None and spec is not None and state.started_at is not None:
            calendar = calendar_of(spec, ticket.policy)
            pauses = history.pauses if spec.pausable else ()
            used = calendar.measure(state.started_at, done) - paused_time(calendar, state.started_at, done, pauses)
            return done - ticket.reported_at, used
    return done - ticket.reported_at, None


def _time_to_acknowledge(ticket: ReportTicket, clock: ClockState,
                         events: list[TicketEvent]) -> tuple[timedelta, timedelta | None] | None:
    acknowledged = next((e.at for e in events if e.kind == "acknowledged"), None)
    if acknowledged is None:
        return None
    state = clock.targets.get("first_response")
    business = state.consumed if state is not None and state.status in DECIDED else None
    return acknowledged - ticket.reported_at, business


def ticket_facts(ticket: ReportTicket, as_of: datetime) -> TicketFacts:
    """Everything the report counts about one ticket, as its audit events stand at ``as_of``."""
    events = [e for e in clock_events(ticket) if e.at <= as_of]
    excluded = next(((e.data or {}).get("clause", "excluded") for e in ticket.events
                     if e.kind == EXCLUDED_EVENT and e.at <= as_of), None)
    counts = {kind: sum(e.kind == kind for e in events) for kind in ("reclassified", "reopened")}
    read = _history_and_clock(ticket, events, as_of)
    if read is None:
        return TicketFacts(ticket, ticket.priority, {}, None, None, counts["reclassified"], counts["reopened"], 0,
                           excluded)
    history, clock = read
    restored_at = history.completion("restoration")
    outcomes = {name: o for name, state in clock.targets.items() if (o := _outcome(state)) is not None}
    late, longest = _late_updates(ticket, events)
    update = _update_outcome(outcomes.pop(UPDATE, None), late, longest)
    if update is not None:
        outcomes[UPDATE] = update
    return TicketFacts(ticket, clock.priority, outcomes, _time_to_acknowledge(ticket, clock, events),
                       _time_to_restore(ticket, clock, history, restored_at), counts["reclassified"],
                       counts["reopened"], late, excluded, restored_at, history.pauses)
