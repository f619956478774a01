"""Start times as people type them, read in their own zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dialogs.timeparse import TimeInFuture, TimeNotUnderstood, parse_started_at

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 7, 16, 10, 30, tzinfo=UTC)  # Wednesday 11:30 BST


@pytest.mark.parametrize(("text", "expected"), [
    ("10 minutes ago", "2025-07-16T10:20:00+00:00"),
    ("about 10 mins ago", "2025-07-16T10:20:00+00:00"),
    ("an hour ago", "2025-07-16T09:30:00+00:00"),
    ("half an hour ago", "2025-07-16T10:00:00+00:00"),
    ("2 hours ago", "2025-07-16T08:30:00+00:00"),
    ("since 9:40", "2025-07-16T08:40:00+00:00"),
    ("09:40", "2025-07-16T08:40:00+00:00"),
    ("9.40am", "2025-07-16T08:40:00+00:00"),
    ("yesterday 17:10", "2025-07-15T16:10:00+00:00"),
    ("Yesterday at 5pm", "2025-07-15T16:00:00+00:00"),
    ("monday 14:00", "2025-07-14T13:00:00+00:00"),
    ("2025-07-15T22:05", "2025-07-15T21:05:00+00:00"),
    ("2025-07-15 22:05", "2025-07-15T21:05:00+00:00"),
    ("2025-07-15T22:05:00+00:00", "2025-07-15T22:05:00+00:00"),
    ("15/07/2025 22:05", "2025-07-15T21:05:00+00:00"),
    ("now", "2025-07-16T10:30:00+00:00"),
])
def test_readable_times(text: str, expected: str) -> None:
    assert parse_started_at(text, now=NOW, tz=LONDON) == datetime.fromisoformat(expected)


def test_the_users_zone_decides() -> None:
    new_york = ZoneInfo("America/New_York")  # 06:30 EDT at NOW
    assert parse_started_at("05:40", now=NOW, tz=new_york) == datetime(2025, 7, 16, 9, 40, tzinfo=UTC)


@pytest.mark.parametrize("text", ["12:00", "in 10 minutes", "tomorrow 09:00", "2025-07-17 09:00"])
def test_future_or_unreadable_is_asked_again_with_an_example(text: str) -> None:
    with pytest.raises((TimeInFuture, TimeNotUnderstood)) as caught:
        parse_started_at(text, now=NOW, tz=LONDON)
    assert "10 minutes ago" in str(caught.value)


def test_a_later_clock_time_today_suggests_yesterday() -> None:
    with pytest.raises(TimeInFuture, match="yesterday 12:00"):
        parse_started_at("12:00", now=NOW, tz=LONDON)


@pytest.mark.parametrize("text", ["soon-ish", "5", "25:00", "13pm", "2025-02-30 10:00", "31/02/2025 10:00", ""])
def test_unreadable_text(text: str) -> None:
    with pytest.raises(TimeNotUnderstood, match="couldn't read"):
        parse_started_at(text, now=NOW, tz=LONDON)


def test_more_than_a_year_ago_is_questioned() -> None:
    with pytest.raises(TimeNotUnderstood, match="more than a year ago"):
        parse_started_at("2023-01-01 10:00", now=NOW, tz=LONDON)
