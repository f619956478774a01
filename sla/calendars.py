"""Calendars: when an SLA clock runs.

A calendar answers four questions about aware datetimes: is the clock running at ``t``
(`is_open`), when does it next run (`next_open`), when has ``duration`` of running time
passed since ``start`` (`add`), and how much running time lies between two instants
(`measure`). All arithmetic happens on UTC instants; local wall time is used only to
place each working day's window, so DST nights need no special case.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sla.errors import CalendarError
from sla.holiday_source import HolidaySource as HolidaySource  # re-exported: policies and tests name it here
from sla.holiday_source import check_holiday_source as check_holiday_source
from sla.timeline import (
    CHUNK_DAYS,
    DAY,
    EPOCH,
    MICROSECOND,
    NEAR_LIMIT,
    OFFSETS,
    SEARCH_LIMIT_DAYS,
    US,
    Segment,
    Span,
    grown,
    to_us,
)

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
SEARCH_LIMIT = SEARCH_LIMIT_DAYS * DAY
NEAR = timedelta(seconds=NEAR_LIMIT)


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
        return (start if start.tzinfo is UTC else require_aware(start)) + duration

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


@dataclass(eq=False)
class WorkingCalendar:
    """Working windows in a time zone, minus public holidays and announced closures."""

    name: str
    tz: ZoneInfo
    windows: tuple[Window, ...]
    holidays: HolidaySource | None = None
    closures: frozenset[date] = frozenset()
    _segments: dict[int, tuple[Segment, ...]] = field(default_factory=dict, repr=False)
    _span: Span | None = field(default=None, repr=False)

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

    # -- the four operations (arithmetic on a `Span` of seconds, see sla/timeline.py) -----
    def _covering(self, t: float, later_days: int = 0) -> Span:
        span = self._span = grown(self._span, self.tz, self.segments, t, later_days)
        return span

    def _span_for(self, t: float) -> Span:
        span = self._span
        return span if span is not None and span.lo <= t < span.safe_hi else self._covering(t)

    def is_open(self, t: datetime) -> bool:
        at = require_aware(t).timestamp()  # boundaries are whole seconds: a fraction cannot cross one
        span = self._span_for(at)
        i = bisect_right(span.closes, at)
        return i < len(span.closes) and span.opens[i] <= at

    def next_open(self, t: datetime) -> datetime:
        return self.add(t, ZERO)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which ``duration`` of working time has passed."""
        if start.tzinfo is not UTC:
            start = require_aware(start)
        if start.microsecond or duration.microseconds:
            return self._add_exact(start, duration)
        since = start - EPOCH  # whole seconds, cheaper than start.timestamp()
        t, amount = since.days * DAY + since.seconds, duration.days * DAY + duration.seconds
        span = self._span
        if span is not None and span.near_lo <= t < span.safe_hi:
            # `Span.add` written out: on this path a method call costs as much as a bisection
            closes = span.closes
            i = bisect_right(closes, t)
            if i < len(closes):
                opens, through = span.opens[i], span.through
                target = (t if t > opens else opens) - span.shift[i] + amount
                j = i if target <= through[i] else bisect_left(through, target, i + 1)
                if j < len(through):
                    return span.opened[j] + OFFSETS[target - span.before[j]]
        return self._grow_until(t, start, lambda s: s.add(t, amount))

    def _add_exact(self, start: datetime, duration: timedelta) -> datetime:
        """`add` in integer microseconds, for instants or durations finer than a second."""
        us, amount = to_us(start), duration // MICROSECOND
        due = self._span_for(us // US).add_us(us, amount)
        if due is None or due - start > NEAR:
            due = self._grow_until(us // US, start, lambda s: s.add_us(us, amount))
        return due

    def _grow_until(self, t: float, start: datetime, attempt: Callable[[Span], datetime | None]) -> datetime:
        """Grow the span until ``attempt`` answers, up to ten years of dates after ``t``."""
        span = self._span_for(t)
        while (due := attempt(span)) is None and span.hi - t <= SEARCH_LIMIT:
            span = self._covering(t, CHUNK_DAYS)
        if due is None or span.segment_day(-(-to_us(due) // US)) >= span.ordinal(t) + SEARCH_LIMIT_DAYS:
            raise CalendarError(f"calendar {self.name!r} has no working time within ten years of {start}")
        return due

    def measure(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (zero if ``end`` is not after ``start``)."""
        a, b = require_aware(start), require_aware(end)
        if b <= a:
            return ZERO
        t, stop = a.timestamp(), b.timestamp()
        span = self._span
        if span is None or not (span.lo <= t and stop < span.safe_hi):
            self._covering(t)
            span = self._covering(stop)
        if a.microsecond or b.microsecond:
            return timedelta(0, 0, span.position_us(to_us(b)) - span.position_us(to_us(a)))
        return timedelta(0, span.position(stop) - span.position(t))

    def close_after_working_days(self, t: datetime, n: int) -> datetime:
        """The last closing instant of the n-th (n >= 1) working date after the local date of ``t``."""
        at = require_aware(t).timestamp()
        span = self._span_for(at)
        day = span.ordinal(at)
        k = span.nth_working_day_after(day, n)
        while k < 0 and span.end <= day + 1 + SEARCH_LIMIT_DAYS:
            span = self._covering(at, CHUNK_DAYS)
            k = span.nth_working_day_after(day, n)
        if k < 0 or span.work_days[k] >= day + 1 + SEARCH_LIMIT_DAYS:
            raise CalendarError(f"calendar {self.name!r} has no working day within ten years of "
                                f"{date.fromordinal(day + 1)}")
        return datetime.fromtimestamp(span.day_closes[k], UTC)

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
