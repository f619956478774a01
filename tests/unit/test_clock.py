"""sla/clock.py on a synthetic 24x7 policy: holds, the update cadence, reopening, restoration and resolution."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sla.clock import TargetState, TicketEvent, clock_state
from sla.errors import RequestError
from tests.unit.synthetic import CLOCKS, NO_P2_RESTORATION, STARTS_LATER, T0, UNPRIORITISED, at


def opened(priority: str = "P1", channel: str | None = "chat") -> TicketEvent:
    return TicketEvent("opened", T0, priority=priority, channel=channel)


def event(kind: str, minutes: float, **kw: str) -> TicketEvent:
    return TicketEvent(kind, at(minutes), **kw)


def state(events: list[TicketEvent], minutes: float, name: str) -> TargetState:
    return clock_state(CLOCKS, events, at(minutes)).targets[name]


def test_a_running_target_uses_time_until_it_is_at_risk_then_breached() -> None:
    events = [opened()]
    running = state(events, 44, "restoration")
    assert (running.status, running.due_at, running.consumed, running.remaining) == (
        "running", at(240), timedelta(minutes=44), timedelta(minutes=196))
    assert state(events, 179, "restoration").status == "running"
    assert state(events, 180, "restoration").status == "at_risk"  # exactly 75 %
    assert state(events, 240, "restoration").status == "at_risk"  # inclusive: due, not yet late
    late = state(events, 241, "restoration")
    assert (late.status, late.remaining) == ("breached", timedelta(minutes=-1))


def test_a_strict_target_is_breached_at_its_due_instant_and_grace_moves_the_breach() -> None:
    assert state([opened()], 29, "first_response").status == "at_risk"
    assert state([opened()], 30, "first_response").status == "breached"
    assert state([opened("P3")], 965, "restoration").status == "at_risk"  # 5 minutes' grace
    assert state([opened("P3")], 966, "restoration").status == "breached"
    met_in_grace = state([opened("P3"), event("restored", 964)], 1000, "restoration")
    assert met_in_grace.status == "met"


def test_an_acknowledgement_meets_the_first_response_target() -> None:
    met = state([opened(), event("acknowledged", 20)], 100, "first_response")
    assert (met.status, met.completed_at, met.consumed) == ("met", at(20), timedelta(minutes=20))
    late = state([opened(), event("acknowledged", 30)], 100, "first_response")  # "< 30 minutes"
    assert (late.status, late.completed_at) == ("breached", at(30))


def test_a_hold_stops_the_clock_and_moves_the_due_time() -> None:
    events = [opened(), event("paused", 60), event("resumed", 90)]
    held = state(events[:2], 80, "restoration")
    assert (held.status, held.due_at, held.consumed, held.paused_for) == (
        "paused", None, timedelta(minutes=60), timedelta(minutes=20))
    assert clock_state(CLOCKS, events[:2], at(80)).paused is True
    after = state(events, 100, "restoration")
    assert (after.status, after.due_at, after.consumed, after.paused_for) == (
        "running", at(270), timedelta(minutes=70), timedelta(minutes=30))
    assert clock_state(CLOCKS, events, at(100)).paused is False


def test_a_second_hold_is_excluded_too() -> None:
    events = [opened(), event("paused", 60), event("resumed", 90), event("paused", 120), event("resumed", 170)]
    after = state(events, 200, "restoration")
    assert (after.due_at, after.paused_for, after.consumed) == (at(320), timedelta(minutes=80),
                                                                 timedelta(minutes=120))
    during = state(events[:4], 150, "restoration")
    assert (during.status, during.paused_for) == ("paused", timedelta(minutes=60))
    assert clock_state(CLOCKS, events[:4], at(150)).paused is True


def test_a_repeated_pause_is_one_hold_and_resolving_ends_a_hold() -> None:
    twice = [opened(), event("paused", 60), event("paused", 70), event("resumed", 90)]
    assert state(twice, 100, "restoration").due_at == at(270)
    resolved_on_hold = [opened(), event("paused", 60), event("resolved", 90)]
    assert clock_state(CLOCKS, resolved_on_hold, at(100)).paused is False
    assert state(resolved_on_hold, 100, "resolution").consumed == timedelta(minutes=60)


def test_a_target_that_is_not_pausable_runs_through_a_hold() -> None:
    events = [opened("P3"), event("paused", 60)]
    assert state(events, 100, "first_update").status == "running"
    assert state(events, 100, "first_update").due_at == at(240)
    assert state(events, 100, "first_response").status == "paused"


def test_a_hold_placed_after_a_deadline_does_not_move_it() -> None:
    for hold_at in (240, 250):  # at the deadline and after it
        events = [opened(), event("paused", hold_at), event("resumed", hold_at + 60)]
        late = state(events, hold_at + 90, "restoration")
        assert (late.status, late.due_at) == ("breached", at(240)), hold_at
    on_hold = state([opened(), event("paused", 250)], 260, "restoration")
    assert (on_hold.status, on_hold.due_at) == ("breached", at(240))


def test_the_update_cadence_restarts_from_the_last_update() -> None:
    events = [opened(), event("updated", 20), event("updated", 50)]
    cadence = state(events, 70, "first_update")
    assert (cadence.due_at, cadence.started_at, cadence.remaining) == (at(110), at(50), timedelta(minutes=40))
    late_update = state([opened(), event("updated", 75)], 80, "first_update")
    assert late_update.due_at == at(135)
    assert state([opened()], 61, "first_update").status == "breached"


def test_the_cadence_stops_when_the_ticket_is_resolved_and_runs_again_when_reopened() -> None:
    resolved = [opened(), event("updated", 30), event("resolved", 60)]
    done = state(resolved, 500, "first_update")
    assert (done.status, done.completed_at) == ("met", at(60))
    reopened = [*resolved, event("reopened", 100)]
    assert state(reopened, 100, "first_update").status == "breached"  # due at 90, no update since


def test_reopening_restarts_restoration_and_resolution() -> None:
    events = [opened(), event("restored", 30), event("resolved", 60), event("reopened", 100)]
    for name in ("restoration", "resolution"):
        again = state(events, 110, name)
        assert (again.status, again.completed_at, again.consumed) == ("running", None, timedelta(minutes=110))
    assert state(events, 110, "first_response").status == "breached"  # never acknowledged; not reopened
    second = [*events, event("restored", 200)]
    assert (state(second, 210, "restoration").status, state(second, 210, "restoration").completed_at) == (
        "met", at(200))


def test_resolving_without_restoring_meets_restoration() -> None:
    events = [opened(), event("resolved", 100)]
    restoration = state(events, 300, "restoration")
    assert (restoration.status, restoration.completed_at) == ("met", at(100))


def test_a_later_event_does_not_unmeet_a_met_restoration() -> None:
    events = [opened(), event("restored", 100), event("restored", 300), event("resolved", 400)]
    restoration = state(events, 500, "restoration")
    assert (restoration.status, restoration.completed_at) == ("met", at(100))


def test_a_target_met_late_stays_breached() -> None:
    restoration = state([opened(), event("restored", 250)], 300, "restoration")
    assert (restoration.status, restoration.completed_at) == ("breached", at(250))


def test_a_reclassification_changes_the_targets_and_a_met_target_keeps_the_priority_it_was_met_under() -> None:
    events = [opened("P2"), event("acknowledged", 45), event("reclassified", 50, priority="P1")]
    now = clock_state(CLOCKS, events, at(60))
    assert now.priority == "P1"
    assert now.targets["restoration"].due_at == at(240)
    assert now.targets["first_response"].status == "met"  # 45 min: in time for P2, late for P1
    assert clock_state(CLOCKS, events, at(49)).priority == "P2"
    assert clock_state(CLOCKS, events, at(50)).priority == "P1"  # from the instant of the reclassification


def test_events_after_the_instant_are_not_seen_yet() -> None:
    events = [opened(), event("acknowledged", 20)]
    assert state(events, 10, "first_response").status == "running"


def test_a_target_for_other_channels_has_no_target() -> None:
    chat = state([opened("P3")], 10, "resolution")
    assert (chat.name, chat.status, chat.reason) == (
        "resolution", "no_target", "applies only to reports made by email or phone")
    assert state([opened("P3", channel=None)], 10, "resolution").status == "no_target"  # chat by default
    assert state([opened("P3", channel="phone")], 10, "resolution").status == "running"


def test_events_must_begin_with_opened_and_be_known() -> None:
    for events in ([event("acknowledged", 0)], []):
        with pytest.raises(RequestError) as refused:
            clock_state(CLOCKS, events, at(10))
        assert str(refused.value) == "a ticket's events must begin with 'opened'"
    with pytest.raises(RequestError, match="unknown ticket event 'exploded'; known: opened, acknowledged"):
        event("exploded", 0)


def test_percent_of_the_allowance_used() -> None:
    assert state([opened()], 60, "restoration").percent == pytest.approx(25)
    assert TargetState("x", "no_target").percent is None
    assert TargetState("x", "no_target").remaining is None


def test_each_state_is_named_for_its_target_and_the_instant_it_describes() -> None:
    now = clock_state(CLOCKS, [opened("P3")], at(10))
    assert now.at == at(10)
    assert {name: s.name for name, s in now.targets.items()} == {
        "first_response": "first_response", "first_update": "first_update", "restoration": "restoration",
        "resolution": "resolution"}


def test_a_clock_that_starts_on_an_onsite_decision_waits_for_it() -> None:
    waiting = clock_state(STARTS_LATER, [opened("P1")], at(10)).targets
    why = "starts when an engineer records that an on-site visit is needed"
    assert {n: (s.name, s.status, s.reason) for n, s in waiting.items()} == {
        "first_update": ("first_update", "not_started", why), "restoration": ("restoration", "not_started", why)}
    started = clock_state(STARTS_LATER, [opened("P1"), event("onsite_determined", 30)], at(40)).targets
    assert (started["first_update"].due_at, started["restoration"].due_at) == (at(90), at(270))


def test_an_email_after_hours_starts_the_clock_at_the_next_opening() -> None:
    evening = [TicketEvent("opened", at(8 * 60), priority="P2", channel="email")]  # Monday 18:00
    update = clock_state(STARTS_LATER, evening, at(9 * 60)).targets["first_update"]
    tuesday_9am = T0 + timedelta(hours=23)
    assert (update.started_at, update.due_at) == (tuesday_9am, tuesday_9am + timedelta(hours=1))
    chat = clock_state(STARTS_LATER, [TicketEvent("opened", at(8 * 60), priority="P2")], at(9 * 60)).targets
    assert chat["first_update"].due_at == at(9 * 60)


def test_a_report_with_no_channel_counts_as_chat() -> None:
    unsaid = clock_state(STARTS_LATER, [opened("P2", channel=None)], at(10)).targets
    assert (unsaid["restoration"].status, unsaid["first_update"].due_at) == ("running", at(60))


def test_a_target_no_event_meets_keeps_running() -> None:
    call = clock_state(STARTS_LATER, [opened("P2"), event("resolved", 10)], at(20)).targets["courtesy_call"]
    assert (call.status, call.due_at) == ("running", at(30))


def test_the_cadence_counts_every_hold_after_its_last_update() -> None:
    events = [opened(), event("paused", 10), event("resumed", 20), event("updated", 30), event("paused", 40),
              event("resumed", 50)]
    cadence = state(events, 60, "first_update")
    assert (cadence.started_at, cadence.due_at, cadence.paused_for) == (at(30), at(100), timedelta(minutes=10))


def test_a_target_met_under_a_priority_without_it_is_judged_by_the_current_one() -> None:
    events = [opened("P2"), event("restored", 30), event("reclassified", 60, priority="P1")]
    restoration = clock_state(NO_P2_RESTORATION, events, at(100)).targets["restoration"]
    assert (restoration.status, restoration.completed_at, restoration.due_at) == ("met", at(30), at(240))


def test_a_met_target_without_a_priority_is_judged_by_its_categorys_targets() -> None:
    events = [TicketEvent("opened", T0, category="help_request"), event("resolved", 100)]
    resolution = clock_state(UNPRIORITISED, events, at(200)).targets["resolution"]
    assert (resolution.status, resolution.due_at) == ("met", at(120))  # the plan's own 60 minutes would be late
