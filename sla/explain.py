"""Plain-words descriptions of calendars and targets, for `python -m sla explain` and the bot."""

from __future__ import annotations

from datetime import timedelta

from sla.calendars import Calendar, ElapsedCalendar, WallClockCalendar, WorkingCalendar
from sla.model import UNPRIORITISED, Policy, TargetSpec

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def describe_duration(amount: timedelta) -> str:
    """'30 min', '4 h', '8 h 30 min'."""
    minutes = int(amount.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes else [])
    return " ".join(parts) or "0 min"


def _days(weekdays: frozenset[int]) -> str:
    ordered = sorted(weekdays)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{DAY_NAMES[ordered[0]]}–{DAY_NAMES[ordered[-1]]}"
    return ", ".join(DAY_NAMES[d] for d in ordered)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def describe_calendar(calendar: Calendar) -> str:
    """One line saying when the clock runs."""
    if isinstance(calendar, ElapsedCalendar):
        return "24x7, elapsed time (bank holidays included)"
    if isinstance(calendar, WallClockCalendar):
        return f"24x7, counted on the {calendar.tz.key} wall clock"
    assert isinstance(calendar, WorkingCalendar)
    windows = "; ".join(
        f"{_days(w.weekdays)} {_hhmm(w.open_minute)}–{_hhmm(w.close_minute)}" for w in calendar.windows
    )
    text = f"{windows} {calendar.tz.key}"
    if calendar.holidays:
        region = "-".join(p for p in (calendar.holidays.country, calendar.holidays.subdiv) if p)
        text += f", closed on {region} public holidays"
    if calendar.closures:
        text += f" and {len(calendar.closures)} announced closure day(s)"
    return text


def describe_target(spec: TargetSpec) -> str:
    """The allowance in words, e.g. '4 h', '2 working days from the day after the report'."""
    if not spec.has_target:
        return f"none ({spec.reason})"
    if spec.rule == "duration" and spec.duration is not None:
        text = describe_duration(spec.duration)
        text = f"every {text}" if spec.key == "update" else text
    elif spec.rule == "calendar_days":
        text = f"{spec.days} calendar days ({spec.mode.replace('_', ' ')})"
    elif spec.rule == "working_days_after_report_day":
        text = f"close of the {spec.days}th working day after the report day"
    else:
        text = f"close of the {spec.days}th working day after the report day"
    if spec.start != "reported_at":
        text += f", from {spec.start.removesuffix('_at').replace('_', ' ')}"
    if spec.channels:
        text += f" (only for reports by {'/'.join(sorted(spec.channels))})"
    if spec.defer_channels:
        text += f" ({'/'.join(sorted(spec.defer_channels))} out of hours: from the next opening)"
    return text.replace("1th", "1st").replace("2th", "2nd").replace("3th", "3rd")


def explain_rows(policy: Policy) -> list[list[str]]:
    """One row per priority and target: priority, target, allowance, clock, quote, seed."""
    rows = []
    for set_name, specs in policy.target_sets.items():
        label = "—" if set_name == UNPRIORITISED else set_name
        for spec in specs.values():
            clock = spec.calendar or "" if spec.has_target else ""
            quote = spec.quote if len(spec.quote) <= 60 else spec.quote[:57] + "..."
            rows.append([label, spec.output_name, describe_target(spec), clock, quote, spec.seed])
    return rows
