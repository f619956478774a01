"""The report as CSV (one tidy table a spreadsheet can filter) and as plain JSON-ready data for cards and pages."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from reports.availability import Availability
from reports.engine import SlaReport
from reports.stats import MeanTime, TargetRow

COLUMNS = ("section", "item", "priority", "count", "met", "breached", "running", "percent_met",
           "median_minutes", "p90_minutes", "value")
Row = dict[str, Any]


def minutes(value: timedelta | None) -> float | None:
    """A duration in minutes, to the hundredth (None stays empty)."""
    return None if value is None else round(value.total_seconds() / 60, 2)


def percent(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _target(row: TargetRow) -> Row:
    return {"section": "target", "item": row.target, "priority": row.priority, "count": row.count, "met": row.met,
            "breached": row.breached, "running": row.running, "percent_met": percent(row.percent_met),
            "median_minutes": minutes(row.median_used), "p90_minutes": minutes(row.p90_used)}


def _mean(name: str, mean: MeanTime) -> Iterator[Row]:
    yield {"section": "mean_time", "item": f"{name} elapsed", "count": mean.count, "value": minutes(mean.elapsed)}
    yield {"section": "mean_time", "item": f"{name} business", "count": mean.business_count,
           "value": minutes(mean.business)}


def _counts(section: str, counts: Mapping[str, int]) -> Iterator[Row]:
    yield from ({"section": section, "item": name, "count": n} for name, n in counts.items())


def _availability(figure: Availability) -> Iterator[Row]:
    for item, value in (("percent", percent(figure.percent)), ("objective percent", figure.objective),
                        ("total minutes (A)", figure.total_minutes),
                        ("unavailable minutes (B)", figure.unavailable_minutes),
                        ("allowed minutes", figure.allowed_minutes), ("met", "yes" if figure.met else "no")):
        yield {"section": "availability", "item": f"{figure.name} ({figure.clause}): {item}", "value": value}


def report_rows(report: SlaReport) -> Iterator[Row]:
    """Every figure of the report as rows of ``COLUMNS``."""
    for item, value in (("customer", report.customer), ("policy", report.policy_id), ("period", report.period.label),
                        ("from", report.period.start.isoformat()), ("to", report.period.end.isoformat()),
                        ("as of", report.as_of.isoformat()), ("tickets", report.tickets)):
        yield {"section": "report", "item": item, "value": value}
    yield from (_target(row) for row in report.targets)
    yield from _mean("MTTA", report.mtta)
    yield from _mean("MTTR", report.mttr)
    yield from _counts("by_priority", report.by_priority)
    yield from _counts("by_category", report.by_category)
    yield from _counts("by_service", report.by_service)
    yield from _counts("changes", {"reclassified tickets": report.reclassified_tickets,
                                   "reclassifications": report.reclassifications,
                                   "reopened tickets": report.reopened_tickets,
                                   "updates sent late": report.late_updates})
    for figure in report.availability.figures:
        yield from _availability(figure)
    if report.availability.note:
        yield {"section": "availability", "item": "note", "value": report.availability.note}


def report_csv(report: SlaReport) -> str:
    """The whole report as one CSV table (RFC 4180, CRLF line ends, a header row)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, restval="")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in report_rows(report))
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _availability_data(figure: Availability) -> dict[str, Any]:
    return {"name": figure.name, "clause": figure.clause, "start": figure.start.isoformat(),
            "end": figure.end.isoformat(), "measured_until": figure.measured_until.isoformat(),
            "total_minutes": figure.total_minutes, "unavailable_minutes": figure.unavailable_minutes,
            "allowed_minutes": figure.allowed_minutes, "percent": percent(figure.percent),
            "objective": figure.objective, "met": figure.met}


def _mean_data(mean: MeanTime) -> dict[str, Any]:
    return {"count": mean.count, "elapsed_minutes": minutes(mean.elapsed),
            "business_minutes": minutes(mean.business), "business_count": mean.business_count}


def report_summary(report: SlaReport) -> dict[str, Any]:
    """The report as plain JSON-ready data: what the report card and the reports page draw."""
    return {
        "customer": report.customer, "contract": report.policy_name, "policy": report.policy_id,
        "period": report.period.label, "from": report.period.start.isoformat(), "to": report.period.end.isoformat(),
        "as_of": report.as_of.isoformat(), "tickets": report.tickets,
        "targets": [{k: v for k, v in _target(row).items() if k not in ("section", "item")} | {"target": row.target}
                    for row in report.targets],
        "mtta": _mean_data(report.mtta), "mttr": _mean_data(report.mttr),
        "by_priority": dict(report.by_priority), "by_category": dict(report.by_category),
        "by_service": dict(report.by_service), "by_day": dict(report.by_day),
        "changes": {"reclassified_tickets": report.reclassified_tickets,
                    "reclassifications": report.reclassifications,
                    "reopened_tickets": report.reopened_tickets, "late_updates": report.late_updates},
        "availability": {"figures": [_availability_data(f) for f in report.availability.figures],
                         "note": report.availability.note},
    }
