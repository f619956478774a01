"""The holiday data the contracts' clocks are closed on, pinned for the years the contracts run in (2025–2027).

Due times depend on the `holidays` package's data, not only on our code. These tables are what the pinned release
returns (and what SLA_POLICIES.md §7 lists), so a release that adds, drops, moves or renames a holiday fails here,
in review of the lock-file change, instead of silently moving a deadline in production.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sla import PolicyLibrary
from sla.calendars import HolidaySource, WorkingCalendar

ENGLAND_AND_WALES: dict[int, dict[str, str]] = {
    2025: {
        "2025-01-01": "New Year's Day", "2025-04-18": "Good Friday", "2025-04-21": "Easter Monday",
        "2025-05-05": "May Day", "2025-05-26": "Spring Bank Holiday", "2025-08-25": "Late Summer Bank Holiday",
        "2025-12-25": "Christmas Day", "2025-12-26": "Boxing Day",
    },
    2026: {
        "2026-01-01": "New Year's Day", "2026-04-03": "Good Friday", "2026-04-06": "Easter Monday",
        "2026-05-04": "May Day", "2026-05-25": "Spring Bank Holiday", "2026-08-31": "Late Summer Bank Holiday",
        "2026-12-25": "Christmas Day", "2026-12-26": "Boxing Day", "2026-12-28": "Boxing Day (observed)",
    },
    2027: {
        "2027-01-01": "New Year's Day", "2027-03-26": "Good Friday", "2027-03-29": "Easter Monday",
        "2027-05-03": "May Day", "2027-05-31": "Spring Bank Holiday", "2027-08-30": "Late Summer Bank Holiday",
        "2027-12-25": "Christmas Day", "2027-12-26": "Boxing Day", "2027-12-27": "Christmas Day (observed)",
        "2027-12-28": "Boxing Day (observed)",
    },
}

NETHERLANDS: dict[int, dict[str, str]] = {
    2025: {
        "2025-01-01": "New Year's Day", "2025-04-18": "Good Friday", "2025-04-20": "Easter Sunday",
        "2025-04-21": "Easter Monday", "2025-04-26": "King's Day", "2025-05-05": "Liberation Day",
        "2025-05-29": "Ascension Day", "2025-06-08": "Pentecost", "2025-06-09": "Pentecost Monday",
        "2025-12-25": "Christmas Day", "2025-12-26": "Second Day of Christmas",
    },
    2026: {
        "2026-01-01": "New Year's Day", "2026-04-03": "Good Friday", "2026-04-05": "Easter Sunday",
        "2026-04-06": "Easter Monday", "2026-04-27": "King's Day", "2026-05-14": "Ascension Day",
        "2026-05-24": "Pentecost", "2026-05-25": "Pentecost Monday", "2026-12-25": "Christmas Day",
        "2026-12-26": "Second Day of Christmas",
    },
    2027: {
        "2027-01-01": "New Year's Day", "2027-03-26": "Good Friday", "2027-03-28": "Easter Sunday",
        "2027-03-29": "Easter Monday", "2027-04-27": "King's Day", "2027-05-06": "Ascension Day",
        "2027-05-16": "Pentecost", "2027-05-17": "Pentecost Monday", "2027-12-25": "Christmas Day",
        "2027-12-26": "Second Day of Christmas",
    },
}

# SLA_POLICIES.md §7: the weekday closures a working-hours clock actually stops on.
WEEKDAY_CLOSURES: dict[tuple[str, int], list[str]] = {
    ("GB", 2025): ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    ("GB", 2026): ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    ("GB", 2027): ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
    ("NL", 2025): ["01-01", "04-18", "04-21", "05-05", "05-29", "06-09", "12-25", "12-26"],
    ("NL", 2026): ["01-01", "04-03", "04-06", "04-27", "05-14", "05-25", "12-25"],
    ("NL", 2027): ["01-01", "03-26", "03-29", "04-27", "05-06", "05-17"],
}

SOURCES = {"GB": (HolidaySource("GB", "ENG"), ENGLAND_AND_WALES), "NL": (HolidaySource("NL"), NETHERLANDS)}
YEARS = (2025, 2026, 2027)


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def holidays_in(source: HolidaySource, year: int) -> dict[str, str]:
    return {day.isoformat(): name for day in days_of(year) if (name := source.on(day)) is not None}


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("country", sorted(SOURCES))
def test_every_holiday_of_the_year_with_its_name_is_as_pinned(country: str, year: int) -> None:
    source, pinned = SOURCES[country]
    assert holidays_in(source, year) == pinned[year]


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("country", sorted(SOURCES))
def test_the_weekdays_a_working_clock_stops_on_match_the_policy_document(country: str, year: int) -> None:
    source, _ = SOURCES[country]
    closed = [day.strftime("%m-%d") for day in days_of(year) if day.weekday() < 5 and source.on(day) is not None]
    assert closed == WEEKDAY_CLOSURES[(country, year)]


def working_calendars() -> list[object]:
    library = PolicyLibrary.load()
    return [pytest.param(f"{policy_id}:{name}", calendar, id=f"{policy_id}:{name}")
            for policy_id in library.ids()
            for name, calendar in library.get(policy_id).calendars.items()
            if isinstance(calendar, WorkingCalendar) and calendar.holidays is not None]


@pytest.mark.parametrize(("label", "calendar"), working_calendars())
def test_each_shipped_policy_calendar_closes_on_exactly_the_pinned_weekdays(label: str,
                                                                             calendar: WorkingCalendar) -> None:
    assert calendar.holidays is not None
    country = calendar.holidays.country
    for year in YEARS:
        closed = [day.strftime("%m-%d") for day in days_of(year)
                  if day.weekday() < 5 and calendar.closed_reason(day) is not None]
        assert closed == WEEKDAY_CLOSURES[(country, year)], f"{label} in {year}"
