"""Policy files' `[calendars]` tables into calendars."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sla.calendars import (
    Calendar,
    ElapsedCalendar,
    HolidaySource,
    WallClockCalendar,
    Window,
    WorkingCalendar,
    whole_days_of,
)
from sla.errors import CalendarError
from sla.holiday_source import check_holiday_source
from sla.reader import Reader

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


# -- calendars ----------------------------------------------------------------------------
def _minute(reader: Reader, key: str) -> int:
    text = reader.get(key, str)
    match = re.fullmatch(r"(\d{2}):(\d{2})", text)
    if not match or int(match[1]) > 24 or int(match[2]) > 59 or (int(match[1]) == 24 and match[2] != "00"):
        raise reader.fail(key, f"must be a time HH:MM between 00:00 and 24:00; got {text!r}")
    return int(match[1]) * 60 + int(match[2])


def _window(reader: Reader) -> Window:
    reader.only(("days", "open", "close"))
    days = reader.get("days", list)
    unknown = [d for d in days if d not in WEEKDAYS]
    if unknown or not days:
        raise reader.fail("days", f"must list weekdays from {', '.join(WEEKDAYS)}; got {days!r}")
    opens, closes = _minute(reader, "open"), _minute(reader, "close")
    if closes <= opens:
        raise reader.fail("close", "must be after open (windows end by midnight, 24:00)")
    return Window(frozenset(WEEKDAYS[d] for d in days), opens, closes)


def _holidays(reader: Reader) -> HolidaySource:
    reader.only(("country", "subdiv", "categories", "exclude", "annual"))
    country = reader.get("country", str)
    subdiv = reader.get("subdiv", str, None)
    categories = tuple(reader.get("categories", list, ["public"]))
    try:
        check_holiday_source(country, subdiv, categories)
    except (NotImplementedError, ValueError, KeyError) as exc:
        raise reader.fail("country", f"the holidays package cannot provide it: {exc}") from None
    annual = []
    for text in reader.get("annual", list, []):
        match = re.fullmatch(r"(\d{2})-(\d{2})", str(text))
        if not match:
            raise reader.fail("annual", f"dates must be MM-DD; got {text!r}")
        annual.append((int(match[1]), int(match[2])))
    return HolidaySource(country, subdiv, categories,
                         frozenset(reader.get("exclude", list, [])), tuple(annual))


def _timezone(reader: Reader) -> ZoneInfo:
    name = reader.get("timezone", str)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail("timezone", f"unknown time zone {name!r}; use an IANA name such as Europe/London") from None


def _closures(reader: Reader) -> frozenset[date]:
    days = set()
    for text in reader.get("closures", list, []):
        try:
            days.add(date.fromisoformat(str(text)))
        except ValueError:
            raise reader.fail("closures", f"dates must be YYYY-MM-DD; got {text!r}") from None
    return frozenset(days)


def calendar_from(name: str, reader: Reader, built: Mapping[str, Calendar]) -> Calendar:
    kind = reader.choice("kind", ("elapsed", "wall_clock", "working", "whole_days"))
    if kind == "elapsed":
        reader.only(("kind",))
        return ElapsedCalendar(name=name)
    if kind == "wall_clock":
        reader.only(("kind", "timezone"))
        return WallClockCalendar(tz=_timezone(reader), name=name)
    if kind == "whole_days":
        reader.only(("kind", "of"))
        base = built.get(reader.get("of", str))
        if not isinstance(base, WorkingCalendar):
            raise reader.fail("of", "must name a working calendar defined before this one")
        return whole_days_of(base)
    reader.only(("kind", "timezone", "windows", "holidays", "closures"))
    windows = tuple(_window(Reader(reader.source, f"{reader.path}.windows[{i}]", w))
                    for i, w in enumerate(reader.get("windows", list)))
    holidays = _holidays(reader.sub("holidays")) if "holidays" in reader.data else None
    try:
        return WorkingCalendar(name, _timezone(reader), windows, holidays, _closures(reader))
    except CalendarError as exc:
        raise reader.fail("windows", str(exc)) from None
