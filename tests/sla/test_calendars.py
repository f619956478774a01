"""Working calendars: holidays, weekends, DST nights, boundaries and closures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla import PolicyLibrary
from sla.calendars import ElapsedCalendar, HolidaySource, Window, WorkingCalendar, whole_days_of
from sla.deadlines import ELAPSED, allowance, calendar_of
from sla.errors import CalendarError
from sla.timeline import Span

LONDON = ZoneInfo("Europe/London")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = frozenset(range(5))


def london_9_to_5(**kw: object) -> WorkingCalendar:
    return WorkingCalendar("wh", LONDON, (Window(WEEKDAYS, 9 * 60, 17 * 60),),
                           HolidaySource("GB", "ENG"), **kw)  # type: ignore[arg-type]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(("day", "expected"), [
    (date(2022, 6, 2), True), (date(2022, 6, 3), True), (date(2022, 9, 19), True),
    (date(2022, 12, 27), True), (date(2023, 5, 8), True), (date(2026, 12, 28), True),
    (date(2027, 12, 27), True), (date(2027, 12, 28), True), (date(2028, 1, 3), True),
    (date(2026, 12, 29), False), (date(2023, 5, 9), False),
])
def test_england_and_wales_bank_holidays(day: date, expected: bool) -> None:
    assert (not london_9_to_5().is_working_day(day)) is expected


@pytest.mark.parametrize(("day", "is_holiday"), [
    (date(2025, 4, 18), True), (date(2025, 5, 5), True), (date(2026, 4, 27), True),
    (date(2025, 4, 26), True),  # King's Day moved to Saturday when 27 April is a Sunday
    (date(2025, 4, 28), False),  # ... and no weekday substitute
    (date(2026, 5, 5), False), (date(2026, 12, 24), False), (date(2027, 5, 17), True),
])
def test_dutch_public_holidays(day: date, is_holiday: bool) -> None:
    assert (HolidaySource("NL").on(day) is not None) is is_holiday


def test_holiday_name_explains_a_closed_day() -> None:
    assert london_9_to_5().closed_reason(date(2026, 12, 28)) == "Boxing Day (observed)"


def test_announced_closure_stops_the_clock() -> None:
    closed = london_9_to_5(closures=frozenset({date(2025, 12, 24)}))
    assert closed.add(utc("2025-12-23T16:00:00+00:00"), timedelta(hours=2)) == utc("2025-12-29T10:00:00+00:00")


@pytest.mark.parametrize(("start", "hours", "expected"), [
    ("2025-11-24T09:00:00+00:00", 8, "2025-11-24T17:00:00+00:00"),  # opening → closing instant
    ("2025-11-24T17:00:00+00:00", 1, "2025-11-25T10:00:00+00:00"),  # at closing: starts next opening
    ("2025-11-22T12:00:00+00:00", 1, "2025-11-24T10:00:00+00:00"),  # weekend
    ("2025-11-24T06:00:00+00:00", 0, "2025-11-24T09:00:00+00:00"),  # zero: the next opening
    ("2025-03-28T16:00:00+00:00", 2, "2025-03-31T09:00:00+00:00"),  # spring DST: 10:00 BST
    ("2025-10-24T16:00:00+01:00", 2, "2025-10-27T10:00:00+00:00"),  # autumn DST: 10:00 GMT
])
def test_add_working_time(start: str, hours: int, expected: str) -> None:
    assert london_9_to_5().add(utc(start), timedelta(hours=hours)) == utc(expected)


def test_measure_counts_only_open_time() -> None:
    cal = london_9_to_5()
    assert cal.measure(utc("2025-12-24T16:00:00+00:00"), utc("2025-12-29T10:00:00+00:00")) == timedelta(hours=2)
    assert cal.measure(utc("2025-12-29T10:00:00+00:00"), utc("2025-12-24T16:00:00+00:00")) == timedelta(0)


def test_is_open_and_next_open() -> None:
    cal = london_9_to_5()
    assert cal.is_open(utc("2025-11-24T09:00:00+00:00"))
    assert not cal.is_open(utc("2025-11-24T17:00:00+00:00"))
    assert cal.next_open(utc("2025-12-24T17:00:00+00:00")) == utc("2025-12-29T09:00:00+00:00")


def test_whole_days_count_midnight_to_midnight_on_working_days() -> None:
    whole = whole_days_of(london_9_to_5())
    assert whole.add(utc("2025-11-21T20:00:00+00:00"), timedelta(hours=24)) == utc("2025-11-24T20:00:00+00:00")


def test_elapsed_calendar_ignores_everything() -> None:
    assert ElapsedCalendar().add(utc("2025-12-25T10:00:00+00:00"), timedelta(hours=4)) == utc(
        "2025-12-25T14:00:00+00:00")


def test_a_calendar_without_working_days_is_refused() -> None:
    with pytest.raises(CalendarError, match="no working day"):
        WorkingCalendar("never", LONDON, (Window(frozenset(), 540, 1020),))


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(CalendarError, match="no UTC offset"):
        london_9_to_5().add(datetime(2025, 11, 24, 9), timedelta(hours=1))


def test_all_closed_for_ten_years_gives_up_clearly() -> None:
    year = {date(2025, 1, 1) + timedelta(days=i) for i in range(3700)}
    shut = london_9_to_5(closures=frozenset(year))
    with pytest.raises(CalendarError, match="no working time within ten years"):
        shut.add(utc("2025-01-01T10:00:00+00:00"), timedelta(hours=1))


def test_amsterdam_windows_follow_local_time() -> None:
    cal = WorkingCalendar("s", AMSTERDAM, (Window(WEEKDAYS, 510, 1020),), HolidaySource("NL"))
    assert cal.open_of(date(2025, 3, 31)) == utc("2025-03-31T06:30:00+00:00")  # CEST
    assert cal.open_of(date(2025, 3, 28)) == utc("2025-03-28T07:30:00+00:00")  # CET


def test_a_ten_year_closure_is_refused_even_when_later_dates_are_laid_out() -> None:
    """Dates laid out for a query years later must not let an addition reach past the ten-year limit."""
    closed_from = date(2025, 1, 1)
    shut = london_9_to_5(closures=frozenset(closed_from + timedelta(days=i) for i in range(3700)))
    assert shut.add(utc("2036-06-02T10:00:00+00:00"), timedelta(hours=1)) == utc("2036-06-02T11:00:00+00:00")
    assert shut.add(utc("2025-03-03T10:00:00+00:00"), timedelta(hours=1)) == utc("2035-02-19T10:00:00+00:00")
    with pytest.raises(CalendarError, match="no working time within ten years"):  # now from dates laid out
        shut.add(utc("2025-01-01T10:00:00+00:00"), timedelta(hours=1))


def test_a_whole_day_of_twenty_five_hours_is_counted_to_its_end() -> None:
    """The longest working segment there is (a whole day on the night clocks go back) ends at its midnight."""
    always = WorkingCalendar("all-day", LONDON, (Window(frozenset(range(7)), 0, 1440),))
    assert always.add(utc("2025-10-25T23:00:00+00:00"), timedelta(hours=25)) == utc("2025-10-27T00:00:00+00:00")
    assert always.add(utc("2025-10-25T23:00:00+00:00"), timedelta(hours=24)) == utc("2025-10-26T23:00:00+00:00")


class SearchCountingCalendar(WorkingCalendar):
    """A working calendar that counts the additions that had to lay out dates or search beyond them."""

    searches = 0

    def _grow_until(self, t: float, start: datetime, attempt: Callable[[Span], datetime | None]) -> datetime:
        self.searches += 1
        return super()._grow_until(t, start, attempt)


def test_additions_within_laid_out_dates_answer_without_a_search() -> None:
    cal = SearchCountingCalendar("wh", LONDON, (Window(WEEKDAYS, 9 * 60, 17 * 60),), HolidaySource("GB", "ENG"))
    start = utc("2025-11-24T10:00:00+00:00")
    assert cal.add(start, timedelta(hours=1)) == utc("2025-11-24T11:00:00+00:00")  # lays out the dates
    assert cal.add(start, timedelta(hours=30)) == utc("2025-11-27T16:00:00+00:00")
    assert cal.add(start + timedelta(microseconds=5), timedelta(hours=2)) == utc("2025-11-24T12:00:00.000005+00:00")
    assert cal.searches == 1


def test_a_calendar_days_target_that_names_a_calendar_still_runs_on_elapsed_time() -> None:
    """Vodafone's P4 resolution (7 calendar days placed by the working calendar) allows 7 whole days."""
    policy = PolicyLibrary.load().get("vodafone-vone-m")
    spec = policy.target_sets["P4"]["resolution"]
    assert spec.rule == "calendar_days" and spec.calendar == "working"
    assert calendar_of(spec, policy) is ELAPSED
    assert allowance(spec, policy, utc("2025-11-24T10:00:00+00:00")) == timedelta(days=7)
