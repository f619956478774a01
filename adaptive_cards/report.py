"""The monthly SLA report card: Teams chart elements, each with a table for clients that draw no charts.

Input: the report as plain data (``reports.export.report_summary``), so this module needs nothing beyond the
card helpers. Charts use only the properties Teams documents (CHART_PROPERTIES); the rest is Adaptive Card 1.5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from adaptive_cards.cards import Card, card, facts, text
from adaptive_cards.format import duration
from adaptive_cards.views import TARGET_LABELS

COMMON = frozenset({"type", "id", "title", "colorSet", "fallback", "grid.area", "height", "horizontalAlignment",
                    "isVisible", "lang", "requires", "separator", "spacing", "targetWidth"})
CHART_PROPERTIES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Chart.VerticalBar": (COMMON | {"color", "data", "showBarValues", "xAxisTitle", "yAxisTitle"},
                          frozenset({"x", "y", "color"})),
    "Chart.Donut": (COMMON | {"data"}, frozenset({"legend", "value", "color"})),
    "Chart.Line": (COMMON | {"color", "data", "xAxisTitle", "yAxisTitle"}, frozenset({"legend", "values", "color"})),
}
"""Element properties and data-point properties Teams documents for each chart (learn.microsoft.com,
"Charts in Adaptive Cards")."""
CHART_COLOURS = frozenset({
    "good", "warning", "attention", "neutral", "categoricalRed", "categoricalPurple", "categoricalLavender",
    "categoricalBlue", "categoricalLightBlue", "categoricalTeal", "categoricalGreen", "categoricalLime",
    "categoricalMarigold", *(f"sequential{n}" for n in range(1, 9)), "divergingBlue", "divergingLightBlue",
    "divergingCyan", "divergingTeal", "divergingYellow", "divergingPeach", "divergingLightRed", "divergingRed",
    "divergingMaroon", "divergingGray"})
PRIORITY_COLOURS = {"P1": "categoricalRed", "P2": "categoricalMarigold", "P3": "categoricalBlue",
                    "P4": "categoricalTeal", "P5": "categoricalGreen"}


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> dict[str, Any]:
    def row(cells: Sequence[str], bold: bool = False) -> dict[str, Any]:
        style = {"weight": "Bolder"} if bold else {}
        return {"type": "TableRow", "cells": [{"type": "TableCell", "items": [text(c, **style)]} for c in cells]}

    return {"type": "Table", "firstRowAsHeader": True, "showGridLines": False,
            "columns": [{"width": 1} for _ in header], "rows": [row(header, True), *(row(r) for r in rows)]}


def _minutes(value: float | None) -> str:
    return "—" if value is None else duration(timedelta(minutes=value))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def _targets_chart(targets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    totals = [t for t in targets if t["priority"] == "all"]
    if not totals:
        return [text("No ticket this period had a time target.", isSubtle=True)]
    rows = [(TARGET_LABELS.get(t["target"], t["target"]), str(t["met"]), str(t["breached"]), str(t["running"]),
             _percent(t["percent_met"]), _minutes(t["median_minutes"]), _minutes(t["p90_minutes"])) for t in totals]
    table = _table(("Target", "Met", "Breached", "Running", "% met", "Median", "p90"), rows)
    data = [{"x": label, "y": round(t["percent_met"], 1)} for (label, *_), t in zip(rows, totals, strict=True)
            if t["percent_met"] is not None]
    if not data:  # no target decided yet: a chart would be empty, the table says so
        return [text("Targets (none decided yet)", weight="Bolder"), table]
    return [{"type": "Chart.VerticalBar", "title": "Targets met (% of decided)", "xAxisTitle": "Target",
             "yAxisTitle": "% met", "showBarValues": True, "color": "good", "data": data, "fallback": table}]


def _priority_chart(by_priority: Mapping[str, int]) -> dict[str, Any]:
    return {"type": "Chart.Donut", "title": "Tickets by priority",
            "data": [{"legend": p, "value": n, "color": PRIORITY_COLOURS.get(p, "neutral")}
                     for p, n in by_priority.items()],
            "fallback": _table(("Priority", "Tickets"), [(p, str(n)) for p, n in by_priority.items()])}


def _daily_chart(by_day: Mapping[str, int]) -> dict[str, Any]:
    busy = [(day, str(n)) for day, n in by_day.items() if n]
    return {"type": "Chart.Line", "title": "Tickets reported per day", "xAxisTitle": "Day", "yAxisTitle": "Tickets",
            "data": [{"legend": "Tickets", "values": [{"x": day, "y": n} for day, n in by_day.items()]}],
            "fallback": _table(("Day (days with tickets)", "Tickets"), busy or [("none", "0")])}


def _figures(summary: Mapping[str, Any]) -> dict[str, Any]:
    mtta, mttr, changes = summary["mtta"], summary["mttr"], summary["changes"]
    return facts([
        ("Mean time to acknowledge", f"{_minutes(mtta['elapsed_minutes'])} "
                                     f"({_minutes(mtta['business_minutes'])} on the contract clock)"),
        ("Mean time to restore", f"{_minutes(mttr['elapsed_minutes'])} "
                                 f"({_minutes(mttr['business_minutes'])} on the contract clock)"),
        ("Reclassified tickets", str(changes["reclassified_tickets"])),
        ("Reopened tickets", str(changes["reopened_tickets"])),
        ("Updates sent late", str(changes["late_updates"])),
    ])


def _availability(availability: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks = [text("Availability", weight="Bolder", spacing="Medium")]
    for f in availability["figures"]:
        verdict = "meets" if f["met"] else "misses"
        blocks.append(text(f"{f['name']} ({f['clause']}): **{f['percent']:.4f} %** {verdict} the "
                           f"{f['objective']} % objective; {f['unavailable_minutes']} of {f['allowed_minutes']} "
                           f"allowed minutes unavailable", color="Good" if f["met"] else "Attention"))
    if availability["note"]:
        blocks.append(text(availability["note"].capitalize() + ".", isSubtle=True))
    return blocks


def _tickets(count: int) -> str:
    return "1 ticket" if count == 1 else f"{count:,} tickets"


def report_card(summary: Mapping[str, Any], csv_url: str | None = None) -> Card:
    """The SLA report for one customer and period, with a CSV download when a link is given."""
    as_of = summary["as_of"][:16].replace("T", " ")
    body = [text(f"SLA report: {summary['customer']}, {summary['period']}", size="Large", weight="Bolder"),
            text(f"{summary['contract']} · {_tickets(summary['tickets'])} · figures as of {as_of} UTC",
                 isSubtle=True, spacing="None"),
            *_targets_chart(summary["targets"]), _priority_chart(summary["by_priority"]),
            _daily_chart(summary["by_day"]), _figures(summary), *_availability(summary["availability"])]
    actions = [{"type": "Action.OpenUrl", "title": "Download CSV", "url": csv_url}] if csv_url else None
    return card(body, actions)
