"""Times and durations as a reader at 3 a.m. wants them: in their own zone, short, unambiguous."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def local_time(instant: datetime, tz: ZoneInfo, now: datetime | None = None) -> str:
    """'Mon 24 Nov 14:30 GMT' (the year only when it differs from now's)."""
    local = instant.astimezone(tz)
    text = local.strftime("%a %d %b %H:%M %Z")
    if now is not None and local.year != now.astimezone(tz).year:
        text = local.strftime("%a %d %b %Y %H:%M %Z")
    return text


def duration(amount: timedelta) -> str:
    """'2 h 05 min', '45 min', '3 d 4 h' (absolute value; the caller says left or late)."""
    minutes = int(abs(amount).total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins:02d} min" if mins else f"{hours} h"
    return f"{mins} min"


def time_left(remaining: timedelta | None) -> str:
    if remaining is None:
        return ""
    if remaining < timedelta(0):
        return f"{duration(remaining)} late"
    return f"{duration(remaining)} left"
