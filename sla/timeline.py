"""A working calendar's segments as sorted integer arrays, for fast exact arithmetic.

Instants are seconds since the Unix epoch (UTC) held as floats with whole values: every
boundary is a whole second and every value stays far below 2**53, so the arithmetic is exact
and needs no datetime objects. Instants or durations with microseconds take the exact
integer-microsecond methods (`add_us`, `position_us`). A `Span` covers a range of local dates and keeps, per
working segment, its opening and closing instant and the working time before and through
it; per local date, the UTC instant of its midnight; per working date, its last closing
instant. An addition is then two bisections and a measurement two positions subtracted.

A span is built whole from the calendar's own per-date segments (so the two cannot
disagree) and never changed afterwards: a calendar that needs more dates builds a larger
span and swaps it in, so a reader always sees one consistent set of arrays.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
DAY = 86_400
US = 1_000_000
CHUNK_DAYS = 366
"""Dates added at a time when a span grows."""
MARGIN_DAYS = 7

Segment = tuple[datetime, datetime]
SegmentsOf = Callable[[date], tuple[Segment, ...]]


class OutOfRange(LookupError):
    """The answer lies beyond the calendar's search limit."""


def to_us(t: datetime) -> int:
    """An aware instant as integer microseconds since the epoch."""
    return (t - EPOCH) // MICROSECOND


def local_midnight(tz: ZoneInfo, ordinal: int) -> float:
    """The instant local date ``ordinal`` begins in ``tz`` (seconds since the epoch)."""
    return datetime.combine(date.fromordinal(ordinal), time()).replace(tzinfo=tz).timestamp()


class Span:
    """Cumulative working time over local dates [first, end); instants [lo, hi) are covered."""

    __slots__ = ("before", "closes", "day_closes", "end", "first", "hi", "lo", "midnights", "opens",
                 "safe_hi", "through", "total", "work_days")

    def __init__(self, tz: ZoneInfo, segments_of: SegmentsOf, first: int, end: int) -> None:
        self.first, self.end = first, end
        self.opens: list[float] = []
        self.closes: list[float] = []
        self.before: list[float] = []  # working time before each segment
        self.through: list[float] = []  # working time up to each segment's close
        self.midnights = [local_midnight(tz, o) for o in range(first, end + 1)]
        self.work_days: list[int] = []  # ordinals of working dates
        self.day_closes: list[float] = []  # per working date, its last closing instant
        for ordinal in range(first, end):
            self._add_day(ordinal, _merged(segments_of(date.fromordinal(ordinal))))
        self.total = self.through[-1] if self.through else 0.0
        self.lo, self.hi = self.midnights[0], self.midnights[-1]
        self.safe_hi = self.hi - 2 * DAY  # an instant below it has a whole day covered after it

    def _add_day(self, ordinal: int, spans: list[tuple[float, float]]) -> None:
        total = self.through[-1] if self.through else 0.0
        for opens, closes in spans:
            self.opens.append(opens)
            self.closes.append(closes)
            self.before.append(total)
            total += closes - opens
            self.through.append(total)
        if spans:
            self.work_days.append(ordinal)
            self.day_closes.append(spans[-1][1])

    def ordinal(self, t: float) -> int:
        """The local date holding a covered instant."""
        return self.first + bisect_right(self.midnights, t) - 1

    def position(self, t: float) -> float:
        """Working time from the start of the span up to a covered instant."""
        i = bisect_right(self.closes, t)
        if i == len(self.closes):
            return self.total
        opens = self.opens[i]
        return self.before[i] + (t - opens if t > opens else 0)

    def add(self, t: float, amount: float) -> float | None:
        """The instant ``amount`` of working time after ``t`` (None: it lies past the span)."""
        closes = self.closes
        i = bisect_right(closes, t)
        if i == len(closes):
            return None
        opens, before, through = self.opens[i], self.before[i], self.through
        target = before + (t - opens if t > opens else 0) + amount
        if target <= through[i]:  # within the same segment (about half of all additions): no second search
            return opens + target - before
        j = bisect_left(through, target, i + 1)
        if j == len(through):
            return None
        return self.opens[j] + target - self.before[j]

    def position_us(self, us: int) -> int:
        """`position` of an instant in integer microseconds (exact below a second)."""
        i = bisect_right(self.closes, us // US)  # boundaries are whole seconds
        if i == len(self.closes):
            return int(self.total) * US
        return int(self.before[i]) * US + max(0, us - int(self.opens[i]) * US)

    def add_us(self, us: int, amount: int) -> int | None:
        """`add` in integer microseconds (exact below a second)."""
        if bisect_right(self.closes, us // US) == len(self.closes):
            return None
        target = self.position_us(us) + amount
        j = bisect_left(self.through, -(-target // US), bisect_right(self.closes, us // US))
        if j == len(self.through):
            return None
        return int(self.opens[j]) * US + target - int(self.before[j]) * US

    def segment_day(self, t: float) -> int:
        """The local date of the first segment closing at or after ``t``."""
        return self.ordinal(self.opens[bisect_left(self.closes, t)])

    def nth_working_day_after(self, ordinal: int, n: int) -> int:
        """Index into ``work_days`` of the n-th working date after ``ordinal`` (-1: past the span)."""
        k = bisect_right(self.work_days, ordinal) + n - 1
        return k if k < len(self.work_days) else -1


def grown(span: Span | None, tz: ZoneInfo, segments_of: SegmentsOf, t: float, later_days: int = 0) -> Span:
    """A span covering what ``span`` covers, the date of ``t`` and ``later_days`` beyond it."""
    day = datetime.fromtimestamp(t, tz).date().toordinal()
    if span is None:
        return Span(tz, segments_of, day - MARGIN_DAYS, day + CHUNK_DAYS + later_days)
    first = span.first if day - MARGIN_DAYS >= span.first else day - CHUNK_DAYS
    end = span.end if day + MARGIN_DAYS < span.end else day + CHUNK_DAYS
    return Span(tz, segments_of, first, end + later_days)


def _merged(segments: tuple[Segment, ...]) -> list[tuple[float, float]]:
    """One date's segments as sorted, non-overlapping spans in seconds."""
    spans: list[tuple[float, float]] = []
    for seg_open, seg_close in segments:
        opens, closes = seg_open.timestamp(), seg_close.timestamp()
        if spans and opens < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], closes))
        else:
            spans.append((opens, closes))
    return spans
