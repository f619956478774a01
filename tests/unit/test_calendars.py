"""sla/calendars.py: wall-clock days across DST, whole working days, holiday adjustments, aware instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendars import (
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
    for country, subdiv in (("XX", None), ("GB", "XXX")):
        with pytest.raises(NotImplementedError):
            check_holiday_source(country, subdiv, ("public",))


def test_instants_must_carry_an_offset_and_come_back_in_utc() -> None:
    with pytest.raises(CalendarError) as refused:
        require_aware(datetime(2025, 11, 24, 10, 0))
    assert str(refused.value) == "time 2025-11-24T10:00:00 has no UTC offset; give an aware datetime"
    local = datetime(2025, 7, 1, 11, 0, tzinfo=LONDON)
    assert require_aware(local) == datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
    assert require_aware(local).tzinfo is UTC
