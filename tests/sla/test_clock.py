"""Clock state of a ticket: what an engineer sees on the card at a given instant."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from sla import PolicyLibrary, RequestError, policy_from_mapping
from sla.clock import TicketEvent, clock_state
from sla.deadlines import deadlines

LIB = PolicyLibrary.load()
T0 = datetime.fromisoformat("2025-11-24T10:00:00+00:00")  # a Monday, in hours


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def opened(priority: str | None, channel: str = "chat") -> TicketEvent:
    return TicketEvent("opened", T0, priority=priority, channel=channel)


def test_p1_without_updates_goes_at_risk_then_breached() -> None:
    events = [opened("P1")]
    maintel = LIB.get("maintel-icon")
    assert clock_state(maintel, events, at(30)).targets["first_update"].status == "running"
    at_risk = clock_state(maintel, events, at(45)).targets["first_update"]
    assert at_risk.status == "at_risk" and at_risk.percent == pytest.approx(75)
    late = clock_state(maintel, events, at(61)).targets["first_update"]
    assert late.status == "breached" and late.remaining == timedelta(minutes=-1)


def test_an_update_restarts_the_cadence_from_the_update() -> None:
    events = [opened("P1"), TicketEvent("updated", at(50))]
    state = clock_state(LIB.get("maintel-icon"), events, at(70)).targets["first_update"]
    assert state.due_at == at(110)
    assert state.status == "running" and state.remaining == timedelta(minutes=40)


def test_a_late_update_sets_the_next_due_one_cadence_after_it() -> None:
    events = [opened("P1"), TicketEvent("updated", at(75))]
    assert clock_state(LIB.get("maintel-icon"), events, at(80)).targets["first_update"].due_at == at(135)


def test_strict_target_is_breached_at_the_due_instant() -> None:
    maintel = clock_state(LIB.get("maintel-icon"), [opened("P1"), TicketEvent("acknowledged", at(30))], at(40))
    vodafone = clock_state(LIB.get("vodafone-vone-m"), [opened("P1"), TicketEvent("acknowledged", at(30))],
                           at(40))
    assert maintel.targets["first_response"].status == "breached"  # "< 30 minutes"
    assert vodafone.targets["first_response"].status == "met"  # "30 minutes"


def test_a_hold_is_excluded_from_a_working_hours_clock() -> None:
    vodafone = LIB.get("vodafone-vone-m")
    events = [opened("P3"), TicketEvent("paused", at(30)), TicketEvent("resumed", at(90))]
    state = clock_state(vodafone, events, at(100)).targets["first_response"]
    assert state.due_at == at(180)  # 2 WH + the 60 paused minutes
    assert state.consumed == timedelta(minutes=40) and state.paused_for == timedelta(minutes=60)


def test_while_on_hold_the_clock_shows_paused_and_keeps_time_left() -> None:
    events = [opened("P1"), TicketEvent("paused", at(10))]
    state = clock_state(LIB.get("maintel-icon"), events, at(200))
    assert state.paused
    assert state.targets["restoration"].status == "paused"
    assert state.targets["restoration"].remaining == timedelta(hours=4) - timedelta(minutes=10)


def test_a_hold_over_the_night_only_excludes_working_time() -> None:
    vodafone = LIB.get("vodafone-vone-m")
    evening = datetime.fromisoformat("2025-11-24T16:00:00+00:00")
    events = [TicketEvent("opened", evening, priority="P3"),
              TicketEvent("paused", evening + timedelta(minutes=30)),
              TicketEvent("resumed", datetime.fromisoformat("2025-11-25T10:00:00+00:00"))]
    state = clock_state(vodafone, events, datetime.fromisoformat("2025-11-25T10:00:00+00:00"))
    # 30 min used Monday; paused 16:30-17:00 (30 WH min) and 09:00-10:00 Tuesday (60 WH min)
    assert state.targets["first_response"].due_at == datetime.fromisoformat("2025-11-25T11:30:00+00:00")


def test_reclassification_recomputes_from_the_snapshot_for_the_new_priority() -> None:
    maintel = LIB.get("maintel-icon")
    events = [opened("P3"), TicketEvent("reclassified", at(10), priority="P1")]
    state = clock_state(maintel, events, at(20))
    assert state.priority == "P1"
    assert state.targets["first_response"].due_at == at(30)  # P1 "< 30 minutes" from the report
    assert state.targets["restoration"].due_at == at(240)  # P1 "Within 4 hours"


def test_a_target_met_before_a_reclassification_stays_met() -> None:
    events = [opened("P3"), TicketEvent("acknowledged", at(50)),
              TicketEvent("reclassified", at(60), priority="P1")]
    state = clock_state(LIB.get("maintel-icon"), events, at(70))
    assert state.targets["first_response"].status == "met"  # P3 "< 4 hours" was in force at 50 min


def test_reclassification_down_after_a_workaround_moves_deadlines_later() -> None:
    vodafone = LIB.get("vodafone-vone-m")
    events = [opened("P2"), TicketEvent("restored", at(60)), TicketEvent("reclassified", at(61), priority="P3")]
    state = clock_state(vodafone, events, at(62))
    expected = deadlines(vodafone, "P3", T0).targets["resolution"]
    assert state.targets["resolution"].due_at == expected == datetime.fromisoformat("2025-11-27T10:00:00+00:00")


def test_whole_hours_measurement_reading_delays_the_breach_by_an_hour() -> None:
    events = [opened("P1"), TicketEvent("resolved", at(4 * 60 + 59))]
    literal = clock_state(LIB.get("vodafone-vone-m"), events, at(300)).targets["resolution"]
    whole = clock_state(LIB.get("vodafone-vone-m", ["whole_hours_measurement"]), events, at(300))
    assert literal.status == "breached"
    assert whole.targets["resolution"].status == "met"


def test_restoration_met_by_a_workaround_and_reopen_restarts_it() -> None:
    maintel = LIB.get("maintel-icon")
    restored = [opened("P1"), TicketEvent("restored", at(60))]
    assert clock_state(maintel, restored, at(300)).targets["restoration"].status == "met"
    reopened = [*restored, TicketEvent("resolved", at(70)), TicketEvent("reopened", at(100))]
    assert clock_state(maintel, reopened, at(300)).targets["restoration"].status == "breached"


def test_onsite_waits_for_the_decision_then_runs() -> None:
    cat4 = LIB.get("voip-cat4")
    before = clock_state(cat4, [opened(None)], at(10)).targets["onsite"]
    assert before.status == "not_started" and "on-site visit is needed" in (before.reason or "")
    after = clock_state(cat4, [opened(None), TicketEvent("onsite_determined", at(20))], at(30))
    assert after.targets["onsite"].due_at == at(20 + 24 * 60)


def test_email_target_does_not_apply_to_a_chat_report() -> None:
    state = clock_state(LIB.get("maintel-icon"), [opened("P2")], at(5)).targets["email_acknowledgement"]
    assert state.status == "no_target" and "email" in (state.reason or "")


def test_events_must_start_with_opened() -> None:
    with pytest.raises(RequestError, match="begin with 'opened'"):
        clock_state(LIB.get("maintel-icon"), [TicketEvent("acknowledged", at(1))], at(2))


def test_unknown_event_kind_is_refused() -> None:
    with pytest.raises(RequestError, match="unknown ticket event"):
        TicketEvent("exploded", T0)


def test_a_snapshot_survives_json_and_ignores_later_policy_edits() -> None:
    policy = LIB.get("maintel-icon")
    snapshot = json.loads(json.dumps(policy.raw))
    edited = json.loads(json.dumps(policy.raw))
    edited["targets"]["P1"]["restoration"]["hours"] = 12
    frozen = policy_from_mapping(snapshot, "ticket snapshot")
    assert deadlines(frozen, "P1", T0).targets == deadlines(policy, "P1", T0).targets
    assert deadlines(policy_from_mapping(edited, "edited"), "P1", T0).targets["restoration"] == at(12 * 60)


def test_a_snapshot_keeps_its_readings() -> None:
    policy = LIB.get("vodafone-vone-m", ["elapsed_168h"])
    again = policy_from_mapping(json.loads(json.dumps(policy.raw)), "snapshot")
    assert again.readings == ("elapsed_168h",)


def test_a_hold_does_not_stop_a_target_the_policy_keeps_running() -> None:
    events = [opened("P2", channel="email"), TicketEvent("paused", at(10)), TicketEvent("resumed", at(70))]
    state = clock_state(LIB.get("maintel-icon"), events, at(80))
    assert state.targets["email_acknowledgement"].due_at == at(120)  # "within 2 hours", no pause
    assert state.targets["restoration"].due_at == at(8 * 60 + 60)  # paused for an hour
