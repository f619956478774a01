"""Reading "when did it start?" the way people type it, in their own time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EXAMPLES = "for example “10 minutes ago”, “09:40”, “yesterday 17:10” or “2025-11-20 09:40”"
WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10,
                "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "a couple of": 2,
                "a few": 3, "half an": 0.5, "half a": 0.5}
UNITS = {"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "h": 60, "hr": 60, "hrs": 60, "hour": 60,
         "hours": 60, "d": 1440, "day": 1440, "days": 1440}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FILLER = re.compile(r"^(it\s+)?(started\s+|began\s+)?(since|from|at|around|about|approx\.?|approximately|~)\s+")
AGO = re.compile(r"^(?P<n>\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, WORD_NUMBERS), key=len, reverse=True))
                 + r")\s*(?P<unit>" + "|".join(sorted(UNITS, key=len, reverse=True)) + r")\s+ago$")
CLOCK = re.compile(r"^(?:(?P<day>today|yesterday|" + "|".join(WEEKDAYS) + r")\s*(?:at\s+)?)?"
                   r"(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$")
UK_DATE = re.compile(r"^(?P<d>\d{1,2})/(?P<mo>\d{1,2})/(?P<y>\d{4})[ ,]+(?:at\s+)?(?P<h>\d{1,2})[:.](?P<m>\d{2})$")
MAX_AGE = timedelta(days=365)
FUTURE_TOLERANCE = timedelta(minutes=2)


class TimeNotUnderstood(ValueError):
    """The text is not a time we can read; the message gives examples."""


class TimeInFuture(ValueError):
    """The time read lies in the future; the message says how to say what was meant."""


def parse_started_at(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """An aware UTC instant for a start time typed in zone ``tz``; raises with a helpful sentence."""
    cleaned = FILLER.sub("", " ".join(text.strip().lower().split())).rstrip(".")
    if cleaned in ("now", "just now", "right now", "a moment ago", "just"):
        return now.astimezone(UTC)
    result = _ago(cleaned, now) or _iso(text.strip(), tz) or _uk_date(cleaned, tz) or _clock(cleaned, now, tz)
    if result is None:
        raise TimeNotUnderstood(f"Sorry, I couldn't read “{text.strip()}” as a time. Please say when it started, "
                                f"{EXAMPLES}.")
    return _check(result, text.strip(), now, tz)


def _check(result: datetime, text: str, now: datetime, tz: ZoneInfo) -> datetime:
    if result > now + FUTURE_TOLERANCE:
        local_now = now.astimezone(tz).strftime("%H:%M")
        hint = f" If you mean yesterday, say “yesterday {text}”." if CLOCK.match(text.lower()) else ""
        raise TimeInFuture(f"“{text}” is later than now ({local_now} your time), so it can't be when it started."
                           f"{hint} Otherwise please give the start time again, {EXAMPLES}.")
    if now - result > MAX_AGE:
        raise TimeNotUnderstood(f"“{text}” is more than a year ago. Please check the date and say when it started, "
                                f"{EXAMPLES}.")
    return result.astimezone(UTC)


def _ago(text: str, now: datetime) -> datetime | None:
    match = AGO.match(text)
    if not match:
        return None
    amount = match["n"]
    number = float(amount) if amount[0].isdigit() else WORD_NUMBERS[amount]
    return now - timedelta(minutes=number * UNITS[match["unit"]])


def _iso(text: str, tz: ZoneInfo) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def _uk_date(text: str, tz: ZoneInfo) -> datetime | None:
    match = UK_DATE.match(text)
    if not match:
        return None
    try:
        return datetime(int(match["y"]), int(match["mo"]), int(match["d"]), int(match["h"]), int(match["m"]),
                        tzinfo=tz)
    except ValueError:
        return None


def _clock(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    match = CLOCK.match(text)
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"] == "pm" else 0)
    if hour > 23 or minute > 59 or (match["m"] is None and match["ampm"] is None and match["day"] is None):
        return None  # a bare number ("5") is too ambiguous to read as a time
    day = _day(match["day"], now.astimezone(tz).date())
    return datetime.combine(day, time(hour, minute)).replace(tzinfo=tz)


def _day(word: str | None, today: date) -> date:
    if word in (None, "today"):
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    assert word is not None
    back = (today.weekday() - WEEKDAYS.index(word)) % 7
    return today - timedelta(days=back)
