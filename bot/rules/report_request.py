"""`report [customer] [month]` as typed: a pure reading of the words (no storage, no time of its own)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS = {name: n for n, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
RELATIVE = {"last month": -1, "this month": 0}


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> Month:
        n = self.year * 12 + self.month - 1 + months
        return Month(n // 12, n % 12 + 1)


@dataclass(frozen=True)
class ReportRequest:
    """`report [customer] [month]` as typed: the customer's words (maybe empty) and the month, if any was named."""

    customer: str
    month: Month | None


class MonthError(ValueError):
    """The month could not be read; the message says how to write it."""


def month_from_key(key: str) -> Month:
    """``YYYY-MM`` as a month (MonthError otherwise)."""
    found = ISO_MONTH.match(key.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise MonthError(f"“{key}” is not a month; write it as 2025-11, “November 2025” or “last month”")
    return Month(int(found.group(1)), int(found.group(2)))


def _named_month(words: list[str], today: date) -> tuple[Month, int] | None:
    """A month at the end of ``words`` and how many words it took; a bare month name is its latest past one."""
    current = Month(today.year, today.month)
    tail2 = " ".join(words[-2:]).lower()
    if len(words) >= 2 and tail2 in RELATIVE:
        return current.shifted(RELATIVE[tail2]), 2
    if words and ISO_MONTH.match(words[-1]):
        return month_from_key(words[-1]), 1
    if len(words) >= 2 and words[-2].lower() in MONTHS and words[-1].isdigit() and len(words[-1]) == 4:
        return Month(int(words[-1]), MONTHS[words[-2].lower()]), 2
    if words and words[-1].lower() in MONTHS:
        number = MONTHS[words[-1].lower()]
        return Month(today.year if number <= today.month else today.year - 1, number), 1
    return None


def parse_report(text: str, today: date) -> ReportRequest | None:
    """`report [customer] [month]`, or None when the message is not a report command."""
    words = text.split()
    if not words or words[0].lower() != "report":
        return None
    rest = words[1:]
    named = _named_month(rest, today)
    if named is None:
        return ReportRequest(" ".join(rest), None)
    month, used = named
    return ReportRequest(" ".join(rest[:len(rest) - used]), month)


def is_own_report(text: str) -> bool:
    """`report` alone or with a month only: what a customer's user types for their own report."""
    request = parse_report(text, date(2000, 1, 1))
    return request is not None and not request.customer


def default_month(today: date) -> Month:
    """The month a report is for when none is named: the last full calendar month."""
    return Month(today.year, today.month).shifted(-1)
