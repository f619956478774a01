"""A month's SLA report: figures a service review reads, each worked out by hand from the audit log."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from reports import build_report, month_period
from reports.engine import SlaReport
from reports.stats import TargetRow
from tests.reports.helpers import LIB, minutes, ticket, ts

LONDON = ZoneInfo("Europe/London")
H = 60

# Maintel ICON, November 2025 (London = UTC): P1 first response < 30 min, updates every 60 min, restoration 4 h;
# P2 60 min / 4 h / 8 h; P3 first response 4 h only. All 24x7.
NOVEMBER = [
    # P1: acknowledged in 20 min, first update 10 min late, restored at 2 h, resolved at 3 h.
    ticket("maintel-icon", "P1", "2025-11-03T10:00:00+00:00", ("acknowledged", 20), ("updated", 70),
           ("restored", 2 * H), ("resolved", 3 * H), services=("inbound_calls",), reference="P1-late-update"),
    # P2: on hold 10:00-14:00 (4 h excluded); updates at 12:00 and 15:00; resolved at 18:30 (9.5 h, 5.5 h on clock).
    ticket("maintel-icon", "P2", "2025-11-10T09:00:00+00:00", ("acknowledged", 30), ("paused", H, {"reason": "x"}),
           ("updated", 3 * H), ("resumed", 5 * H), ("updated", 6 * H), ("resolved", 9.5 * H),
           services=("inbound_calls", "voicemail"), reference="P2-hold"),
    # P3 reclassified to P2 at 30 min, acknowledged at 90 min (> 60), resolved at 5 h without an update (> 4 h).
    ticket("maintel-icon", "P3", "2025-11-12T10:00:00+00:00", ("reclassified", 30, {"priority": "P2"}),
           ("acknowledged", 90), ("resolved", 5 * H), reference="P3-to-P2"),
    # P1 restored at 1 h, still broken at 1.5 h, restored again at 3 h; updates every 55 min.
    ticket("maintel-icon", "P1", "2025-11-20T08:00:00+00:00", ("acknowledged", 10), ("updated", 55),
           ("restored", H), ("still_broken", 90), ("updated", 110), ("updated", 165), ("restored", 3 * H),
           ("resolved", 3.5 * H), reference="P1-reopened"),
    ticket("maintel-icon", None, "2025-11-25T12:00:00+00:00", category="out_of_scope", reference="out-of-scope"),
    # Outside the month: reported in October (its outage runs 29 min into November) and in December.
    ticket("maintel-icon", "P1", "2025-10-31T23:59:00+00:00", ("acknowledged", 5), ("restored", 30),
           reference="October"),
    ticket("maintel-icon", "P1", "2025-12-01T00:00:00+00:00", reference="December"),
]


@pytest.fixture(scope="module")
def november() -> SlaReport:
    return build_report("ACME", LIB.get("maintel-icon"), NOVEMBER, month_period(2025, 11, LONDON),
                        ts("2025-12-01T12:00:00+00:00"))


def row(report: SlaReport, target: str, priority: str = "all") -> TargetRow:
    return next(r for r in report.targets if r.target == target and r.priority == priority)


@pytest.mark.parametrize(("target", "priority", "count", "met", "breached", "median", "p90"), [
    ("first_response", "all", 4, 3, 1, minutes(25), minutes(90)),
    ("first_response", "P1", 2, 2, 0, minutes(15), minutes(20)),
    ("first_response", "P2", 2, 1, 1, minutes(60), minutes(90)),
    ("first_update", "all", 4, 2, 2, minutes((110 + 210) / 2), minutes(300)),
    ("restoration", "all", 4, 4, 0, minutes(4 * H), minutes(5.5 * H)),
    ("restoration", "P1", 2, 2, 0, minutes(2.5 * H), minutes(3 * H)),
])
def test_each_target_counts_met_breached_and_time_used(
        november: SlaReport, target: str, priority: str, count: int, met: int, breached: int,
        median: object, p90: object) -> None:
    found = row(november, target, priority)
    assert (found.count, found.met, found.breached, found.running) == (count, met, breached, 0)
    assert (found.median_used, found.p90_used) == (median, p90)
    assert found.percent_met == pytest.approx(100 * met / count)


def test_a_contract_without_a_resolution_target_reports_none(november: SlaReport) -> None:
    assert not [r for r in november.targets if r.target == "resolution"]


def test_the_month_counts_tickets_by_their_report_instant(november: SlaReport) -> None:
    assert november.tickets == 5
    assert november.by_priority == {"P1": 2, "P2": 2, "none": 1}
    assert november.by_category == {"incident": 4, "out_of_scope": 1}
    assert november.by_service == {"inbound_calls": 2, "voicemail": 1}


def test_reclassifications_reopens_and_late_updates(november: SlaReport) -> None:
    assert (november.reclassified_tickets, november.reclassifications) == (1, 1)
    assert november.reopened_tickets == 1
    assert november.late_updates == 1


def test_mean_time_to_acknowledge_and_to_restore(november: SlaReport) -> None:
    assert (november.mtta.count, november.mtta.elapsed, november.mtta.business) == (4, minutes(37.5), minutes(37.5))
    # Restored at 2 h, 9.5 h (5.5 h on the clock: 4 h on hold), 5 h, 3 h (the first restoration was undone).
    assert november.mttr.elapsed == minutes((2 + 9.5 + 5 + 3) * H / 4)
    assert november.mttr.business == minutes((2 + 5.5 + 5 + 3) * H / 4)


def test_maintel_monthly_availability_counts_p1_outages_to_restoration(november: SlaReport) -> None:
    month = november.availability.figures[0]
    assert (month.total_minutes, month.unavailable_minutes, month.objective) == (30 * 24 * 60, 29 + 120 + 180, 99.88)
    assert month.percent == pytest.approx((43200 - 329) / 43200 * 100)
    assert not month.met
    assert "commencement" in november.availability.note


# Vodafone P3: 2 Working Hours first response, 24 Working Hours resolution, Mon-Fri 09:00-17:00 London.
# Thu 24 Dec 2026 is followed by Christmas (Fri), the weekend and Boxing Day's substitute (Mon 28 Dec).
CHRISTMAS = [
    # 16:00 Thu: 1 h on the 24th, acknowledged Tue 29th 09:45 (1 h 45), resolved Wed 30th 12:00 (1 + 8 + 3 = 12 h).
    ticket("vodafone-vone-m", "P3", "2026-12-24T16:00:00+00:00", ("acknowledged", 4 * 24 * H + 17.75 * H),
           ("resolved", 5 * 24 * H + 20 * H), reference="met"),
    # 15:00 Thu: acknowledged Tue 10:30 (2 + 1.5 h), resolved Thu 31st 16:00 (2 + 8 + 8 + 7 = 25 h).
    ticket("vodafone-vone-m", "P3", "2026-12-24T15:00:00+00:00", ("acknowledged", 4 * 24 * H + 19.5 * H),
           ("resolved", 7 * 24 * H + H), reference="breached"),
]


def test_working_hours_targets_skip_the_weekend_and_bank_holidays() -> None:
    report = build_report("Contoso", LIB.get("vodafone-vone-m"), CHRISTMAS, month_period(2026, 12, LONDON),
                          ts("2027-01-05T12:00:00+00:00"))
    response, resolution = row(report, "first_response", "P3"), row(report, "resolution", "P3")
    assert (response.met, response.breached, response.median_used) == (1, 1, minutes((105 + 210) / 2))
    assert (resolution.met, resolution.breached, resolution.p90_used) == (1, 1, minutes(25 * H))
    assert report.mtta.elapsed == minutes((4 * 24 * H + 17.75 * H + 4 * 24 * H + 19.5 * H) / 2)
    assert report.mtta.business == minutes((105 + 210) / 2)


def test_a_month_is_measured_in_the_customers_time_zone() -> None:
    july = month_period(2026, 7, LONDON)
    assert july.start == ts("2026-06-30T23:00:00+00:00") and july.end == ts("2026-07-31T23:00:00+00:00")
    late_june_utc = ticket("vodafone-vone-m", "P4", "2026-06-30T23:30:00+00:00")
    report = build_report("Contoso", LIB.get("vodafone-vone-m"), [late_june_utc], july, ts("2026-08-01T00:00Z"))
    assert report.tickets == 1


def test_a_period_that_ends_before_it_starts_is_refused_politely() -> None:
    from reports import date_range_period
    from sla import RequestError

    with pytest.raises(RequestError, match="later date second"):
        date_range_period(ts("2026-02-01T00:00Z").date(), ts("2026-01-01T00:00Z").date(), LONDON)


def test_a_ticket_reported_after_the_report_instant_is_not_yet_counted() -> None:
    later = ticket("maintel-icon", "P1", "2025-11-20T12:00:00+00:00", ("acknowledged", 5))
    report = build_report("ACME", LIB.get("maintel-icon"), [later], month_period(2025, 11, LONDON),
                          ts("2025-11-15T00:00:00+00:00"))
    assert (report.tickets, report.targets) == (0, ())


def test_a_ticket_without_its_opened_event_is_refused_with_its_reference() -> None:
    from dataclasses import replace

    from sla import RequestError

    broken = ticket("maintel-icon", "P1", "2025-11-20T12:00:00+00:00", ("acknowledged", 5), reference="ACME-000009")
    broken = replace(broken, events=broken.events[1:])
    with pytest.raises(RequestError, match="ACME-000009 has no 'opened' event"):
        build_report("ACME", LIB.get("maintel-icon"), [broken], month_period(2025, 11, LONDON),
                     ts("2025-12-01T00:00:00+00:00"))
