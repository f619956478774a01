"""Which timers a ticket needs now: reminders before and at each customer update, and the escalation ladder.

Pure. Every instant is computed on the target's own clock (its calendar, its pauses), so nothing is planned while
a working-hours clock is stopped or a ticket is on hold. Each timer is keyed by ticket, kind, target and the due
point it is about: replanning never duplicates a timer, and a moved due point retires the old one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sla import Policy
from sla.calendars import Calendar
from sla.clock import AT_RISK, ClockState, TargetState, TicketEvent, clock_state
from sla.deadlines import calendar_of, target_set

UPDATE_TARGET = "first_update"
REMINDER_LEAD = "reminder_lead"
REMINDER_DUE = "reminder_due"
REMINDER_REPEAT = "reminder_repeat"
REMINDER_SNOOZED = "reminder_snoozed"
P1_OPENED = "escalate_p1_opened"
AT_RISK_75 = "escalate_at_risk"
BREACHED = "escalate_breached"
UPDATE_OVERDUE = "escalate_update_overdue"


@dataclass(frozen=True)
class ReminderSettings:
    """Lead times before an update is due (short cadences get a short lead)."""

    short_cadence: timedelta = timedelta(hours=1)
    lead_short: timedelta = timedelta(minutes=10)
    lead_long: timedelta = timedelta(minutes=30)

    def lead(self, cadence: timedelta) -> timedelta:
        return self.lead_short if cadence <= self.short_cadence else self.lead_long


@dataclass(frozen=True)
class PlannedTimer:
    kind: str
    target: str
    point_at: datetime
    due_at: datetime

    def key(self, ticket_id: int) -> str:
        """Stable across replans; the repeat number is part of a repeat's due point."""
        return f"{ticket_id}:{self.kind}:{self.target}:{self.point_at.isoformat()}"


DEFAULT_SETTINGS = ReminderSettings()


def plan(policy: Policy, events: Sequence[TicketEvent], now: datetime, status: str,
         settings: ReminderSettings = DEFAULT_SETTINGS) -> list[PlannedTimer]:
    """Timers the ticket needs as it stands at ``now`` (none once resolved, or merged into another)."""
    if status in ("resolved", "merged"):
        return []
    state = clock_state(policy, events, now)
    timers = _p1_opened(policy, events, state)
    specs = target_set(policy, state.priority, events[0].category)
    for name, target in state.targets.items():
        if target.status not in ("running", "at_risk", "breached") or target.due_at is None:
            continue
        spec = next(s for s in specs.values() if s.output_name == name)
        calendar = calendar_of(spec, policy)
        if name == UPDATE_TARGET:  # the cadence has its own reminders and its own "overdue" step
            timers += _update_reminders(target, calendar, now, settings)
        else:
            timers += _ladder(name, target, calendar, now)
    return timers


def _p1_opened(policy: Policy, events: Sequence[TicketEvent], state: ClockState) -> list[PlannedTimer]:
    top = policy.priority_ids[0] if policy.priority_ids else None
    if top is None or state.priority != top:
        return []
    opened = events[0].at
    return [PlannedTimer(P1_OPENED, "ticket", opened, opened)]


def _ladder(name: str, target: TargetState, calendar: Calendar, now: datetime) -> list[PlannedTimer]:
    assert target.due_at is not None and target.allowance is not None
    timers = [PlannedTimer(BREACHED, name, target.due_at, target.due_at)]
    threshold = target.allowance * AT_RISK
    at_risk = now if target.consumed >= threshold else calendar.add(now, threshold - target.consumed)
    timers.append(PlannedTimer(AT_RISK_75, name, target.due_at, min(at_risk, target.due_at)))
    return timers


def _update_reminders(target: TargetState, calendar: Calendar, now: datetime,
                      settings: ReminderSettings) -> list[PlannedTimer]:
    assert target.due_at is not None and target.allowance is not None and target.remaining is not None
    due, cadence = target.due_at, target.allowance
    lead = settings.lead(cadence)
    timers = [PlannedTimer(REMINDER_DUE, UPDATE_TARGET, due, due),
              PlannedTimer(UPDATE_OVERDUE, UPDATE_TARGET, due, due)]
    if target.remaining > lead:
        timers.append(PlannedTimer(REMINDER_LEAD, UPDATE_TARGET, due,
                                   calendar.add(now, target.remaining - lead)))
    if now >= due:  # overdue: remind again at each cadence, the next point only (no flood after downtime)
        repeat = due
        while repeat <= now:
            repeat = calendar.add(repeat, cadence)
        timers.append(PlannedTimer(REMINDER_REPEAT, UPDATE_TARGET, repeat, repeat))
    return timers


def still_needed(timer_kind: str, target: str, point_at: datetime, state: ClockState, status: str) -> bool:
    """At firing time: is the reminder or escalation still about the clock as it stands?"""
    if status in ("resolved", "merged"):
        return False
    if timer_kind == P1_OPENED:
        return True
    current = state.targets.get(target)
    if current is None or current.status not in ("running", "at_risk", "breached") or current.due_at is None:
        return False  # met, paused, or no longer a target
    if timer_kind in (REMINDER_REPEAT, REMINDER_SNOOZED):
        return current.due_at <= point_at  # the update it is about has still not been posted
    if timer_kind == REMINDER_LEAD and state.at >= point_at:
        return False  # the update is already due: the due reminder says it, once
    return current.due_at == point_at
