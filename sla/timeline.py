"""A working calendar's segments as sorted integer arrays, for fast exact arithmetic.

Instants are whole seconds since the Unix epoch (UTC) held as integers: every boundary is a
whole second, so the arithmetic is exact and needs no datetime objects until the answer.
Instants or durations with microseconds take the exact integer-microsecond methods (`add_us`,
`position_us`). A `Span` covers a range of local dates and keeps, per working segment, its
opening (as seconds and as a UTC datetime) and closing instant and the working time before and
through it; per local date, the UTC instant of its midnight; per working date, its last
closing instant. An addition is then at most two bisections, and its answer the segment's
opening datetime plus a timedelta taken from a shared table of whole seconds (`OFFSETS`), which
costs less than building a datetime from a timestamp; a measurement is two positions subtracted.

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
SECOND = timedelta(seconds=1)
DAY = 86_400
US = 1_000_000
SEARCH_LIMIT_DAYS = 3660
"""How far ahead a calendar looks for working time before it gives up (ten years)."""
NEAR_LIMIT = (SEARCH_LIMIT_DAYS - 2) * DAY
"""An addition reaching further than this is checked against the limit date by date."""
LONGEST_SEGMENT = 3 * DAY
"""A working segment lies within one local date, and no date has lasted 72 hours (the longest, 48)."""
OFFSETS: list[timedelta] = []
"""``OFFSETS[k]`` is k seconds, for k up to the longest working segment laid out so far."""
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


def to_seconds(t: datetime) -> int:
    """An aware instant as whole seconds since the epoch (a fraction is dropped)."""
    return (t - EPOCH) // SECOND


def local_midnight(tz: ZoneInfo, ordinal: int) -> int:
    """The instant local date ``ordinal`` begins in ``tz`` (seconds since the epoch)."""
    return to_seconds(datetime.combine(date.fromordinal(ordinal), time()).replace(tzinfo=tz))


def offsets_upto(table: list[timedelta], seconds: int) -> None:
    """Extend a table like `OFFSETS` to hold every whole number of seconds up to ``seconds`` (a segment's length)."""
    if seconds > LONGEST_SEGMENT:
        raise ValueError(f"a working segment of {seconds} s is longer than any local date")
    while len(table) <= seconds:
        table.append(timedelta(0, len(table)))


class Span:
    """Cumulative working time over local dates [first, end); instants [lo, hi) are covered.

    An addition from an instant in [near_lo, safe_hi) that ends inside the span needs no
    other check: a whole day is laid out after the instant, and the answer lies less than
    `NEAR_LIMIT` after it.
    """

    __slots__ = ("before", "closes", "day_closes", "end", "first", "hi", "lo", "midnights", "near_lo",
                 "opened", "opens", "safe_hi", "shift", "through", "total", "work_days")

    def __init__(self, tz: ZoneInfo, segments_of: SegmentsOf, first: int, end: int) -> None:
        self.first, self.end = first, end
        self.opens: list[int] = []
        self.opened: list[datetime] = []  # each opening as a UTC datetime
        self.closes: list[int] = []
        self.before: list[int] = []  # working time before each segment
        self.shift: list[int] = []  # opening minus working time before it: instant = working time + shift
        self.through: list[int] = []  # working time up to each segment's close
        self.midnights = [local_midnight(tz, o) for o in range(first, end + 1)]
        self.work_days: list[int] = []  # ordinals of working dates
        self.day_closes: list[int] = []  # per working date, its last closing instant
        for ordinal in range(first, end):
            self._add_day(ordinal, _merged(segments_of(date.fromordinal(ordinal))))
        self.total = self.through[-1] if self.through else 0
        self.lo, self.hi = self.midnights[0], self.midnights[-1]
        self.safe_hi = self.hi - 2 * DAY  # an instant below it has a whole day covered after it
        self.near_lo = max(self.lo, self.hi - NEAR_LIMIT)  # from here on, all of the span is near
        offsets_upto(OFFSETS, max((c - o for o, c in zip(self.opens, self.closes, strict=True)), default=0))

    def _add_day(self, ordinal: int, spans: list[tuple[int, int]]) -> None:
        total = self.through[-1] if self.through else 0
        for opens, closes in spans:
            self.opens.append(opens)
            self.opened.append(EPOCH + timedelta(0, opens))
            self.closes.append(closes)
            self.before.append(total)
            self.shift.append(opens - total)
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
        return (t if t > opens else opens) - self.shift[i]

    def add(self, t: int, amount: int) -> datetime | None:
        """The instant ``amount`` of working time after ``t`` (None: it lies past the span)."""
        closes = self.closes
        i = bisect_right(closes, t)
        if i == len(closes):
            return None
        opens, through = self.opens[i], self.through
        target = (t if t > opens else opens) - self.shift[i] + amount  # working time up to the answer
        # within the same segment (about half of all additions) there is no second search
        j = i if target <= through[i] else bisect_left(through, target, i + 1)
        if j == len(through):
            return None
        return self.opened[j] + OFFSETS[target - self.before[j]]

    def position_us(self, us: int) -> int:
        """`position` of an instant in integer microseconds (exact below a second)."""
        i = bisect_right(self.closes, us // US)  # boundaries are whole seconds
        if i == len(self.closes):
            return self.total * US
        return self.before[i] * US + max(0, us - self.opens[i] * US)

    def add_us(self, us: int, amount: int) -> datetime | None:
        """`add` from an instant in integer microseconds, for an amount in microseconds (exact below a second)."""
        if bisect_right(self.closes, us // US) == len(self.closes):
            return None
        target = self.position_us(us) + amount
        j = bisect_left(self.through, -(-target // US), bisect_right(self.closes, us // US))
        if j == len(self.through):
            return None
        return self.opened[j] + timedelta(0, 0, target - self.before[j] * US)

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


def _merged(segments: tuple[Segment, ...]) -> list[tuple[int, int]]:
    """One date's segments as sorted, non-overlapping spans in seconds."""
    spans: list[tuple[int, int]] = []
    for seg_open, seg_close in segments:
        opens, closes = to_seconds(seg_open), to_seconds(seg_close)
        if spans and opens < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], closes))
        else:
            spans.append((opens, closes))
    return spans
