"""The report card: Teams charts built only from documented properties, the rest valid Adaptive Card 1.5,
and a client that draws no charts sees the same figures in the fallback tables."""

from __future__ import annotations

import copy
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adaptive_cards.report import CHART_COLOURS, CHART_PROPERTIES, report_card
from reports import build_report, month_period
from reports.export import report_summary
from tests.reports.helpers import LIB, ticket, ts
from tests.test_cards import SCHEMA, all_text

LONDON = ZoneInfo("Europe/London")
TICKETS = [
    ticket("vodafone-vone-m", "P1", "2025-11-05T10:00:00+00:00", ("acknowledged", 20), ("resolved", 100)),
    ticket("vodafone-vone-m", "P1", "2025-11-06T10:00:00+00:00", ("acknowledged", 45), ("resolved", 300)),
    ticket("vodafone-vone-m", "P3", "2025-11-06T12:00:00+00:00"),
]


def summary() -> dict[str, Any]:
    report = build_report("Contoso", LIB.get("vodafone-vone-m"), TICKETS, month_period(2025, 11, LONDON),
                          ts("2025-12-01T00:00:00+00:00"), commencement=ts("2025-03-15T00:00Z").date())
    return report_summary(report)


def charts(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if str(node.get("type", "")).startswith("Chart.") else []
        return found + [c for v in node.values() for c in charts(v)]
    if isinstance(node, list):
        return [c for v in node for c in charts(v)]
    return []


def as_fallback(node: Any) -> Any:
    """The card as a client without charts renders it: each chart replaced by its fallback."""
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Chart."):
            return as_fallback(node["fallback"])
        return {k: as_fallback(v) for k, v in node.items()}
    if isinstance(node, list):
        return [as_fallback(v) for v in node]
    return node


def undocumented(chart: dict[str, Any]) -> list[str]:
    element, point = CHART_PROPERTIES[chart["type"]]
    problems = [f"property {k}" for k in chart if k not in element]
    for item in chart.get("data", []):
        problems += [f"data {k}" for k in item if k not in point]
        problems += [f"colour {item['color']}" for k in ("color",) if k in item and item[k] not in CHART_COLOURS]
        problems += [f"value {k}" for v in item.get("values", []) for k in v if k not in ("x", "y")]
    return problems


def test_the_card_draws_a_bar_a_donut_and_a_line_chart_from_documented_properties() -> None:
    built = report_card(summary(), "https://bot.example/reports/x.csv?sig=abc")
    found = charts(built["body"])
    assert sorted(c["type"] for c in found) == ["Chart.Donut", "Chart.Line", "Chart.VerticalBar"]
    for chart in found:
        assert undocumented(chart) == [], chart["type"]
        assert chart["fallback"]["type"] == "Table"


def test_the_property_check_catches_an_undocumented_property() -> None:
    chart = copy.deepcopy(charts(report_card(summary())["body"])[0])
    chart["stacked"] = True
    assert undocumented(chart) == ["property stacked"]


@pytest.mark.skipif(not SCHEMA.is_file(), reason="Adaptive Card schema not found: run scripts/setup dev")
def test_the_rest_of_the_card_is_valid_adaptive_card_1_5() -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    built = as_fallback(report_card(summary(), "https://bot.example/reports/x.csv?sig=abc"))
    errors = list(jsonschema.Draft6Validator(schema).iter_errors(built))
    assert errors == [], errors[0].message[:500] if errors else ""


def table_rows(node: Any, first_header: str) -> list[list[str]]:
    """The text rows of the table whose first header cell is ``first_header``."""
    if isinstance(node, dict):
        if node.get("type") == "Table":
            rows = [[cell["items"][0]["text"] for cell in row["cells"]] for row in node["rows"]]
            if rows[0][0] == first_header:
                return rows[1:]
        return next((r for v in node.values() if (r := table_rows(v, first_header))), [])
    if isinstance(node, list):
        return next((r for v in node if (r := table_rows(v, first_header))), [])
    return []


def test_without_charts_the_reader_still_sees_every_figure() -> None:
    shown = as_fallback(report_card(summary()))
    # Acknowledged in 20 and 45 min (30 min target); the P3 was never acknowledged (2 working hours, overdue).
    assert table_rows(shown, "Target")[0][:6] == ["First response", "1", "2", "0", "33.3 %", "45 min"]
    assert table_rows(shown, "Priority") == [["P1", "2"], ["P3", "1"]]
    assert table_rows(shown, "Day (days with tickets)") == [["2025-11-05", "1"], ["2025-11-06", "2"]]
    assert "400 of 52 allowed minutes unavailable" in all_text(shown)  # 100 + 300 min of P1 outage


def test_the_csv_link_is_offered_only_when_given() -> None:
    assert report_card(summary(), "https://bot.example/r.csv")["actions"][0]["url"] == "https://bot.example/r.csv"
    assert "actions" not in report_card(summary())


def test_with_no_target_decided_the_card_shows_the_table_instead_of_an_empty_chart() -> None:
    running = [ticket("vodafone-vone-m", "P3", "2025-11-06T12:00:00+00:00")]
    report = build_report("Contoso", LIB.get("vodafone-vone-m"), running, month_period(2025, 11, LONDON),
                          ts("2025-11-06T12:05:00+00:00"))
    card = report_card(report_summary(report))
    assert "Chart.VerticalBar" not in {c["type"] for c in charts(card)}
    assert "Targets (none decided yet)" in all_text(card)
