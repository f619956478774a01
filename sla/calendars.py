"""Calendars: when an SLA clock runs.

A calendar answers four questions about aware datetimes: is the clock running at ``t``
(`is_open`), when does it next run (`next_open`), when has ``duration`` of running time
passed since ``start`` (`add`), and how much running time lies between two instants
(`measure`). All arithmetic happens on UTC instants; local wall time is used only to
place each working day's window, so DST nights need no special case.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays as holidays_pkg

from sla.errors import CalendarError

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
SEARCH_LIMIT_DAYS = 3660
"""How far ahead a calendar looks for working time before it gives up (ten years)."""

Segment = tuple[datetime, datetime]


class Calendar(Protocol):
    """The four operations every SLA clock calendar offers."""

    @property
    def name(self) -> str: ...

    def is_open(self, t: datetime) -> bool: ...

    def next_open(self, t: datetime) -> datetime: ...

    def add(self, start: datetime, duration: timedelta) -> datetime: ...

    def measure(self, start: datetime, end: datetime) -> timedelta: ...


def require_aware(t: datetime) -> datetime:
    """Return ``t`` in UTC; refuse a naive datetime."""
    if t.tzinfo is UTC:
        return t
    if t.tzinfo is None or t.utcoffset() is None:
        raise CalendarError(f"time {t.isoformat()} has no UTC offset; give an aware datetime")
    return t.astimezone(UTC)


class _AlwaysRunning:
    """A clock that never stops: open at every instant."""

    def is_open(self, t: datetime) -> bool:
        return True

    def next_open(self, t: datetime) -> datetime:
        return require_aware(t)


@dataclass(frozen=True)
class ElapsedCalendar(_AlwaysRunning):
    """24x7 elapsed time: the clock never stops (DST changes nothing)."""

    name: str = "24x7"

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return require_aware(start) + duration

    def measure(self, start: datetime, end: datetime) -> timedelta:
        return max(ZERO, require_aware(end) - require_aware(start))


@dataclass(frozen=True)
class WallClockCalendar(_AlwaysRunning):
    """24x7 counted on the local wall clock: 4 h across a DST change keeps local 4 h."""

    tz: ZoneInfo
    name: str = "24x7-wall-clock"

    def add(self, start: datetime, duration: timedelta) -> datetime:
        local = require_aware(start).astimezone(self.tz).replace(tzinfo=None)
        return (local + duration).replace(tzinfo=self.tz).astimezone(UTC)

    def measure(self, start: datetime, end: datetime) -> timedelta:
        a = require_aware(start).astimezone(self.tz).replace(tzinfo=None)
        b = require_aware(end).astimezone(self.tz).replace(tzinfo=None)
        return max(ZERO, b - a)


@dataclass(frozen=True)
class Window:
    """A daily working window on some weekdays (0 = Monday), in minutes after midnight."""

    weekdays: frozenset[int]
    open_minute: int
    close_minute: int


@dataclass(frozen=True)
class HolidaySource:
    """Public holidays from the ``holidays`` package, adjusted by the policy."""

    country: str
    subdiv: str | None = None
    categories: tuple[str, ...] = ("public",)
    exclude_names: frozenset[str] = frozenset()
    annual_dates: tuple[tuple[int, int], ...] = ()
    annual_name: str = "additional holiday"

    def on(self, day: date) -> str | None:
        """The holiday's name on ``day``, or None."""
        name = _holiday_table(self.country, self.subdiv, self.categories, day.year).get(day)
        if name is not None and name not in self.exclude_names:
            return name
        if (day.month, day.day) in self.annual_dates:
            return self.annual_name
        return None


@functools.lru_cache(maxsize=512)
def _holiday_table(
    country: str, subdiv: str | None, categories: tuple[str, ...], year: int
) -> dict[date, str]:
    table = holidays_pkg.country_holidays(
        country, subdiv=subdiv, years=year, categories=categories, language="en_US"
    )
    return {day: str(name) for day, name in table.items()}


def check_holiday_source(country: str, subdiv: str | None, categories: tuple[str, ...]) -> None:
    """Raise ValueError with the package's own words if the holiday source is unknown."""
    holidays_pkg.country_holidays(country, subdiv=subdiv, years=2000, categories=categories)


@dataclass(eq=False)
class WorkingCalendar:
    """Working windows in a time zone, minus public holidays and announced closures."""

    name: str
    tz: ZoneInfo
    windows: tuple[Window, ...]
    holidays: HolidaySource | None = None
    closures: frozenset[date] = frozenset()
    _segments: dict[int, tuple[Segment, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not any(w.weekdays for w in self.windows):
            raise CalendarError(f"calendar {self.name!r} has no working day in the week")

    # -- the working day -------------------------------------------------------------
    def closed_reason(self, day: date) -> str | None:
        """Why ``day`` has no working time although its weekday would (holiday, closure)."""
        if day in self.closures:
            return "announced closure"
        return self.holidays.on(day) if self.holidays else None

    def segments(self, day: date) -> tuple[Segment, ...]:
        """The working intervals (UTC) of one local calendar date, cached."""
        key = day.toordinal()
        found = self._segments.get(key)
        if found is None:
            found = self._build_segments(day)
            self._segments[key] = found
        return found

    def _build_segments(self, day: date) -> tuple[Segment, ...]:
        weekday = day.weekday()
        if not any(weekday in w.weekdays for w in self.windows) or self.closed_reason(day):
            return ()
        spans = sorted(
            (self._instant(day, w.open_minute), self._instant(day, w.close_minute))
            for w in self.windows
            if weekday in w.weekdays
        )
        return tuple(spans)

    def _instant(self, day: date, minute: int) -> datetime:
        extra_days, minute = divmod(minute, 1440)  # 1440 = 24:00, the next midnight
        local = datetime.combine(day + timedelta(days=extra_days), time(minute // 60, minute % 60))
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    def is_working_day(self, day: date) -> bool:
        return bool(self.segments(day))

    def day_length(self) -> timedelta:
        """Length of a normal working day; all working weekdays must agree."""
        lengths = {
            sum(w.close_minute - w.open_minute for w in self.windows if wd in w.weekdays)
            for wd in range(7)
        } - {0}
        if len(lengths) != 1:
            raise CalendarError(f"calendar {self.name!r} has working days of different lengths")
        return timedelta(minutes=lengths.pop())

    def local_date(self, t: datetime) -> date:
        return require_aware(t).astimezone(self.tz).date()

    # -- the four operations -----------------------------------------------------------
    def _days_from(self, t: datetime) -> Iterable[tuple[Segment, ...]]:
        """Each local date's segments, from the date of ``t`` on (windows close by midnight)."""
        first = self.local_date(t).toordinal()
        cache = self._segments
        for ordinal in range(first, first + SEARCH_LIMIT_DAYS):
            found = cache.get(ordinal)
            yield found if found is not None else self.segments(date.fromordinal(ordinal))
        raise CalendarError(f"calendar {self.name!r} has no working time within ten years of {t}")

    def is_open(self, t: datetime) -> bool:
        u = require_aware(t)
        return any(o <= u < c for o, c in self.segments(self.local_date(u)))

    def next_open(self, t: datetime) -> datetime:
        return self.add(t, ZERO)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which ``duration`` of working time has passed."""
        t = require_aware(start)
        remaining = duration
        for day in self._days_from(t):
            for seg_open, seg_close in day:
                if seg_close <= t:
                    continue
                available = seg_close - (seg_open if seg_open > t else t)
                if remaining <= available:
                    return seg_close - available + remaining
                remaining -= available
        raise AssertionError("unreachable: _days_from raises when it runs out")  # pragma: no cover

    def measure(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (zero if ``end`` is not after ``start``)."""
        t, stop = require_aware(start), require_aware(end)
        total = ZERO
        if stop <= t:
            return total
        for day in self._days_from(t):
            for seg_open, seg_close in day:
                if seg_open >= stop:
                    return total
                if seg_close > t:
                    total += min(seg_close, stop) - max(seg_open, t)
        raise AssertionError("unreachable: _days_from raises when it runs out")  # pragma: no cover

    def working_days_from(self, day: date) -> Iterable[date]:
        """Working dates from ``day`` (inclusive) onwards."""
        for offset in range(SEARCH_LIMIT_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                yield candidate
        raise CalendarError(f"calendar {self.name!r} has no working day within ten years of {day}")

    def close_of(self, day: date) -> datetime:
        """The last closing instant of a working date."""
        return self.segments(day)[-1][1]

    def open_of(self, day: date) -> datetime:
        """The first opening instant of a working date."""
        return self.segments(day)[0][0]


def whole_days_of(calendar: WorkingCalendar) -> WorkingCalendar:
    """The same working dates, each counted from 00:00 to 24:00 local time."""
    weekdays = frozenset().union(*(w.weekdays for w in calendar.windows))
    return WorkingCalendar(
        name=f"{calendar.name}-whole-days",
        tz=calendar.tz,
        windows=(Window(weekdays, 0, 1440),),
        holidays=calendar.holidays,
        closures=calendar.closures,
    )
