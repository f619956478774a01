"""Availability as each contract defines it, from P1 tickets' restoration spans."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from reports import build_report, month_period
from reports.availability import NOT_DEFINED, measurement_year
from tests.reports.helpers import LIB, ticket, ts

LONDON = ZoneInfo("Europe/London")
VODAFONE = "vodafone-vone-m"
COMMENCED = date(2025, 3, 15)

TICKETS = [
    ticket(VODAFONE, "P1", "2025-02-01T10:00:00+00:00", ("resolved", 30), reference="before the year"),
    ticket(VODAFONE, "P1", "2025-06-10T09:00:00+00:00", ("restored", 40), reference="June: 40 min"),
    # 10:00-11:00 with a hold 10:10-10:30 (awaiting the customer: an Excluded Event) -> 40 min ...
    ticket(VODAFONE, "P1", "2025-11-05T10:00:00+00:00", ("paused", 10, {"reason": "awaiting customer"}),
           ("resumed", 30), ("resolved", 60), reference="held"),
    # ... and a second P1 10:50-11:20 about the same outage: 10 min overlap counted once -> +20 min.
    ticket(VODAFONE, "P1", "2025-11-05T10:50:00+00:00", ("resolved", 30), reference="overlapping"),
    ticket(VODAFONE, "P1", "2025-11-20T14:00:00+00:00", ("excluded_event", 1, {"clause": "12.15(b)"}),
           ("restored", 360), reference="customer equipment"),
    ticket(VODAFONE, "P2", "2025-11-21T14:00:00+00:00", ("restored", 100), reference="P2 is not unavailability"),
]


def test_vodafone_availability_is_year_to_date_over_the_annual_measurement_period() -> None:
    report = build_report("Contoso", LIB.get(VODAFONE), TICKETS, month_period(2025, 11, LONDON),
                          ts("2025-12-01T00:00:00+00:00"), commencement=COMMENCED)
    (year,) = report.availability.figures
    assert (year.start, year.end) == (ts("2025-03-15T00:00:00+00:00"), ts("2026-03-15T00:00:00+00:00"))
    assert year.total_minutes == 365 * 24 * 60
    assert year.unavailable_minutes == 40 + 40 + 20
    assert year.percent == pytest.approx((525600 - 100) / 525600 * 100)
    assert (year.objective, year.allowed_minutes, year.met) == (99.99, 52, False)


def test_without_the_commencement_date_the_report_says_what_to_give() -> None:
    report = build_report("Contoso", LIB.get(VODAFONE), TICKETS, month_period(2025, 11, LONDON),
                          ts("2025-12-01T00:00:00+00:00"))
    assert report.availability.figures == ()
    assert "service commencement date" in report.availability.note


def test_an_unrestored_p1_is_unavailable_until_the_report_instant() -> None:
    open_p1 = ticket(VODAFONE, "P1", "2025-11-30T23:00:00+00:00")
    report = build_report("Contoso", LIB.get(VODAFONE), [open_p1], month_period(2025, 11, LONDON),
                          ts("2025-11-30T23:45:30+00:00"), commencement=COMMENCED)
    assert report.availability.figures[0].unavailable_minutes == 45


@pytest.mark.parametrize(("commenced", "month", "start", "end"), [
    (date(2025, 3, 15), (2026, 2), "2025-03-15", "2026-03-15"),
    (date(2025, 3, 15), (2026, 3), "2026-03-15", "2027-03-15"),
    (date(2025, 3, 15), (2026, 4), "2026-03-15", "2027-03-15"),
    (date(2024, 2, 29), (2025, 3), "2025-02-28", "2026-02-28"),
])
def test_the_measurement_year_holds_the_months_last_day(
        commenced: date, month: tuple[int, int], start: str, end: str) -> None:
    year = measurement_year(commenced, month_period(*month, LONDON))
    assert (year.start.astimezone(LONDON).date().isoformat(), year.end.astimezone(LONDON).date().isoformat()) == (
        start, end)


@pytest.mark.parametrize("policy", ["cloudcti", "duocall-standard", "duocall-legacy-protect", "voip-cat1"])
def test_contracts_without_an_availability_measure_say_so(policy: str) -> None:
    report = build_report("X", LIB.get(policy), [], month_period(2025, 11, LONDON), ts("2025-12-01T00:00Z"))
    assert (report.availability.figures, report.availability.note) == ((), NOT_DEFINED)


@pytest.mark.parametrize(("month", "minutes"), [
    ((2025, 10), 31 * 1440 + 60),  # the clocks go back: a 25-hour Sunday
    ((2026, 3), 31 * 1440 - 60),  # the clocks go forward
    ((2026, 2), 28 * 1440),
])
def test_maintel_measures_the_local_month_in_whole_minutes(month: tuple[int, int], minutes: int) -> None:
    report = build_report("ACME", LIB.get("maintel-icon"), [], month_period(*month, LONDON), ts("2026-12-01T00:00Z"))
    (figure,) = report.availability.figures
    assert (figure.total_minutes, figure.unavailable_minutes, figure.percent) == (minutes, 0, 100.0)
