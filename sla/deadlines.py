"""Due times: from a policy, a priority and a report's instant to every target's deadline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sla.calendars import Calendar, ElapsedCalendar, WorkingCalendar, require_aware
from sla.errors import RequestError
from sla.model import CHANNELS, STARTS, UNPRIORITISED, Policy, TargetSpec

ELAPSED = ElapsedCalendar()


@dataclass(frozen=True)
class Deadlines:
    """Every target of one report: its due instant (UTC) or the reason there is none."""

    policy: str
    priority: str | None
    reported_at: datetime
    targets: Mapping[str, datetime | None]
    no_target: Mapping[str, str]
    clock_starts: Mapping[str, datetime] = field(default_factory=dict)


def target_set(policy: Policy, priority: str | None, category: str | None = None) -> Mapping[str, TargetSpec]:
    """The targets that apply to a priority (or, without one, to the category or the plan)."""
    if priority is not None:
        if priority not in policy.target_sets or priority == UNPRIORITISED:
            raise RequestError(_priority_hint(policy, priority))
        return policy.target_sets[priority]
    for name in (category, UNPRIORITISED):
        if name is not None and name in policy.target_sets:
            return policy.target_sets[name]
    raise RequestError(_priority_hint(policy, None))


def _priority_hint(policy: Policy, priority: str | None) -> str:
    if not policy.priority_ids:
        return f"policy {policy.id} has no priorities; send priority null"
    given = "no priority" if priority is None else f"priority {priority!r}"
    return f"policy {policy.id} has priorities {', '.join(policy.priority_ids)}; got {given}"


def clock_start(spec: TargetSpec, policy: Policy, channel: str,
                events: Mapping[str, datetime]) -> datetime | str:
    """When the target's clock starts (``events`` holds reported_at and later instants), or why not."""
    if spec.channels is not None and channel not in spec.channels:
        return f"applies only to reports made by {' or '.join(sorted(spec.channels))}"
    start = events.get(spec.start)
    if start is None:
        return STARTS[spec.start]
    if channel in spec.defer_channels and spec.defer_calendar:
        opening = policy.calendars[spec.defer_calendar]
        if not opening.is_open(start):
            return opening.next_open(start)
    return start


def calendar_of(spec: TargetSpec, policy: Policy) -> Calendar:
    """The calendar on which the target's consumed time is counted."""
    if spec.rule == "calendar_days" or spec.calendar is None:
        return ELAPSED
    return policy.calendars[spec.calendar]


def due_at(spec: TargetSpec, policy: Policy, start: datetime) -> datetime:
    """The earliest instant at which the target's allowance, started at ``start``, is used up."""
    duration = spec.duration
    if duration is not None and spec.rule == "duration":  # the common rule, without a dispatch
        return policy.calendars[spec.calendar or ""].add(start, duration)  # which checks and converts ``start``
    return _RULES[spec.rule](spec, policy, start if start.tzinfo is UTC else require_aware(start))


def allowance(spec: TargetSpec, policy: Policy, start: datetime) -> timedelta:
    """The target's allowance in its own clock's time (used for pauses and percentages)."""
    if spec.rule == "duration" and spec.duration is not None:
        return spec.duration
    return calendar_of(spec, policy).measure(start, due_at(spec, policy, start))


def _by_duration(spec: TargetSpec, policy: Policy, start: datetime) -> datetime:
    assert spec.duration is not None and spec.calendar is not None
    return policy.calendars[spec.calendar].add(start, spec.duration)


def _working(spec: TargetSpec, policy: Policy) -> WorkingCalendar:
    calendar = policy.calendars[spec.calendar or ""]
    assert isinstance(calendar, WorkingCalendar)
    return calendar


def _after_report_day(spec: TargetSpec, policy: Policy, start: datetime) -> datetime:
    """CloudCTI MTTR: counted in whole working days from the day after the report."""
    calendar = _working(spec, policy)
    anchor = calendar.next_open(start) if spec.mode == "rolled_to_opening" else start
    return calendar.close_after_working_days(anchor, spec.days)


def _close_of_working_day(spec: TargetSpec, policy: Policy, start: datetime) -> datetime:
    return _working(spec, policy).close_after_working_days(start, spec.days)


def _calendar_days(spec: TargetSpec, policy: Policy, start: datetime) -> datetime:
    if spec.mode == "elapsed":
        return start + timedelta(days=spec.days)
    calendar = _working(spec, policy)
    if spec.mode == "from_next_opening":
        start = calendar.next_open(start)
    local = start.astimezone(calendar.tz).replace(tzinfo=None) + timedelta(days=spec.days)
    return local.replace(tzinfo=calendar.tz, fold=0).astimezone(UTC)


def _no_rule(spec: TargetSpec, policy: Policy, start: datetime) -> datetime:
    raise RequestError(f"target {spec.key} has no due time: {spec.reason}")


_RULES: dict[str, Callable[[TargetSpec, Policy, datetime], datetime]] = {
    "duration": _by_duration,
    "working_days_after_report_day": _after_report_day,
    "close_of_working_day": _close_of_working_day,
    "calendar_days": _calendar_days,
    "none": _no_rule,
}


def deadlines(policy: Policy, priority: str | None, reported_at: datetime, *,
              channel: str = "chat", onsite_determined_at: datetime | None = None,
              category: str | None = None, events: Mapping[str, datetime] | None = None) -> Deadlines:
    """Every target's due instant for one report (``events``: later clock-starting instants)."""
    if channel not in CHANNELS:
        raise RequestError(f"channel must be one of {', '.join(CHANNELS)}; got {channel!r}")
    reported_at = require_aware(reported_at)
    instants = {name: require_aware(t) for name, t in (events or {}).items()}
    instants["reported_at"] = reported_at
    if onsite_determined_at is not None:
        instants["onsite_determined_at"] = require_aware(onsite_determined_at)
    targets: dict[str, datetime | None] = {"first_response": None, "first_update": None,
                                           "restoration": None, "resolution": None}
    no_target: dict[str, str] = {}
    starts: dict[str, datetime] = {}
    for spec in target_set(policy, priority, category).values():
        name = spec.output_name
        start = clock_start(spec, policy, channel, instants) if spec.has_target else spec.reason
        if isinstance(start, datetime):
            targets[name], starts[name] = due_at(spec, policy, start), start
        else:
            targets[name], no_target[name] = None, start or "the contract sets no target"
    for name in targets:
        if targets[name] is None and name not in no_target:
            no_target[name] = "the contract sets no target"
    return Deadlines(policy.id, priority, reported_at, targets, no_target, starts)
