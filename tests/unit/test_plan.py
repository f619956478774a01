"""bot/rules/timers.py: which timers a ticket needs, and the last check before one is sent."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.rules.timers import (
    AT_RISK_75,
    BREACHED,
    P1_OPENED,
    REMINDER_DUE,
    REMINDER_LEAD,
    REMINDER_REPEAT,
    REMINDER_SNOOZED,
    UPDATE_OVERDUE,
    PlannedTimer,
    ReminderSettings,
    plan,
    still_needed,
)
from sla.clock import ClockState, TargetState, TicketEvent
from tests.unit.synthetic import CLOCKS, OFFICE_HOURS, T0, UNPRIORITISED, at

DUE = at(60)
HALF_HOUR = at(30)


def clock(status: str = "running", due_at: datetime | None = DUE, now: datetime = HALF_HOUR,
          target: str = "restoration") -> ClockState:
    return ClockState(now, "P1", False, {target: TargetState(target, status, due_at=due_at)})


LADDER_KINDS = (BREACHED, AT_RISK_75, REMINDER_DUE, UPDATE_OVERDUE)


@pytest.mark.parametrize("kind", (*LADDER_KINDS, REMINDER_LEAD, REMINDER_REPEAT, REMINDER_SNOOZED, P1_OPENED))
def test_nothing_is_sent_about_a_resolved_ticket(kind: str) -> None:
    assert still_needed(kind, "restoration", DUE, clock(), "resolved") is False
    assert still_needed(kind, "restoration", DUE, clock(), "restored") is True  # the control: only "resolved" stops


def test_the_p1_alert_is_sent_whatever_the_clocks_say() -> None:
    assert still_needed(P1_OPENED, "ticket", T0, clock("met"), "open") is True
    assert still_needed(P1_OPENED, "ticket", T0, ClockState(at(1), "P1", True, {}), "on_hold") is True


@pytest.mark.parametrize("status", ["met", "paused", "not_started", "no_target"])
@pytest.mark.parametrize("kind", (*LADDER_KINDS, REMINDER_LEAD, REMINDER_REPEAT, REMINDER_SNOOZED))
def test_nothing_is_sent_about_a_target_met_paused_or_gone(kind: str, status: str) -> None:
    assert still_needed(kind, "restoration", DUE, clock("running"), "open") is True  # the control
    assert still_needed(kind, "restoration", DUE, clock(status), "open") is False
    assert still_needed(kind, "resolution", DUE, clock("running"), "open") is False  # no such target now
    assert still_needed(kind, "restoration", DUE, clock("running", due_at=None), "open") is False


@pytest.mark.parametrize("status", ["running", "at_risk", "breached"])
@pytest.mark.parametrize("kind", LADDER_KINDS)
def test_an_escalation_is_about_the_due_time_it_was_planned_for(kind: str, status: str) -> None:
    assert still_needed(kind, "restoration", DUE, clock(status), "acknowledged") is True
    moved = clock(status, due_at=DUE + timedelta(minutes=1))
    assert still_needed(kind, "restoration", DUE, moved, "acknowledged") is False
    earlier = clock(status, due_at=DUE - timedelta(minutes=1))
    assert still_needed(kind, "restoration", DUE, earlier, "acknowledged") is False


@pytest.mark.parametrize("kind", [REMINDER_REPEAT, REMINDER_SNOOZED])
def test_a_repeat_or_snoozed_reminder_stands_while_no_update_was_posted(kind: str) -> None:
    assert still_needed(kind, "first_update", at(120), clock("breached", target="first_update"), "open") is True
    assert still_needed(kind, "first_update", DUE, clock("breached", target="first_update"), "open") is True
    posted = clock("running", due_at=at(130), target="first_update")  # an update at 70 moved the due time
    assert still_needed(kind, "first_update", at(120), posted, "open") is False


def test_the_lead_reminder_is_dropped_once_the_update_is_due() -> None:
    """A lead reminder's point is the due instant it warns about; sent late, after it, it would only confuse."""
    ahead = clock(due_at=DUE, now=at(59), target="first_update")
    assert still_needed(REMINDER_LEAD, "first_update", DUE, ahead, "open") is True
    for now in (DUE, at(65)):
        due = clock(due_at=DUE, now=now, target="first_update")
        assert still_needed(REMINDER_LEAD, "first_update", DUE, due, "open") is False
    moved = clock(due_at=at(90), now=at(49), target="first_update")
    assert still_needed(REMINDER_LEAD, "first_update", DUE, moved, "open") is False


# -- plan ----------------------------------------------------------------------------------------------
def kinds(timers: list[PlannedTimer]) -> set[tuple[str, str, datetime, datetime]]:
    return {(t.kind, t.target, t.point_at, t.due_at) for t in timers}


def test_a_new_p1_gets_its_alert_the_ladder_and_the_update_reminders() -> None:
    timers = plan(CLOCKS, [TicketEvent("opened", T0, priority="P1")], at(0), "open")
    assert kinds(timers) == {
        (P1_OPENED, "ticket", T0, T0),
        (BREACHED, "first_response", at(30), at(30)), (AT_RISK_75, "first_response", at(30), at(22.5)),
        (BREACHED, "restoration", at(240), at(240)), (AT_RISK_75, "restoration", at(240), at(180)),
        (BREACHED, "resolution", at(480), at(480)), (AT_RISK_75, "resolution", at(480), at(360)),
        (REMINDER_DUE, "first_update", DUE, DUE), (UPDATE_OVERDUE, "first_update", DUE, DUE),
        (REMINDER_LEAD, "first_update", DUE, at(50)),  # a 60-minute cadence: 10 minutes' lead
    }


def test_a_p2_has_no_p1_alert_and_a_long_cadence_gets_the_long_lead() -> None:
    timers = plan(CLOCKS, [TicketEvent("opened", T0, priority="P2")], at(0), "open")
    assert not [t for t in timers if t.kind == P1_OPENED]
    assert (REMINDER_LEAD, "first_update", at(120), at(90)) in kinds(timers)  # 120 minutes: 30 minutes' lead


def test_nothing_is_planned_for_a_resolved_ticket_or_a_met_target() -> None:
    events = [TicketEvent("opened", T0, priority="P2"), TicketEvent("acknowledged", at(5))]
    assert plan(CLOCKS, events, at(10), "resolved") == []
    planned = plan(CLOCKS, events, at(10), "open")
    assert not [t for t in planned if t.target == "first_response"]
    assert {t.target for t in planned} == {"first_update", "restoration", "resolution"}  # the others still run


def test_past_three_quarters_the_at_risk_escalation_is_due_now() -> None:
    timers = plan(CLOCKS, [TicketEvent("opened", T0, priority="P2")], at(700), "open")
    assert (AT_RISK_75, "restoration", at(480), at(480)) in kinds(timers)  # breached: capped at the due time
    assert (AT_RISK_75, "resolution", at(960), at(720)) in kinds(timers)
    assert (AT_RISK_75, "resolution", at(960), at(720)) in kinds(
        plan(CLOCKS, [TicketEvent("opened", T0, priority="P2")], at(720), "open"))


def test_an_overdue_update_is_reminded_at_the_next_cadence_point_only() -> None:
    events = [TicketEvent("opened", T0, priority="P1")]
    late = kinds(plan(CLOCKS, events, at(150), "open"))
    assert (REMINDER_REPEAT, "first_update", at(180), at(180)) in late
    assert not [k for k in late if k[0] == REMINDER_LEAD]
    assert (REMINDER_REPEAT, "first_update", at(120), at(120)) in kinds(plan(CLOCKS, events, at(60), "open"))
    assert not [k for k in kinds(plan(CLOCKS, events, at(59), "open")) if k[0] == REMINDER_REPEAT]


def test_the_lead_reminder_needs_more_time_left_than_the_lead() -> None:
    events = [TicketEvent("opened", T0, priority="P1")]
    assert (REMINDER_LEAD, "first_update", DUE, at(50)) in kinds(plan(CLOCKS, events, at(49), "open"))
    assert not [k for k in kinds(plan(CLOCKS, events, at(50), "open")) if k[0] == REMINDER_LEAD]


def test_a_paused_ticket_plans_nothing_on_its_stopped_clocks() -> None:
    events = [TicketEvent("opened", T0, priority="P1"), TicketEvent("paused", at(10))]
    assert {t.kind for t in plan(CLOCKS, events, at(20), "on_hold")} == {P1_OPENED}


@pytest.mark.parametrize(("cadence", "lead"), [(timedelta(minutes=60), timedelta(minutes=10)),
                                               (timedelta(minutes=61), timedelta(minutes=30))])
def test_short_cadences_get_a_short_lead(cadence: timedelta, lead: timedelta) -> None:
    assert ReminderSettings().lead(cadence) == lead


def test_a_timer_key_is_stable_and_names_its_due_point() -> None:
    timer = PlannedTimer(BREACHED, "restoration", at(240), at(240))
    assert timer.key(42) == "42:escalate_breached:restoration:2025-11-24T14:00:00+00:00"


def test_timers_are_computed_on_each_targets_own_calendar() -> None:
    """Opened Monday 15:00: restoration (4 office hours) is due Tuesday 11:00, at 75 % on Tuesday at 10:00."""
    monday_3pm = at(5 * 60)
    timers = kinds(plan(OFFICE_HOURS, [TicketEvent("opened", monday_3pm, priority="P1")], monday_3pm, "open"))
    tuesday = T0 + timedelta(days=1)
    assert (BREACHED, "restoration", tuesday + timedelta(hours=1), tuesday + timedelta(hours=1)) in timers
    assert (AT_RISK_75, "restoration", tuesday + timedelta(hours=1), tuesday) in timers
    assert (AT_RISK_75, "first_response", at(5 * 60 + 30), at(5 * 60 + 22.5)) in timers


def test_a_clock_stopped_at_exactly_three_quarters_is_at_risk_now_not_at_the_next_opening() -> None:
    """Opened Monday 14:00; at 17:00 three of its four office hours are used, and the office closes."""
    opened = at(4 * 60)
    evening = at(8 * 60)  # Monday 18:00, closed
    timers = kinds(plan(OFFICE_HOURS, [TicketEvent("opened", opened, priority="P1")], evening, "open"))
    due = T0 + timedelta(days=1)  # Tuesday 10:00
    assert (AT_RISK_75, "restoration", due, evening) in timers


def test_a_policy_without_priorities_plans_from_the_categorys_targets_and_alerts_nobody() -> None:
    monday_4pm, tuesday = at(6 * 60), T0 + timedelta(days=1)  # two office hours: one on Monday, one on Tuesday
    help_request = [TicketEvent("opened", monday_4pm, category="help_request")]
    assert kinds(plan(UNPRIORITISED, help_request, monday_4pm, "open")) == {
        (BREACHED, "resolution", tuesday, tuesday),
        (AT_RISK_75, "resolution", tuesday, tuesday - timedelta(minutes=30))}
    other = [TicketEvent("opened", T0, category="incident")]
    assert (BREACHED, "resolution", at(60), at(60)) in kinds(plan(UNPRIORITISED, other, T0, "open"))
