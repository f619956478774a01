"""The CSV download: one table a spreadsheet opens, holding every figure of the report."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from reports import build_report, month_period
from reports.export import COLUMNS, report_csv
from tests.reports.helpers import LIB, ticket, ts

LONDON = ZoneInfo("Europe/London")


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_holds_each_target_row_and_the_availability_figures() -> None:
    tickets = [ticket("vodafone-vone-m", "P1", "2025-11-05T10:00:00+00:00", ("acknowledged", 20), ("resolved", 100),
                      services=("=cmd|' /C calc'!A0",))]
    report = build_report("Contoso", LIB.get("vodafone-vone-m"), tickets, month_period(2025, 11, LONDON),
                          ts("2025-12-01T00:00:00+00:00"), commencement=ts("2025-03-15T00:00Z").date())
    text = report_csv(report)
    rows = rows_of(text)
    assert tuple(rows[0]) == COLUMNS
    response = next(r for r in rows if r["section"] == "target" and r["item"] == "first_response"
                    and r["priority"] == "P1")
    assert (response["count"], response["met"], response["percent_met"], response["median_minutes"]) == (
        "1", "1", "100.0", "20.0")
    unavailable = next(r for r in rows if r["item"].endswith("unavailable minutes (B)"))
    assert unavailable["value"] == "100"
    service = next(r for r in rows if r["section"] == "by_service")
    assert service["item"].startswith("'="), "a formula-looking cell is neutralised"


def test_a_contract_without_availability_says_so_in_the_csv() -> None:
    report = build_report("X", LIB.get("cloudcti"), [], month_period(2025, 11, LONDON), ts("2025-12-01T00:00Z"))
    note = next(r for r in rows_of(report_csv(report)) if r["section"] == "availability")
    assert note["value"].startswith("not defined")
