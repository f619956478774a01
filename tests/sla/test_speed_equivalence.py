"""The fast calendar arithmetic (sla/timeline.py) gives exactly what a plain day-by-day walk gives.

The reference below walks each local date's working segments in order, as the calendar did
before it kept cumulative arrays; it is slow and obviously right. Every contract calendar and
a few awkward ones (DST nights, windows inside the missing hour, 24:00 closes, half-hour DST,
overlapping and touching windows) are compared on random instants, on instants a microsecond
or a second either side of an opening or closing, and on durations with microseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import PolicyLibrary
from sla.calendars import HolidaySource, Window, WorkingCalendar
from sla.clock import TargetState, _timed_state
from sla.deadlines import due_at
from sla.model import Policy, TargetSpec
from sla.timeline import EPOCH, LONGEST_SEGMENT, grown, offsets_upto, to_seconds

ZERO = timedelta(0)
ALL_DAYS = frozenset(range(7))
WEEKDAYS = frozenset(range(5))
LIB = PolicyLibrary.load()


def _awkward() -> list[WorkingCalendar]:
    def cal(name: str, tz: str, *windows: Window, holidays: HolidaySource | None = None) -> WorkingCalendar:
        return WorkingCalendar(name, ZoneInfo(tz), windows, holidays)

    return [
        cal("gap-hour", "Europe/London", Window(ALL_DAYS, 30, 150)),  # 01:00-02:00 vanishes in spring
        cal("midnight", "America/New_York", Window(WEEKDAYS, 1200, 1440), Window(WEEKDAYS, 0, 180)),
        cal("touching", "Europe/Amsterdam", Window(WEEKDAYS, 480, 720), Window(WEEKDAYS, 720, 1020),
            holidays=HolidaySource("NL")),
        cal("overlapping", "Europe/Berlin", Window(WEEKDAYS, 480, 800), Window(WEEKDAYS, 600, 1000)),
        cal("half-hour-dst", "Australia/Lord_Howe", Window(ALL_DAYS, 60, 240)),
        cal("weekend-only", "Europe/London", Window(frozenset({5, 6}), 600, 660),
            holidays=HolidaySource("GB", "ENG")),
    ]


CALENDARS = [c for pid in LIB.ids() for c in LIB.get(pid).calendars.values()
             if isinstance(c, WorkingCalendar)] + _awkward()


# -- the reference: a walk over each local date's segments --------------------------------
def _days(cal: WorkingCalendar, t: datetime) -> Iterator[tuple[datetime, datetime]]:
    first = t.astimezone(cal.tz).date()
    for offset in range(3660):
        yield from _merged(cal.segments(first + timedelta(days=offset)))


def _merged(segments: tuple[tuple[datetime, datetime], ...]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for o, c in segments:
        if out and o < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], c))
        else:
            out.append((o, c))
    return out


def ref_add(cal: WorkingCalendar, t: datetime, remaining: timedelta) -> datetime:
    for o, c in _days(cal, t):
        if c <= t:
            continue
        available = c - max(o, t)
        if remaining <= available:
            return c - available + remaining
        remaining -= available
    raise AssertionError("no working time within ten years")


def ref_measure(cal: WorkingCalendar, t: datetime, stop: datetime) -> timedelta:
    total = ZERO
    for o, c in _days(cal, t):
        if o >= stop:
            return total
        if c > t:
            total += max(ZERO, min(c, stop) - max(o, t))
    raise AssertionError("unreachable")


def ref_is_open(cal: WorkingCalendar, t: datetime) -> bool:
    return any(o <= t < c for o, c in _merged(cal.segments(t.astimezone(cal.tz).date())))


def ref_close_after(cal: WorkingCalendar, t: datetime, n: int) -> datetime:
    day = t.astimezone(cal.tz).date()
    working = (d for d in (day + timedelta(days=i) for i in range(1, 3660)) if cal.segments(d))
    for _ in range(n - 1):
        next(working)
    return cal.segments(next(working))[-1][1]


# -- instants: anywhere, or right at / beside a boundary -----------------------------------
days = st.dates(min_value=date(2021, 1, 1), max_value=date(2029, 12, 31))
nudges = st.sampled_from([timedelta(0), timedelta(microseconds=1), -timedelta(microseconds=1),
                          timedelta(seconds=1), -timedelta(seconds=1), timedelta(minutes=30)])
anywhere = st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC))
durations = st.one_of(
    st.integers(0, 300 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(0, 10**12).map(lambda us: timedelta(microseconds=us)),
    st.sampled_from([ZERO, timedelta(hours=8), timedelta(hours=4, microseconds=1)]),
)


@st.composite
def instants(draw: st.DrawFn, cal: WorkingCalendar) -> datetime:
    """A random instant, or one beside an opening or closing of a random date."""
    if draw(st.booleans()):
        return draw(anywhere)
    day = draw(days)
    while not cal.segments(day):
        day += timedelta(days=1)
    boundary = draw(st.sampled_from([t for seg in cal.segments(day) for t in seg]))
    return boundary + draw(nudges)


@st.composite
def cases(draw: st.DrawFn) -> tuple[WorkingCalendar, datetime]:
    cal = draw(st.sampled_from(CALENDARS))
    return cal, draw(instants(cal))


@settings(max_examples=600, deadline=None)
@given(cases(), durations)
def test_adding_working_time_matches_the_walk(case: tuple[WorkingCalendar, datetime], amount: timedelta) -> None:
    cal, t = case
    assert cal.add(t, amount) == ref_add(cal, t, amount)


@settings(max_examples=600, deadline=None)
@given(cases(), st.one_of(durations, st.integers(0, 400 * 86400).map(lambda s: timedelta(seconds=s))))
def test_measuring_working_time_matches_the_walk(case: tuple[WorkingCalendar, datetime], span: timedelta) -> None:
    cal, t = case
    assert cal.measure(t, t + span) == ref_measure(cal, t, t + span)
    assert cal.measure(t + span, t) == ZERO


@settings(max_examples=600, deadline=None)
@given(cases())
def test_open_and_next_opening_match_the_walk(case: tuple[WorkingCalendar, datetime]) -> None:
    cal, t = case
    assert cal.is_open(t) is ref_is_open(cal, t)
    assert cal.next_open(t) == ref_add(cal, t, ZERO)


@settings(max_examples=300, deadline=None)
@given(cases(), st.integers(1, 30))
def test_closing_of_the_nth_working_day_matches_the_walk(case: tuple[WorkingCalendar, datetime], n: int) -> None:
    cal, t = case
    assert cal.close_after_working_days(t, n) == ref_close_after(cal, t, n)


@settings(max_examples=300, deadline=None)
@given(cases(), durations)
def test_a_freshly_laid_out_span_adds_as_the_walk_does(case: tuple[WorkingCalendar, datetime],
                                                        amount: timedelta) -> None:
    """`Span.add`, which answers whenever a calendar lays out new dates, agrees with the walk (or says past me)."""
    cal, t = case
    start, seconds = t.replace(microsecond=0), amount // timedelta(seconds=1)
    span = grown(None, cal.tz, cal.segments, to_seconds(start))
    due, expected = span.add(to_seconds(start), seconds), ref_add(cal, start, timedelta(seconds=seconds))
    assert due == expected if due is not None else expected >= EPOCH + timedelta(seconds=span.hi)


@pytest.mark.parametrize("which", range(len(_awkward())))
def test_an_addition_past_the_laid_out_dates_searches_on(which: int) -> None:
    """From an instant whose dates are laid out, an answer beyond them is found by laying out more."""
    cal, start = _awkward()[which], datetime(2025, 11, 24, 10, tzinfo=UTC)
    cal.add(start, ZERO)
    two_years = ref_measure(cal, start, start + timedelta(days=800))
    assert cal.add(start, two_years) == ref_add(cal, start, two_years)


def test_the_table_of_offsets_grows_to_the_longest_segment_and_no_further() -> None:
    table: list[timedelta] = []
    offsets_upto(table, 3)
    assert table == [timedelta(seconds=k) for k in range(4)]
    offsets_upto(table, 2)
    offsets_upto(table, 5)
    assert table == [timedelta(seconds=k) for k in range(6)]
    offsets_upto(table, LONGEST_SEGMENT)
    assert len(table) == LONGEST_SEGMENT + 1 and table[-1] == timedelta(days=3)
    with pytest.raises(ValueError, match="longer than any local date"):
        offsets_upto(table, LONGEST_SEGMENT + 1)


def test_a_fresh_calendar_queried_backwards_in_time_agrees() -> None:
    """Growing the covered dates backwards (and far forwards) changes no answer."""
    fresh = WorkingCalendar("fresh", ZoneInfo("Europe/London"), (Window(WEEKDAYS, 540, 1020),),
                            HolidaySource("GB", "ENG"))
    for year in (2029, 2024, 2021, 2031, 2022):
        t = datetime(year, 3, 30, 0, 30, tzinfo=UTC)
        assert fresh.add(t, timedelta(hours=45)) == ref_add(fresh, t, timedelta(hours=45))
        assert fresh.measure(t, t + timedelta(days=900)) == ref_measure(fresh, t, t + timedelta(days=900))


DURATION_TARGETS = [(p, s) for pid in LIB.ids() for p in [LIB.get(pid)] for ts in p.target_sets.values()
                    for s in ts.values() if s.rule == "duration" and isinstance(p.calendars[s.calendar or ""],
                                                                               WorkingCalendar)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(DURATION_TARGETS), anywhere)
def test_due_times_of_working_hours_targets_match_the_walk(entry: tuple[Policy, TargetSpec], t: datetime) -> None:
    policy, spec = entry
    cal = policy.calendars[spec.calendar or ""]
    assert isinstance(cal, WorkingCalendar) and spec.duration is not None
    assert due_at(spec, policy, t) == ref_add(cal, t, spec.duration)


def test_a_judged_target_state_is_an_ordinary_target_state() -> None:
    """The clock's quick construction of a judged target sets every field the class declares."""
    at, hour = datetime(2025, 11, 24, 9, tzinfo=UTC), timedelta(hours=1)
    quick = _timed_state("restoration", "at_risk", at + hour, at, hour, hour * 0.8, ZERO, None)
    plain = TargetState("restoration", "at_risk", due_at=at + hour, started_at=at, allowance=hour,
                        consumed=hour * 0.8, paused_for=ZERO)
    assert quick == plain and repr(quick) == repr(plain) and hash(quick) == hash(plain)
    assert quick.remaining == 0.2 * hour and quick.percent == 80
