"""Report inputs (mirroring bot/store's Ticket and Event) and the report period."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sla.calendars import require_aware
from sla.errors import RequestError
from sla.model import Policy

EXCLUDED_EVENT = "excluded_event"
"""Audit kind marking a ticket as an Excluded Event (e.g. Vodafone §12.15); data: {"clause": ...}."""


@dataclass(frozen=True)
class ReportEvent:
    """One audit entry, with the same field names as ``bot.store.tickets.Event``."""

    kind: str
    at: datetime
    after: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ReportTicket:
    """A stored ticket as the report needs it; fields named as ``bot.store.tickets.Ticket``.

    ``policy`` is the ticket's own policy snapshot (as ``bot.services.views.policy_of`` builds it),
    ``services`` the report's ``services`` list, ``events`` its audit log in sequence order.
    """

    reference: str
    category: str
    priority: str | None
    channel: str
    reported_at: datetime
    policy: Policy
    events: tuple[ReportEvent | StoredEvent, ...]
    services: tuple[str, ...] = ()


class StoredEvent(Protocol):
    """What the report reads of a stored audit entry (``bot.store.tickets.Event`` has it)."""

    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def after(self) -> Mapping[str, Any] | None: ...
    @property
    def data(self) -> Mapping[str, Any] | None: ...


class StoredTicket(Protocol):
    """What the report reads of a stored ticket (``bot.store.tickets.Ticket`` has it)."""

    @property
    def reference(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def priority(self) -> str | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def reported_at(self) -> datetime: ...
    @property
    def report(self) -> Mapping[str, Any]: ...


def from_store(ticket: StoredTicket, events: Iterable[StoredEvent], policy: Policy) -> ReportTicket:
    """A stored ticket and its audit log (in sequence order) as report input; ``policy`` is its snapshot's."""
    return ReportTicket(ticket.reference, ticket.category, ticket.priority, ticket.channel, ticket.reported_at,
                        policy, tuple(events),  # read through the StoredEvent fields only, so kept as they are
                        tuple(str(s) for s in ticket.report.get("services", ())))


@dataclass(frozen=True)
class Period:
    """A half-open range of instants [start, end), named for the reader."""

    start: datetime
    end: datetime
    label: str = ""
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    def __post_init__(self) -> None:
        if require_aware(self.end) <= require_aware(self.start):
            raise RequestError("a report period must end after it starts; give the later date second")

    def contains(self, t: datetime) -> bool:
        return self.start <= t < self.end


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """00:00 of ``day`` on the local wall clock, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def month_period(year: int, month: int, tz: ZoneInfo) -> Period:
    """The calendar month in the customer's time zone."""
    if not 1 <= month <= 12:
        raise RequestError(f"month must be 1 to 12; got {month}")
    first = date(year, month, 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(local_midnight(first, tz), local_midnight(following, tz), first.strftime("%B %Y"), tz)


def date_range_period(first: date, last: date, tz: ZoneInfo) -> Period:
    """Whole local days from ``first`` to ``last`` inclusive."""
    label = f"{first.isoformat()} to {last.isoformat()}"
    return Period(local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz), label, tz)
