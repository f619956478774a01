"""sla/calendar_loader.py: a policy file's `[calendars]` read into calendars; every mistake refused by file and key."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sla import PolicyError
from sla.calendar_loader import calendar_from
from sla.calendars import ElapsedCalendar, HolidaySource, WallClockCalendar, Window, WorkingCalendar
from sla.reader import Reader

LONDON = ZoneInfo("Europe/London")
WEEK = {"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00", "close": "17:30"}
OFFICE = {"kind": "working", "timezone": "Europe/London", "windows": [WEEK]}
BUILT_OFFICE = WorkingCalendar("office", LONDON, (Window(frozenset(range(5)), 540, 1050),))


def load(table: dict[str, Any], name: str = "cal") -> Any:
    return calendar_from(name, Reader("acme.toml", f"calendars.{name}", table),
                         {"office": BUILT_OFFICE, "elapsed": ElapsedCalendar()})


def test_each_kind_of_calendar_is_built() -> None:
    assert load({"kind": "elapsed"}) == ElapsedCalendar(name="cal")
    assert load({"kind": "wall_clock", "timezone": "Europe/Berlin"}) == WallClockCalendar(ZoneInfo("Europe/Berlin"),
                                                                                          name="cal")
    whole = load({"kind": "whole_days", "of": "office"})
    assert (whole.name, whole.windows) == ("office-whole-days", (Window(frozenset(range(5)), 0, 1440),))
    working = load(OFFICE, "office")
    assert (working.name, working.tz, working.windows, working.holidays, working.closures) == (
        "office", LONDON, (Window(frozenset(range(5)), 540, 1050),), None, frozenset())


def test_a_working_calendar_reads_every_window_its_holidays_and_closures() -> None:
    working = load({**OFFICE, "windows": [WEEK, {"days": ["sat", "sun"], "open": "00:00", "close": "24:00"}],
                    "holidays": {"country": "DE", "subdiv": "BY", "categories": ["public", "catholic"],
                                 "exclude": ["Easter Monday"], "annual": ["12-24", "12-31"]},
                    "closures": ["2025-12-29", "2025-12-30"]})
    assert working.windows == (Window(frozenset(range(5)), 540, 1050), Window(frozenset({5, 6}), 0, 1440))
    assert working.holidays == HolidaySource("DE", "BY", ("public", "catholic"), frozenset({"Easter Monday"}),
                                             ((12, 24), (12, 31)))
    assert working.closures == frozenset({date(2025, 12, 29), date(2025, 12, 30)})


def test_holidays_default_to_the_public_ones_with_nothing_excluded_or_added() -> None:
    assert load({**OFFICE, "holidays": {"country": "DE"}}).holidays == HolidaySource("DE", None, ("public",),
                                                                                     frozenset(), ())


@pytest.mark.parametrize(("opens", "closes", "minutes"), [
    ("00:00", "00:01", (0, 1)), ("08:05", "17:59", (485, 1079)), ("23:00", "24:00", (1380, 1440)),
    ("10:10", "10:11", (610, 611)),
])
def test_opening_times_are_minutes_of_the_day(opens: str, closes: str, minutes: tuple[int, int]) -> None:
    (window,) = load({**OFFICE, "windows": [{**WEEK, "open": opens, "close": closes}]}).windows
    assert (window.open_minute, window.close_minute) == minutes


TIME = "must be a time HH:MM between 00:00 and 24:00; got"


@pytest.mark.parametrize(("table", "message"), [
    ({"kind": "monthly"}, "calendars.cal.kind: must be one of elapsed, wall_clock, working, whole_days; got 'monthly'"),
    ({}, "calendars.cal.kind: is required"),
    ({"kind": "elapsed", "timezone": "UTC"}, "calendars.cal.timezone: unknown key; expected one of kind"),
    ({"kind": "wall_clock", "timezone": "UTC", "of": "x"},
     "calendars.cal.of: unknown key; expected one of kind, timezone"),
    ({"kind": "wall_clock", "timezone": "Mars/Olympus"},
     "calendars.cal.timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/London"),
    ({"kind": "wall_clock", "timezone": "../etc"},
     "calendars.cal.timezone: unknown time zone '../etc'; use an IANA name such as Europe/London"),
    ({"kind": "whole_days", "of": "office", "timezone": "UTC"},
     "calendars.cal.timezone: unknown key; expected one of kind, of"),
    ({"kind": "whole_days", "of": "elapsed"}, "calendars.cal.of: must name a working calendar defined before this one"),
    ({"kind": "whole_days", "of": "later"}, "calendars.cal.of: must name a working calendar defined before this one"),
    ({**OFFICE, "of": "x"},
     "calendars.cal.of: unknown key; expected one of closures, holidays, kind, timezone, windows"),
    ({**OFFICE, "windows": []}, "calendars.cal.windows: calendar 'cal' has no working day in the week"),
    ({**OFFICE, "windows": [{**WEEK, "hours": 8}]},
     "calendars.cal.windows[0].hours: unknown key; expected one of close, days, open"),
    ({**OFFICE, "windows": [WEEK, {**WEEK, "days": ["mon", "Tue"]}]},
     "calendars.cal.windows[1].days: must list weekdays from mon, tue, wed, thu, fri, sat, sun; got ['mon', 'Tue']"),
    ({**OFFICE, "windows": [{**WEEK, "days": []}]},
     "calendars.cal.windows[0].days: must list weekdays from mon, tue, wed, thu, fri, sat, sun; got []"),
    ({**OFFICE, "windows": [{**WEEK, "open": "9:00"}]}, f"calendars.cal.windows[0].open: {TIME} '9:00'"),
    ({**OFFICE, "windows": [{**WEEK, "open": "09:00 "}]}, f"calendars.cal.windows[0].open: {TIME} '09:00 '"),
    ({**OFFICE, "windows": [{**WEEK, "open": "25:00"}]}, f"calendars.cal.windows[0].open: {TIME} '25:00'"),
    ({**OFFICE, "windows": [{**WEEK, "open": "09:60"}]}, f"calendars.cal.windows[0].open: {TIME} '09:60'"),
    ({**OFFICE, "windows": [{**WEEK, "close": "24:01"}]}, f"calendars.cal.windows[0].close: {TIME} '24:01'"),
    ({**OFFICE, "windows": [{**WEEK, "close": "24:30"}]}, f"calendars.cal.windows[0].close: {TIME} '24:30'"),
    ({**OFFICE, "windows": [{**WEEK, "close": "09:00"}]},
     "calendars.cal.windows[0].close: must be after open (windows end by midnight, 24:00)"),
    ({**OFFICE, "windows": [{**WEEK, "close": "08:59"}]},
     "calendars.cal.windows[0].close: must be after open (windows end by midnight, 24:00)"),
    ({**OFFICE, "holidays": {"country": "GB", "region": "ENG"}},
     "calendars.cal.holidays.region: unknown key; expected one of annual, categories, country, exclude, subdiv"),
    ({**OFFICE, "holidays": {"country": "XX"}},
     "calendars.cal.holidays.country: the holidays package cannot provide it: Country XX not available"),
    ({**OFFICE, "holidays": {"country": "GB", "subdiv": "XXX"}},
     "calendars.cal.holidays.country: the holidays package cannot provide it: Entity `GB` does not have "
     "subdivision XXX"),
    ({**OFFICE, "holidays": {"country": "GB", "categories": ["nope"]}},
     "calendars.cal.holidays.country: the holidays package cannot provide it: Category is not supported: nope."),
    ({**OFFICE, "holidays": {"country": "GB", "annual": ["12-24", "24/12"]}},
     "calendars.cal.holidays.annual: dates must be MM-DD; got '24/12'"),
    ({**OFFICE, "holidays": {"country": "GB", "annual": ["12-24x"]}},
     "calendars.cal.holidays.annual: dates must be MM-DD; got '12-24x'"),
    ({**OFFICE, "holidays": {"country": "GB", "exclude": "Easter Monday"}},
     "calendars.cal.holidays.exclude: must be a list, not 'Easter Monday'"),
    ({**OFFICE, "closures": ["2025-12-29", "29/12/2025"]},
     "calendars.cal.closures: dates must be YYYY-MM-DD; got '29/12/2025'"),
    ({**OFFICE, "closures": ["2025-02-30"]}, "calendars.cal.closures: dates must be YYYY-MM-DD; got '2025-02-30'"),
])
def test_a_mistake_in_a_calendar_is_refused_naming_the_file_and_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load(table)
    assert str(caught.value) == f"acme.toml: {message}"
    assert caught.value.__suppress_context__ or caught.value.__context__ is None
