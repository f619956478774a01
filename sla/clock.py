"""Clock state of a ticket: from its events and an instant to each target's standing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sla.calendars import Calendar, require_aware
from sla.deadlines import calendar_of, clock_start, due_at, target_set
from sla.errors import RequestError
from sla.model import Policy, TargetSpec

ZERO = timedelta(0)
AT_RISK = 0.75
"""Share of a target's allowance after which it is at risk."""

EVENT_KINDS = (
    "opened", "acknowledged", "updated", "paused", "resumed", "restored", "resolved",
    "reopened", "reclassified", "onsite_determined", "onsite_arrived",
    "hosted_telephony_requested", "hosted_telephony_deployed", "site_visit_notified", "site_visit_arranged",
)
COMPLETED_BY: dict[str, tuple[str, ...]] = {
    "first_response": ("acknowledged",),
    "email_acknowledgement": ("acknowledged",),
    "restoration": ("restored", "resolved"),
    "resolution": ("resolved",),
    "onsite": ("onsite_arrived",),
    "hosted_telephony": ("hosted_telephony_deployed",),
    "site_visit_arrangement": ("site_visit_arranged",),
}
"""Which events meet a target; ``update`` is a cadence, handled on its own."""
REOPENS = ("restoration", "resolution")
STARTED_BY = {
    "onsite_determined": "onsite_determined_at",
    "hosted_telephony_requested": "hosted_telephony_requested_at",
    "site_visit_notified": "site_visit_notified_at",
}

Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class TicketEvent:
    """Something that happened to a ticket and moves its clocks."""

    kind: str
    at: datetime
    priority: str | None = None
    channel: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise RequestError(f"unknown ticket event {self.kind!r}; known: {', '.join(EVENT_KINDS)}")


@dataclass(frozen=True)
class TargetState:
    """One target at one instant."""

    name: str
    status: str  # met, breached, running, at_risk, paused, not_started, no_target
    due_at: datetime | None = None
    started_at: datetime | None = None
    allowance: timedelta | None = None
    consumed: timedelta = timedelta(0)
    paused_for: timedelta = timedelta(0)
    completed_at: datetime | None = None
    reason: str | None = None

    @property
    def remaining(self) -> timedelta | None:
        """Time left on the target's own clock (negative once late)."""
        return None if self.allowance is None else self.allowance - self.consumed

    @property
    def percent(self) -> float | None:
        if not self.allowance:
            return None
        return 100 * self.consumed / self.allowance


@dataclass(frozen=True)
class ClockState:
    """Every target of a ticket at instant ``at``."""

    at: datetime
    priority: str | None
    paused: bool
    targets: Mapping[str, TargetState]


@dataclass(frozen=True)
class TicketHistory:
    """A ticket's events up to an instant, read as the clock reads them (public: reports reuse it).

    ``events`` are in time order and begin with ``opened``; ``pauses`` are the holds, the last
    one open-ended while the ticket is still on hold; ``instants`` are the clock-starting
    instants (``reported_at`` and the first of each later start event).
    """

    opened: TicketEvent
    events: tuple[TicketEvent, ...]
    pauses: tuple[Interval, ...]
    instants: Mapping[str, datetime]
    _completions: dict[str, datetime | None] = field(default_factory=dict, repr=False, compare=False)

    def priority_at(self, t: datetime) -> str | None:
        """The priority in force at ``t`` (the opening one, or the latest reclassification by then)."""
        current = self.opened.priority
        for e in self.events:
            if e.kind == "reclassified" and e.at <= t:
                current = e.priority
        return current

    def completion(self, target: str) -> datetime | None:
        """When ``target`` was met (a reopen undoes a restoration or resolution), or None."""
        if target not in self._completions:
            self._completions[target] = self._find_completion(target)
        return self._completions[target]

    def _find_completion(self, target: str) -> datetime | None:
        done: datetime | None = None
        meeting, reopens = COMPLETED_BY.get(target, ()), target in REOPENS
        for e in self.events:
            if done is None and e.kind in meeting:
                done = e.at
            elif reopens and e.kind == "reopened":
                done = None
        return done


def ticket_history(events: Sequence[TicketEvent], now: datetime) -> TicketHistory:
    """The ticket's history as it stands at ``now``; refuses events that do not begin with 'opened'."""
    ordered = sorted((e for e in events if require_aware(e.at) <= now), key=_at)
    if not ordered or ordered[0].kind != "opened":
        raise RequestError("a ticket's events must begin with 'opened'")
    pauses: list[Interval] = []
    instants = {"reported_at": ordered[0].at}
    for e in ordered:
        if e.kind == "paused" and (not pauses or pauses[-1][1] is not None):
            pauses.append((e.at, None))
        elif e.kind in ("resumed", "resolved") and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], e.at)
        elif e.kind in STARTED_BY:
            instants.setdefault(STARTED_BY[e.kind], e.at)
    return TicketHistory(ordered[0], tuple(ordered), tuple(pauses), instants)


def _at(e: TicketEvent) -> datetime:
    return e.at


def paused_time(calendar: Calendar, start: datetime, end: datetime, pauses: Sequence[Interval]) -> timedelta:
    """Clock time inside pauses between ``start`` and ``end``."""
    total = timedelta(0)
    for p_start, p_end in pauses:
        total += calendar.measure(max(p_start, start), min(p_end or end, end))
    return total


def add_with_pauses(calendar: Calendar, start: datetime, amount: timedelta,
                    pauses: Sequence[Interval]) -> datetime | None:
    """When ``amount`` of clock time has run since ``start``, not counting pauses (None: paused)."""
    remaining, cursor = amount, start
    for p_start, p_end in pauses:
        if p_end is not None and p_end <= cursor:
            continue
        if p_start > cursor:
            available = calendar.measure(cursor, p_start)
            if remaining <= available:
                return calendar.add(cursor, remaining)
            remaining -= available
        if p_end is None:
            return None
        cursor = max(cursor, p_end)
    return calendar.add(cursor, remaining)


def clock_state(policy: Policy, events: Sequence[TicketEvent], now: datetime) -> ClockState:
    """Per target of the ticket's current priority: due time, time used and left, standing."""
    now = require_aware(now)
    return history_clock_state(policy, ticket_history(events, now), now)


def history_clock_state(policy: Policy, history: TicketHistory, now: datetime) -> ClockState:
    """`clock_state` of a history already read by `ticket_history` at the same ``now``."""
    priority = history.priority_at(now)
    specs = target_set(policy, priority, history.opened.category)
    states = {spec.output_name: _target_state(policy, spec, history, now) for spec in specs.values()}
    paused = bool(history.pauses) and history.pauses[-1][1] is None
    return ClockState(now, priority, paused, states)


def _target_state(policy: Policy, spec: TargetSpec, history: TicketHistory, now: datetime) -> TargetState:
    name = spec.output_name
    channel = history.opened.channel or "chat"
    if not spec.has_target or (spec.channels is not None and channel not in spec.channels):
        reason = spec.reason or f"applies only to reports made by {' or '.join(sorted(spec.channels or ()))}"
        return TargetState(name, "no_target", reason=reason)
    if spec.key == "update":
        return _update_state(policy, spec, history, now)
    done = history.completion(spec.key)
    if done is not None:  # judged by the priority in force when it was met
        at_done = target_set(policy, history.priority_at(done), history.opened.category).get(spec.key)
        spec = at_done if at_done is not None and at_done.has_target else spec
    start = clock_start(spec, policy, channel, history.instants)
    if isinstance(start, str):
        return TargetState(name, "not_started", reason=start)
    return _judge(policy, spec, start, history, done or now, done is not None)


def _update_state(policy: Policy, spec: TargetSpec, history: TicketHistory, now: datetime) -> TargetState:
    start = clock_start(spec, policy, history.opened.channel or "chat", history.instants)
    if isinstance(start, str):
        return TargetState(spec.output_name, "not_started", reason=start)
    resolved = history.completion("resolution")
    anchor = max((e.at for e in history.events if e.kind == "updated"), default=start)
    return _judge(policy, spec, max(anchor, start), history, resolved or now, resolved is not None)


def _judge(policy: Policy, spec: TargetSpec, start: datetime, history: TicketHistory,
           until: datetime, completed: bool) -> TargetState:
    calendar = calendar_of(spec, policy)
    plain_due = due_at(spec, policy, start)
    budget = spec.duration if spec.rule == "duration" and spec.duration is not None else (
        calendar.measure(start, plain_due))  # as `allowance`, without computing the due time twice
    pauses = history.pauses if spec.pausable else ()
    affected = any(p_end is None or p_end > start for _, p_end in pauses)
    due = add_with_pauses(calendar, start, budget, pauses) if affected else plain_due
    excluded = paused_time(calendar, start, until, pauses) if pauses else ZERO
    consumed = calendar.measure(start, until) - excluded
    status = _status(spec, until, due, completed, budget, consumed)
    return _timed_state(spec.output_name, status, due, start, budget, consumed, excluded,
                        until if completed else None)


def _timed_state(name: str, status: str, due: datetime | None, start: datetime, budget: timedelta,
                 consumed: timedelta, paused_for: timedelta, completed_at: datetime | None) -> TargetState:
    """A `TargetState` with every field set at once (the frozen ``__init__`` sets them one by one)."""
    state = object.__new__(TargetState)
    state.__dict__.update(name=name, status=status, due_at=due, started_at=start, allowance=budget,
                          consumed=consumed, paused_for=paused_for, completed_at=completed_at, reason=None)
    return state


def _status(spec: TargetSpec, until: datetime, due: datetime | None, completed: bool,
            budget: timedelta, consumed: timedelta) -> str:
    """met / breached once completed; otherwise paused, breached, at_risk or running."""
    if completed:
        return "breached" if due is not None and _late(spec, until, due) else "met"
    if due is None:
        return "paused"
    if _late(spec, until, due):
        return "breached"
    return "at_risk" if budget and consumed >= budget * AT_RISK else "running"


def _late(spec: TargetSpec, t: datetime, due: datetime) -> bool:
    """A "<" target is breached at its due instant; an inclusive one only after it."""
    limit = due + spec.breach_grace
    return t >= limit if spec.strict else t > limit
