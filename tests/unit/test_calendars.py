"""sla/calendars.py: wall-clock days across DST, whole working days, holiday adjustments, aware instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sla.calendars import (
    ElapsedCalendar,
    HolidaySource,
    WallClockCalendar,
    Window,
    WorkingCalendar,
    check_holiday_source,
    require_aware,
    whole_days_of,
)
from sla.errors import CalendarError
from tests.unit.synthetic import OFFICE

LONDON = ZoneInfo("Europe/London")
SPRING_FORWARD = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)  # 00:30 GMT; at 01:00 GMT clocks go to 02:00 BST


def test_a_wall_clock_day_keeps_local_hours_across_the_change_to_summer_time() -> None:
    wall = WallClockCalendar(LONDON)
    three_local_hours_later = datetime(2025, 3, 30, 2, 30, tzinfo=UTC)  # 03:30 BST: two hours elapsed
    assert wall.add(SPRING_FORWARD, timedelta(hours=3)) == three_local_hours_later
    assert wall.measure(SPRING_FORWARD, three_local_hours_later) == timedelta(hours=3)
    assert wall.measure(three_local_hours_later, SPRING_FORWARD) == timedelta(0)
    assert wall.measure(SPRING_FORWARD, SPRING_FORWARD + timedelta(minutes=20)) == timedelta(minutes=20)


def test_whole_working_days_run_midnight_to_midnight_on_the_same_dates() -> None:
    closed = WorkingCalendar("office", ZoneInfo("UTC"), OFFICE.windows, closures=frozenset({date(2025, 11, 26)}))
    whole = whole_days_of(closed)
    assert (whole.name, whole.tz, whole.windows) == ("office-whole-days", ZoneInfo("UTC"),
                                                     (Window(frozenset(range(5)), 0, 1440),))
    monday = datetime(2025, 11, 24, tzinfo=UTC)
    assert whole.measure(monday, monday + timedelta(days=7)) == timedelta(days=4)  # Wednesday closed
    assert whole.closed_reason(date(2025, 11, 26)) == "announced closure"


def test_holidays_can_be_dropped_or_added_by_the_policy() -> None:
    source = HolidaySource("GB", "ENG", exclude_names=frozenset({"Boxing Day"}), annual_dates=((12, 24),),
                           annual_name="Christmas Eve closure")
    assert [source.on(date(2025, 12, d)) for d in (23, 24, 25, 26)] == [
        None, "Christmas Eve closure", "Christmas Day", None]
    assert HolidaySource("GB", "ENG").on(date(2025, 12, 26)) == "Boxing Day"
    office = WorkingCalendar("office", ZoneInfo("UTC"), OFFICE.windows, holidays=source)
    assert (office.closed_reason(date(2025, 12, 25)), office.closed_reason(date(2025, 12, 26))) == (
        "Christmas Day", None)


def test_an_unknown_holiday_source_is_refused_in_the_packages_words() -> None:
    check_holiday_source("GB", "ENG", ("public",))
    check_holiday_source("NL", None, ("public", "optional"))
    for country, subdiv in (("XX", None), ("GB", "XXX")):
        with pytest.raises(NotImplementedError):
            check_holiday_source(country, subdiv, ("public",))
    with pytest.raises(ValueError, match="Category is not supported: optional"):
        check_holiday_source("GB", "ENG", ("public", "optional"))


def test_a_policy_may_count_a_holiday_category_beyond_the_public_one() -> None:
    liberation_day_2026 = date(2026, 5, 5)  # in the Netherlands a public holiday only every fifth year
    assert HolidaySource("NL", categories=("public", "optional")).on(liberation_day_2026) == "Liberation Day"
    assert HolidaySource("NL").on(liberation_day_2026) is None


def test_instants_must_carry_an_offset_and_come_back_in_utc() -> None:
    with pytest.raises(CalendarError) as refused:
        require_aware(datetime(2025, 11, 24, 10, 0))
    assert str(refused.value) == "time 2025-11-24T10:00:00 has no UTC offset; give an aware datetime"
    local = datetime(2025, 7, 1, 11, 0, tzinfo=LONDON)
    assert require_aware(local) == datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
    assert require_aware(local).tzinfo is UTC


# -- the 24x7 calendars ------------------------------------------------------------------------------------------
SUMMER_NOON_LONDON = datetime(2025, 7, 1, 12, 0, tzinfo=LONDON)  # 11:00 UTC


@pytest.mark.parametrize("calendar", [ElapsedCalendar(), WallClockCalendar(LONDON)], ids=["elapsed", "wall-clock"])
def test_a_round_the_clock_calendar_is_open_at_every_instant_and_answers_in_utc(calendar: Any) -> None:
    for t in (SUMMER_NOON_LONDON, datetime(2025, 12, 25, 3, 0, tzinfo=UTC), datetime(2025, 3, 30, 1, 0, tzinfo=UTC)):
        assert calendar.is_open(t)
    opened = calendar.next_open(SUMMER_NOON_LONDON)
    assert (opened, opened.tzinfo) == (datetime(2025, 7, 1, 11, 0, tzinfo=UTC), UTC)
    due = calendar.add(SUMMER_NOON_LONDON, timedelta(hours=4))
    assert (due, due.tzinfo) == (datetime(2025, 7, 1, 15, 0, tzinfo=UTC), UTC)
    with pytest.raises(CalendarError, match="no UTC offset"):
        calendar.add(datetime(2025, 7, 1, 12, 0), timedelta(hours=4))


@pytest.mark.parametrize(("start", "hours", "due", "elapsed_hours"), [
    (datetime(2025, 7, 1, 10, 0, tzinfo=UTC), 3, datetime(2025, 7, 1, 13, 0, tzinfo=UTC), 3),  # summer, no change
    (datetime(2025, 10, 25, 12, 0, tzinfo=UTC), 24, datetime(2025, 10, 26, 13, 0, tzinfo=UTC), 25),  # autumn night
    (datetime(2025, 3, 29, 12, 0, tzinfo=UTC), 24, datetime(2025, 3, 30, 11, 0, tzinfo=UTC), 23),  # spring night
])
def test_a_wall_clock_day_is_a_local_day_whatever_the_offset(start: datetime, hours: int, due: datetime,
                                                              elapsed_hours: int) -> None:
    wall = WallClockCalendar(LONDON)
    assert wall.add(start, timedelta(hours=hours)) == due
    assert wall.add(start, timedelta(hours=hours)).tzinfo is UTC
    assert due - start == timedelta(hours=elapsed_hours)
    assert wall.measure(start, due) == timedelta(hours=hours)


# -- working calendars: the working day -------------------------------------------------------------------------
def weekly(*windows: Window, closures: frozenset[date] = frozenset(), tz: str = "UTC",
           holidays: HolidaySource | None = None) -> WorkingCalendar:
    return WorkingCalendar("desk", ZoneInfo(tz), windows, holidays=holidays, closures=closures)


MON_FRI, EVERY_DAY = frozenset(range(5)), frozenset(range(7))


@pytest.mark.parametrize(("windows", "length"), [
    ((Window(MON_FRI, 540, 1020),), timedelta(hours=8)),
    ((Window(MON_FRI, 540, 750), Window(MON_FRI, 810, 1020)), timedelta(hours=7)),  # lunch 12:30-13:30
    ((Window(MON_FRI, 540, 1020), Window(frozenset({5}), 480, 960)), timedelta(hours=8)),  # Saturdays too
])
def test_a_working_day_lasts_the_sum_of_its_windows(windows: tuple[Window, ...], length: timedelta) -> None:
    assert weekly(*windows).day_length() == length


def test_working_days_of_different_lengths_have_no_single_day_length() -> None:
    with pytest.raises(CalendarError) as refused:
        weekly(Window(MON_FRI, 540, 1020), Window(frozenset({5}), 540, 780)).day_length()
    assert str(refused.value) == "calendar 'desk' has working days of different lengths"


def test_the_first_opening_and_last_closing_of_a_day_with_three_windows() -> None:
    shifts = weekly(Window(MON_FRI, 960, 1080), Window(MON_FRI, 480, 600), Window(MON_FRI, 720, 840))
    monday = date(2025, 11, 24)
    assert (shifts.open_of(monday), shifts.close_of(monday)) == (datetime(2025, 11, 24, 8, 0, tzinfo=UTC),
                                                                 datetime(2025, 11, 24, 18, 0, tzinfo=UTC))
    assert shifts.open_of(monday).tzinfo is UTC and shifts.close_of(monday).tzinfo is UTC
    assert shifts.segments(monday)[1] == (datetime(2025, 11, 24, 12, 0, tzinfo=UTC),
                                          datetime(2025, 11, 24, 14, 0, tzinfo=UTC))


@pytest.mark.parametrize(("t", "local"), [
    (datetime(2025, 7, 1, 23, 30, tzinfo=UTC), date(2025, 7, 2)),  # 00:30 BST the next day
    (datetime(2025, 12, 1, 23, 30, tzinfo=UTC), date(2025, 12, 1)),
    (datetime(2025, 7, 2, 0, 30, tzinfo=LONDON), date(2025, 7, 2)),
])
def test_the_local_date_of_an_instant_is_the_calendars_own(t: datetime, local: date) -> None:
    assert weekly(Window(MON_FRI, 540, 1020), tz="Europe/London").local_date(t) == local


def test_whole_days_keep_the_public_holidays() -> None:
    whole = whole_days_of(weekly(Window(MON_FRI, 540, 1020), holidays=HolidaySource("GB", "ENG")))
    christmas_eve = datetime(2025, 12, 24, 0, 0, tzinfo=UTC)
    assert whole.measure(christmas_eve, christmas_eve + timedelta(days=7)) == timedelta(days=3)  # 24, 29, 30 Dec
    assert (whole.closed_reason(date(2025, 12, 25)), whole.is_working_day(date(2025, 12, 24))) == (
        "Christmas Day", True)


# -- working calendars: far ahead --------------------------------------------------------------------------------
MONDAY_9 = datetime(2025, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("start", "hours", "due"), [
    (MONDAY_9, 2400, datetime(2027, 1, 15, 17, 0, tzinfo=UTC)),  # 300 working days: 60 weeks, a second year
    (MONDAY_9, 2400.5, datetime(2027, 1, 18, 9, 30, tzinfo=UTC)),  # ... and half an hour of the next
    (MONDAY_9 + timedelta(microseconds=500_000), 2400, datetime(2027, 1, 18, 9, 0, 0, 500_000, tzinfo=UTC)),
])
def test_working_time_more_than_a_year_ahead(start: datetime, hours: float, due: datetime) -> None:
    office = weekly(Window(MON_FRI, 540, 1020))
    assert office.add(start, timedelta(hours=hours)) == due
    assert weekly(Window(MON_FRI, 540, 1020)).measure(start, due) == timedelta(hours=hours)


@pytest.mark.parametrize(("n", "closes"), [
    (1, datetime(2025, 11, 25, 17, 0, tzinfo=UTC)),
    (300, datetime(2027, 1, 18, 17, 0, tzinfo=UTC)),  # beyond the first year of dates the calendar lays out
])
def test_the_close_of_the_nth_working_day_after_the_report(n: int, closes: datetime) -> None:
    office = weekly(Window(MON_FRI, 540, 1020))
    assert office.close_after_working_days(datetime(2025, 11, 24, 10, 0, tzinfo=UTC), n) == closes


@pytest.mark.parametrize(("report", "closes"), [
    (datetime(2025, 7, 1, 22, 30, tzinfo=UTC), datetime(2025, 7, 2, 16, 0, tzinfo=UTC)),  # 23:30 on Tuesday 1 July
    (datetime(2025, 7, 1, 23, 30, tzinfo=UTC), datetime(2025, 7, 3, 16, 0, tzinfo=UTC)),  # 00:30 on Wednesday
])
def test_the_report_day_is_the_calendars_local_date(report: datetime, closes: datetime) -> None:
    london = weekly(Window(MON_FRI, 540, 1020), tz="Europe/London")
    assert london.close_after_working_days(report, 1) == closes


def test_a_report_inside_a_long_closure_counts_from_the_first_day_back() -> None:
    shut = frozenset(date(2025, 12, 22) + timedelta(days=i) for i in range(12))  # 22 Dec to 2 Jan
    office = weekly(Window(MON_FRI, 540, 1020), closures=shut)
    report = datetime(2025, 12, 30, 10, 0, tzinfo=UTC)
    assert office.close_after_working_days(report, 1) == datetime(2026, 1, 5, 17, 0, tzinfo=UTC)
    assert weekly(Window(MON_FRI, 540, 1020), closures=shut).close_after_working_days(report, 2) == datetime(
        2026, 1, 6, 17, 0, tzinfo=UTC)
    assert not office.is_open(report) and office.next_open(report) == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_a_calendar_closed_for_over_a_year_is_closed_throughout() -> None:
    shut = weekly(Window(EVERY_DAY, 540, 1020),
                  closures=frozenset(date(2025, 1, 1) + timedelta(days=i) for i in range(400)))
    for t in (datetime(2025, 1, 1, 10, 0, tzinfo=UTC), datetime(2025, 6, 1, 12, 0, tzinfo=UTC)):
        assert not shut.is_open(t)
    assert shut.next_open(datetime(2025, 6, 1, 12, 0, tzinfo=UTC)) == datetime(2026, 2, 5, 9, 0, tzinfo=UTC)


NEW_YEAR = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)


def closed_from_new_year(days: int) -> WorkingCalendar:
    return weekly(Window(EVERY_DAY, 540, 1020), closures=frozenset(date(2025, 1, 1) + timedelta(days=i)
                                                                   for i in range(days)))


@pytest.mark.parametrize(("closed_days", "found"), [
    (3659, datetime(2035, 1, 8, 10, 0, tzinfo=UTC)),  # the first working date is the last one looked at
    (3660, None),  # ten years (3660 dates) from the start's date: given up
])
def test_working_time_is_looked_for_ten_years_ahead_and_no_further(closed_days: int, found: datetime | None) -> None:
    calendar = closed_from_new_year(closed_days)
    if found:
        assert calendar.add(NEW_YEAR, timedelta(hours=1)) == found
        return
    with pytest.raises(CalendarError) as refused:
        calendar.add(NEW_YEAR, timedelta(hours=1))
    assert str(refused.value) == ("calendar 'desk' has no working time within ten years of "
                                  "2025-01-01 10:00:00+00:00")


@pytest.mark.parametrize(("closed_days", "found"), [
    (3659, datetime(2035, 1, 8, 17, 0, tzinfo=UTC)),  # the 3660th date after the report date: the last looked at
    (3660, None),
])
def test_working_days_are_looked_for_ten_years_after_the_report_date(closed_days: int,
                                                                     found: datetime | None) -> None:
    calendar = closed_from_new_year(closed_days)
    report = NEW_YEAR - timedelta(days=1)  # 31 December 2024, open
    if found:
        assert calendar.close_after_working_days(report, 1) == found
        return
    with pytest.raises(CalendarError) as refused:
        calendar.close_after_working_days(report, 1)
    assert str(refused.value) == "calendar 'desk' has no working day within ten years of 2025-01-01"


class NoOffset(tzinfo):
    """A zone that cannot say its offset: the instant is as unknown as a naive one."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_an_instant_whose_zone_gives_no_offset_is_refused() -> None:
    with pytest.raises(CalendarError, match="has no UTC offset"):
        require_aware(datetime(2025, 11, 24, 10, 0, tzinfo=NoOffset()))


def test_a_start_with_microseconds_is_named_exactly_when_nothing_is_found() -> None:
    with pytest.raises(CalendarError) as refused:
        closed_from_new_year(3660).add(NEW_YEAR + timedelta(microseconds=500_000), timedelta(hours=1))
    assert str(refused.value) == ("calendar 'desk' has no working time within ten years of "
                                  "2025-01-01 10:00:00.500000+00:00")


@pytest.mark.parametrize(("start", "measured"), [
    (MONDAY_9, timedelta(hours=40)),
    (MONDAY_9 + timedelta(microseconds=250_000), timedelta(hours=40) - timedelta(microseconds=250_000)),
])
def test_working_time_measured_into_a_closure_of_over_a_year(start: datetime, measured: timedelta) -> None:
    shut = weekly(Window(MON_FRI, 540, 1020),
                  closures=frozenset(date(2025, 12, 1) + timedelta(days=i) for i in range(400)))
    for stop in (datetime(2025, 12, 15, 12, 0, tzinfo=UTC), datetime(2025, 12, 15, 12, 0, 0, 500_000, tzinfo=UTC)):
        assert shut.measure(start, stop) == measured  # the week of 24 November, then nothing


@pytest.mark.parametrize("later", [
    datetime(2026, 11, 25, 10, 0, tzinfo=UTC),  # a Wednesday a year and a day later: just past the dates laid out
    datetime(2025, 11, 14, 10, 0, tzinfo=UTC),  # a Friday ten days earlier: before them
    datetime(2027, 6, 1, 10, 0, tzinfo=UTC),
])
def test_a_calendar_asked_about_far_apart_instants_answers_each_as_if_asked_alone(later: datetime) -> None:
    office = weekly(Window(MON_FRI, 540, 1020))
    assert office.is_open(datetime(2025, 11, 24, 10, 0, tzinfo=UTC))
    assert office.is_open(later)
    assert office.add(later, timedelta(hours=1)) == later + timedelta(hours=1)
    assert office.measure(later, later + timedelta(hours=2)) == timedelta(hours=2)


def test_the_report_day_stays_local_after_the_calendar_has_looked_a_year_ahead() -> None:
    london = weekly(Window(MON_FRI, 540, 1020), tz="Europe/London")
    assert london.is_open(datetime(2025, 11, 24, 10, 0, tzinfo=UTC))
    report = datetime(2027, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 BST on Friday 2 July 2027
    assert london.close_after_working_days(report, 1) == datetime(2027, 7, 5, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(("windows", "day_measured"), [
    ((Window(MON_FRI, 480, 800), Window(MON_FRI, 600, 1000)), timedelta(hours=8, minutes=40)),  # overlapping
    ((Window(MON_FRI, 480, 720), Window(MON_FRI, 540, 600), Window(MON_FRI, 660, 840)), timedelta(hours=6)),
    ((Window(MON_FRI, 480, 720), Window(MON_FRI, 720, 1020)), timedelta(hours=9)),  # touching
])
def test_overlapping_windows_count_once(windows: tuple[Window, ...], day_measured: timedelta) -> None:
    desk = weekly(*windows)
    monday = datetime(2025, 11, 24, tzinfo=UTC)
    assert desk.measure(monday, monday + timedelta(days=1)) == day_measured
    assert desk.add(monday, day_measured) == monday + timedelta(hours=8) + day_measured


def test_a_calendar_closed_all_round_the_year_it_is_asked_about_is_closed_and_counts_nothing() -> None:
    shut = weekly(Window(EVERY_DAY, 540, 1020),
                  closures=frozenset(date(2024, 12, 20) + timedelta(days=i) for i in range(450)))
    new_year = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
    assert not shut.is_open(new_year)
    assert shut.measure(new_year, datetime(2025, 6, 1, tzinfo=UTC)) == timedelta(0)
    assert shut.next_open(new_year) == datetime(2026, 3, 15, 9, 0, tzinfo=UTC)  # the first date after 450 closed
