"""sla/explain.py: calendars and targets described in plain words, as `python -m sla explain` prints them."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendars import ElapsedCalendar, HolidaySource, WallClockCalendar, Window, WorkingCalendar
from sla.explain import describe_calendar, describe_duration, describe_target, explain_rows
from sla.model import TargetSpec
from tests.unit.synthetic import policy, target, targets

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(("amount", "words"), [
    (timedelta(minutes=30), "30 min"), (timedelta(hours=4), "4 h"), (timedelta(hours=8, minutes=30), "8 h 30 min"),
    (timedelta(hours=26), "26 h"), (timedelta(seconds=59), "0 min"), (timedelta(0), "0 min"),
    (timedelta(minutes=61, seconds=30), "1 h 1 min"),
])
def test_a_duration_in_hours_and_minutes(amount: timedelta, words: str) -> None:
    assert describe_duration(amount) == words


def working(*windows: Window, holidays: HolidaySource | None = None,
            closures: frozenset[date] = frozenset()) -> WorkingCalendar:
    return WorkingCalendar("desk", LONDON, windows, holidays=holidays, closures=closures)


@pytest.mark.parametrize(("calendar", "words"), [
    (ElapsedCalendar(), "24x7, elapsed time (bank holidays included)"),
    (WallClockCalendar(LONDON), "24x7, counted on the Europe/London wall clock"),
    (working(Window(frozenset(range(5)), 540, 1050)), "Mon–Fri 09:00–17:30 Europe/London"),
    (working(Window(frozenset({0, 1}), 480, 1200)), "Mon, Tue 08:00–20:00 Europe/London"),  # two days: a list
    (working(Window(frozenset({1, 2, 3}), 480, 1200)), "Tue–Thu 08:00–20:00 Europe/London"),  # three: a range
    (working(Window(frozenset({0, 2, 4}), 0, 1440)), "Mon, Wed, Fri 00:00–24:00 Europe/London"),  # not a range
    (working(Window(frozenset({5, 6}), 605, 725), Window(frozenset(range(7)), 60, 120)),
     "Sat, Sun 10:05–12:05; Mon–Sun 01:00–02:00 Europe/London"),
    (working(Window(frozenset(range(5)), 540, 1020), holidays=HolidaySource("GB", "ENG")),
     "Mon–Fri 09:00–17:00 Europe/London, closed on GB-ENG public holidays"),
    (working(Window(frozenset(range(5)), 540, 1020), holidays=HolidaySource("NL"),
             closures=frozenset({date(2025, 12, 24), date(2025, 12, 31)})),
     "Mon–Fri 09:00–17:00 Europe/London, closed on NL public holidays and 2 announced closure day(s)"),
])
def test_a_calendar_in_one_line(calendar: ElapsedCalendar | WallClockCalendar | WorkingCalendar, words: str) -> None:
    assert describe_calendar(calendar) == words


def spec(rule: str, **options: object) -> TargetSpec:
    return TargetSpec(key=str(options.pop("key", "resolution")), rule=rule, quote="q", seed="s",
                      calendar="office", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("target_spec", "words"), [
    (target("resolution", 240), "4 h"),
    (target("update", 90), "every 1 h 30 min"),
    (spec("calendar_days", days=5, mode="from_next_opening"), "5 calendar days (from next opening)"),
    (spec("calendar_days", days=5, mode="elapsed", duration=timedelta(hours=1)), "5 calendar days (elapsed)"),
    (spec("working_days_after_report_day", days=1), "close of the 1st working day after the report day"),
    (spec("close_of_working_day", days=2), "close of the 2nd working day after the report day"),
    (spec("working_days_after_report_day", days=3), "close of the 3rd working day after the report day"),
    (spec("close_of_working_day", days=4), "close of the 4th working day after the report day"),
    (spec("none", reason="the contract sets none for P4"), "none (the contract sets none for P4)"),
    (target("restoration", 240, start="onsite_determined_at"), "4 h, from onsite determined"),
    (target("resolution", 60, channels=frozenset({"phone", "email"})), "1 h (only for reports by email/phone)"),
    (target("update", 60, defer_channels=frozenset({"email", "portal"}), defer_calendar="office"),
     "every 1 h (email/portal out of hours: from the next opening)"),
])
def test_a_target_in_words(target_spec: TargetSpec, words: str) -> None:
    assert describe_target(target_spec) == words


def test_explain_gives_one_row_per_priority_and_target() -> None:
    long_quote = "Q" * 61
    rows = explain_rows(policy({
        "P1": targets(target("first_response", 30, "office"), target("update", 60)),
        "unprioritised": targets(TargetSpec(key="resolution", rule="none", quote=long_quote, seed="000:L9",
                                            calendar="office", reason="best effort")),
    }))
    assert rows == [
        ["P1", "first_response", "30 min", "office", "first_response in 30 minutes", "first_response-seed"],
        ["P1", "first_update", "every 1 h", "24x7", "update in 60 minutes", "update-seed"],
        ["—", "resolution", "none (best effort)", "", "Q" * 57 + "...", "000:L9"],
    ]
    assert explain_rows(policy({"P2": targets(TargetSpec(key="resolution", rule="duration", quote="Q" * 60,
                                                         seed="s", duration=timedelta(hours=1)))}))[0][3:5] == [
        "", "Q" * 60]
