"""Properties that must hold for every instant, not just the ones we thought of."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sla import PolicyLibrary, deadlines
from sla.calendars import WorkingCalendar
from sla.clock import TicketEvent, clock_state

LIB = PolicyLibrary.load()
WORKING = [
    (pid, name, cal)
    for pid in LIB.ids()
    for name, cal in LIB.get(pid).calendars.items()
    if isinstance(cal, WorkingCalendar)
]
REQUESTS = [
    (pid, priority, channel)
    for pid in LIB.ids()
    for priority in (LIB.get(pid).priority_ids or (None,))
    for channel in ("chat", "email")
]

instants = st.datetimes(min_value=datetime(2022, 1, 1), max_value=datetime(2028, 6, 30),
                        timezones=st.just(UTC))
durations = st.integers(min_value=0, max_value=200 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(WORKING), instants, durations)
def test_business_time_added_then_measured_back_is_the_same(
        entry: tuple[str, str, WorkingCalendar], start: datetime, amount: timedelta) -> None:
    _, _, calendar = entry
    assert calendar.measure(start, calendar.add(start, amount)) == amount


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(REQUESTS), instants, st.integers(min_value=1, max_value=60 * 24 * 10))
def test_due_times_never_move_earlier_when_the_report_is_later(
        request: tuple[str, str | None, str], first: datetime, later_by_minutes: int) -> None:
    pid, priority, channel = request
    policy = LIB.get(pid)
    earlier = deadlines(policy, priority, first, channel=channel).targets
    later = deadlines(policy, priority, first + timedelta(minutes=later_by_minutes), channel=channel).targets
    for name, due in earlier.items():
        if due is not None:
            assert later[name] is not None and later[name] >= due, name  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(REQUESTS), instants, st.integers(0, 60 * 30), st.integers(1, 60 * 30))
def test_a_pause_never_moves_a_due_time_earlier(
        request: tuple[str, str | None, str], opened: datetime, pause_after: int, pause_for: int) -> None:
    pid, priority, channel = request
    policy = LIB.get(pid)
    paused_at = opened + timedelta(minutes=pause_after)
    resumed_at = paused_at + timedelta(minutes=pause_for)
    base = [TicketEvent("opened", opened, priority=priority, channel=channel)]
    with_pause = [*base, TicketEvent("paused", paused_at), TicketEvent("resumed", resumed_at)]
    later = resumed_at + timedelta(minutes=1)
    plain, held = clock_state(policy, base, later), clock_state(policy, with_pause, later)
    for name, state in plain.targets.items():
        if state.due_at is not None:
            assert held.targets[name].due_at is not None
            assert held.targets[name].due_at >= state.due_at, name  # type: ignore[operator]
