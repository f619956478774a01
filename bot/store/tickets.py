"""Tickets and their append-only event log; references unique per customer and never reused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Text, cast, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.db import Database
from bot.store.schema import policy_snapshots, reference_counters, ticket_events, ticket_subscribers, tickets, timers


@dataclass(frozen=True)
class _Report:
    """What a ticket is about: the fields shared by a new ticket and a stored one."""

    customer_id: str
    category: str
    priority: str | None
    channel: str
    policy_id: str
    policy_snapshot: Mapping[str, Any]
    reported_at: datetime
    started_at: datetime | None
    report: Mapping[str, Any]
    classification: Mapping[str, Any]
    reporter_id: str
    reporter_name: str
    reporter_conversation_id: str


@dataclass(frozen=True)
class NewTicket(_Report):
    """What intake hands over when a reporter confirms."""

    reference_prefix: str = ""


@dataclass(frozen=True)
class Ticket(_Report):
    """A stored ticket."""

    id: int = 0
    reference: str = ""
    status: str = "open"
    reporter_activity_id: str | None = None
    channel_conversation_id: str | None = None
    channel_activity_id: str | None = None
    assignee_id: str | None = None
    assignee_name: str | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    policy_hash: str = ""
    """The content hash of ``policy_snapshot`` (see `snapshot_hash`); a stored ticket always has one."""


@dataclass(frozen=True)
class Event:
    """One entry of a ticket's audit log: who did what, when, before and after."""

    ticket_id: int
    seq: int
    kind: str
    at: datetime
    actor_id: str | None
    actor_name: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    data: Mapping[str, Any] | None


@dataclass(frozen=True)
class Subscriber:
    """Someone following a ticket they did not open (``source``: joined at intake, or merged in)."""

    ticket_id: int
    subscriber_id: str
    subscriber_name: str
    conversation_id: str
    tenant_id: str | None
    service_url: str | None
    activity_id: str | None
    source: str
    from_ticket_id: int | None
    join_key: str
    status: str
    joined_at: datetime


ACTIVE, SPLIT = "active", "split"
CLOSED = ("resolved", "merged")
"""Statuses of a ticket that is no longer open: resolved, or merged into another."""
OFFERED_AT_MOST = 20
"""A new report is matched against (and "is there a known issue?" lists) the customer's 20 newest open tickets."""
T = TypeVar("T")
InTransaction = Callable[[AsyncConnection], Awaitable[None]]


def _row(cls: type[T], row: Any) -> T:
    mapping = row._mapping
    return cls(**{f.name: mapping[f.name] for f in fields(cls)})  # type: ignore[arg-type]


def snapshot_hash(snapshot: Mapping[str, Any]) -> str:
    """A policy snapshot's content hash: the SHA-256 of its canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_SNAPSHOTS: dict[str, Mapping[str, Any]] = {}
"""Snapshot bodies by hash, shared by the process (a hash's body never changes); read, never mutate."""
KEEP_SNAPSHOTS = 1024


async def _snapshots(conn: AsyncConnection, hashes: set[str]) -> dict[str, Mapping[str, Any]]:
    """The bodies of these snapshots: from the process's cache, the others read (and cached) in one query."""
    known = {digest: _SNAPSHOTS[digest] for digest in hashes if digest in _SNAPSHOTS}
    if len(known) < len(hashes):
        query = select(policy_snapshots).where(policy_snapshots.c.hash.in_(hashes - known.keys()))
        found = {row.hash: row.body for row in await conn.execute(query)}
        if len(_SNAPSHOTS) + len(found) > KEEP_SNAPSHOTS:
            _SNAPSHOTS.clear()
        _SNAPSHOTS.update(found)
        known.update(found)
    return known


async def _tickets(conn: AsyncConnection, rows: Iterable[Any]) -> list[Ticket]:
    """Stored tickets from rows of `tickets`, each with its policy snapshot (read once per process per hash)."""
    rows = list(rows)
    bodies = await _snapshots(conn, {row.policy_hash for row in rows})
    return [_stored(row, bodies[row.policy_hash]) for row in rows]


def _stored(row: Any, snapshot: Mapping[str, Any]) -> Ticket:
    values: dict[str, Any] = {f.name: row._mapping[f.name] for f in fields(Ticket) if f.name != "policy_snapshot"}
    return Ticket(**values, policy_snapshot=snapshot)


async def _ticket(conn: AsyncConnection, query: Any) -> Ticket | None:
    """The ticket the query selects from `tickets`, if any."""
    row = (await conn.execute(query)).one_or_none()
    return None if row is None else (await _tickets(conn, [row]))[0]


async def _the_ticket(conn: AsyncConnection, ticket_id: int, query: Any = None) -> Ticket:
    """The ticket with this id (``query``: selected so, e.g. locked), which must exist."""
    row = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id) if query is None else query)).one()
    return (await _tickets(conn, [row]))[0]


def format_reference(prefix: str, number: int) -> str:
    """ACME-000123: six digits, more when a customer passes a million tickets."""
    return f"{prefix}-{number:06d}"


class TicketStore:
    """Ticket persistence over one `Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _next_number(self, conn: AsyncConnection, customer_id: str) -> int:
        statement = (
            self.db.insert(reference_counters)
            .values(customer_id=customer_id, last_number=1)
            .on_conflict_do_update(index_elements=["customer_id"],
                                   set_={"last_number": reference_counters.c.last_number + 1})
            .returning(reference_counters.c.last_number)
        )
        return int((await conn.execute(statement)).scalar_one())

    async def create(self, new: NewTicket, *, at: datetime) -> Ticket:
        """Store a ticket with a fresh reference and its 'opened' event, in one transaction."""
        async with self.db.write() as conn:
            return await self._insert(conn, new, at, None)

    async def open(self, new: NewTicket, *, at: datetime, key: str, prepare: InTransaction | None = None,
                   also: Callable[[AsyncConnection, Ticket], Awaitable[None]] | None = None) -> tuple[Ticket, bool]:
        """Exactly one ticket per report ``key``: (the ticket, True) when this call opened it, else (the one opened
        before, False). ``prepare`` runs first in the same transaction (it may raise to open nothing); ``also`` runs
        after the insert (queue what the ticket causes) — all of it commits together or not at all."""
        try:
            async with self.db.write() as conn:
                if prepare is not None:
                    await prepare(conn)
                found = (await conn.execute(select(tickets).where(tickets.c.intake_key == key))).one_or_none()
                if found is not None:
                    return (await _tickets(conn, [found]))[0], False
                ticket = await self._insert(conn, new, at, key)
                if also is not None:
                    await also(conn, ticket)
                return ticket, True
        except IntegrityError:  # the same report opened concurrently: that ticket is the one
            existing = await self.by_intake_key(key)
            if existing is None:
                raise
            return existing, False

    async def _insert(self, conn: AsyncConnection, new: NewTicket, at: datetime, key: str | None) -> Ticket:
        number = await self._next_number(conn, new.customer_id)
        values = {f.name: getattr(new, f.name) for f in fields(_Report) if f.name != "policy_snapshot"}
        values |= {"policy_hash": await self._keep_snapshot(conn, new.policy_snapshot),
                   "reference": format_reference(new.reference_prefix, number), "status": "open",
                   "version": 1, "created_at": at, "updated_at": at, "intake_key": key}
        ticket_id = (await conn.execute(tickets.insert().values(**values).returning(tickets.c.id))).scalar_one()
        await self._append(conn, ticket_id, kind="opened", at=at, actor_id=new.reporter_id,
                           actor_name=new.reporter_name, before=None,
                           after={"status": "open", "priority": new.priority, "category": new.category},
                           data={"channel": new.channel, "reported_at": new.reported_at.isoformat()})
        return await _the_ticket(conn, ticket_id)

    async def _keep_snapshot(self, conn: AsyncConnection, snapshot: Mapping[str, Any]) -> str:
        """Store the policy snapshot unless a ticket opened under the same one stored it already; its hash."""
        digest = snapshot_hash(snapshot)
        if (await conn.execute(select(policy_snapshots.c.hash).where(policy_snapshots.c.hash == digest))).first():
            return digest
        await conn.execute(self.db.insert(policy_snapshots).values(hash=digest, body=dict(snapshot))
                           .on_conflict_do_nothing(index_elements=["hash"]))
        return digest

    async def by_intake_key(self, key: str) -> Ticket | None:
        """The ticket opened from the report with this idempotency key, if any."""
        async with self.db.read() as conn:
            return await _ticket(conn, select(tickets).where(tickets.c.intake_key == key))

    async def get(self, ticket_id: int) -> Ticket | None:
        async with self.db.read() as conn:
            return await _ticket(conn, select(tickets).where(tickets.c.id == ticket_id))

    async def with_events(self, ticket_ids: Iterable[int]) -> dict[int, tuple[Ticket, list[Event]]]:
        """Tickets and their events by id, read together (two queries, however many tickets); unknown ids are
        left out."""
        ids = sorted(set(ticket_ids))
        if not ids:
            return {}
        async with self.db.read() as conn:
            found = await _tickets(conn, await conn.execute(select(tickets).where(tickets.c.id.in_(ids))))
            events: dict[int, list[Event]] = {ticket.id: [] for ticket in found}
            rows = await conn.execute(select(ticket_events).where(ticket_events.c.ticket_id.in_(ids))
                                      .order_by(ticket_events.c.ticket_id, ticket_events.c.seq))
            for row in rows:
                events[row.ticket_id].append(_row(Event, row))
        return {ticket.id: (ticket, events[ticket.id]) for ticket in found}

    async def by_reference(self, reference: str) -> Ticket | None:
        async with self.db.read() as conn:
            return await _ticket(conn, select(tickets).where(tickets.c.reference == reference))

    async def count(self, customer_id: str | None = None) -> int:
        query = select(func.count()).select_from(tickets)
        if customer_id:
            query = query.where(tickets.c.customer_id == customer_id)
        async with self.db.read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def _append(self, conn: AsyncConnection, ticket_id: int, **event: Any) -> int:
        await self.lock(conn, ticket_id)  # one writer per ticket at a time; SQLite is serialised already
        seq = (await conn.execute(select(func.coalesce(func.max(ticket_events.c.seq), 0) + 1)
                                  .where(ticket_events.c.ticket_id == ticket_id))).scalar_one()
        await conn.execute(ticket_events.insert().values(ticket_id=ticket_id, seq=seq, **event))
        return int(seq)

    async def note(self, ticket_id: int, *, kind: str, at: datetime, data: Mapping[str, Any],
                   actor_id: str | None = None, actor_name: str | None = None,
                   conn: AsyncConnection | None = None) -> int:
        """Append an event that changes no ticket field (e.g. a failed post), returning its sequence number;
        ``conn``: inside that transaction."""
        if conn is not None:
            return await self._append(conn, ticket_id, kind=kind, at=at, actor_id=actor_id, actor_name=actor_name,
                                      before=None, after=None, data=dict(data))
        async with self.db.write() as own:
            return await self.note(ticket_id, kind=kind, at=at, data=data, actor_id=actor_id, actor_name=actor_name,
                                   conn=own)

    async def record_messages(self, ticket_id: int, *, at: datetime, conn: AsyncConnection | None = None,
                              **columns: str | None) -> None:
        """Remember where the ticket's cards were posted (reporter chat, channel thread)."""
        allowed = {"reporter_activity_id", "channel_conversation_id", "channel_activity_id"}
        unknown = set(columns) - allowed
        if unknown:
            raise ValueError(f"not a message column: {sorted(unknown)}")
        statement = update(tickets).where(tickets.c.id == ticket_id).values(updated_at=at, **columns)
        if conn is not None:
            await conn.execute(statement)
            return
        async with self.db.write() as own:
            await own.execute(statement)

    async def transition(self, ticket_id: int, *, at: datetime, actor_id: str, actor_name: str,
                         decide: Callable[[Ticket, list[Event]], Any],
                         also: Callable[[AsyncConnection, Ticket, Any], Awaitable[None]] | None = None,
                         ) -> tuple[Ticket, Any]:
        """Decide on the ticket as it is inside one locked transaction; store an accepted change as one event.

        ``decide`` returns an object with ``kind``, ``columns`` and ``data`` (a change) or anything else
        (a refusal, stored nowhere). Concurrent transitions of one ticket are serialised, so none is lost.
        ``also`` writes what the accepted change causes (its queued messages) in the same transaction.
        """
        async with self.db.write() as conn:
            query = select(tickets).where(tickets.c.id == ticket_id)
            if not self.db.is_sqlite:
                query = query.with_for_update()
            ticket = await _the_ticket(conn, ticket_id, query)
            found = await conn.execute(select(ticket_events).where(ticket_events.c.ticket_id == ticket_id)
                                       .order_by(ticket_events.c.seq))
            decision = decide(ticket, [_row(Event, r) for r in found])
            if not hasattr(decision, "columns"):
                return ticket, decision
            columns = dict(decision.columns)
            before = {k: getattr(ticket, k) for k in columns}
            await conn.execute(update(tickets).where(tickets.c.id == ticket_id)
                               .values(**columns, version=tickets.c.version + 1, updated_at=at))
            await self._append(conn, ticket_id, kind=decision.kind, at=at, actor_id=actor_id, actor_name=actor_name,
                               before=before or None, after=columns or None, data=dict(decision.data) or None)
            changed = await _the_ticket(conn, ticket_id)
            if also is not None:
                await also(conn, changed, decision)
            return changed, decision

    async def by_channel_thread(self, conversation_id: str) -> Ticket | None:
        """The ticket whose engineer card started this channel thread."""
        async with self.db.read() as conn:
            return await _ticket(conn, select(tickets).where(tickets.c.channel_conversation_id == conversation_id))

    async def open_tickets(self, *, assignee_id: str | None = None, reporter_id: str | None = None) -> list[Ticket]:
        """Tickets not yet resolved (nor merged), assigned to, reported or followed by someone."""
        query = select(tickets).where(tickets.c.status.not_in(CLOSED))
        if assignee_id is not None:
            query = query.where(tickets.c.assignee_id == assignee_id)
        if reporter_id is not None:
            following = select(ticket_subscribers.c.ticket_id).where(
                ticket_subscribers.c.subscriber_id == reporter_id, ticket_subscribers.c.status == ACTIVE)
            query = query.where(or_(tickets.c.reporter_id == reporter_id, tickets.c.id.in_(following)))
        async with self.db.read() as conn:
            return await _tickets(conn, await conn.execute(query.order_by(tickets.c.id)))

    async def customer_tickets(self, customer_id: str, *, open_only: bool = False) -> list[Ticket]:
        """A customer's tickets (only the open ones — neither resolved nor merged — with ``open_only``), oldest
        first; tickets opened under one policy share its snapshot, read once."""
        query = select(tickets).where(tickets.c.customer_id == customer_id)
        if open_only:
            query = query.where(tickets.c.status.not_in(CLOSED))
        async with self.db.read() as conn:
            return await _tickets(conn, await conn.execute(query.order_by(tickets.c.id)))

    async def events_of(self, ticket_ids: Sequence[int]) -> dict[int, list[Event]]:
        """The events of many tickets at once, each ticket's in order (for reports and the board; read-only: equal
        JSON values may be one shared object)."""
        found: dict[int, list[Event]] = {i: [] for i in ticket_ids}
        ids = sorted(found)
        e = ticket_events.c
        columns = (e.ticket_id, e.seq, e.kind, e.at, e.actor_id, e.actor_name,
                   *(cast(c, Text).label(c.name) for c in (e.before, e.after, e.data)))
        decoded: dict[str, Any] = {"null": None}
        async with self.db.read() as conn:
            for start in range(0, len(ids), 500):  # within every database's limit on bound parameters
                query = select(*columns).where(e.ticket_id.in_(ids[start:start + 500])).order_by(e.ticket_id, e.seq)
                for ticket_id, seq, kind, at, actor_id, actor_name, *raw in await conn.execute(query):
                    before, after, data = (None if text is None else decoded[text] if text in decoded
                                           else decoded.setdefault(text, json.loads(text)) for text in raw)
                    found[ticket_id].append(Event(ticket_id, seq, kind, at, actor_id, actor_name, before, after, data))
        return found

    async def open_for_customer(self, customer_id: str, since: datetime, limit: int = OFFERED_AT_MOST
                                ) -> list[Ticket]:
        """The customer's newest open tickets reported since ``since`` (what a new report may repeat), oldest
        first: at most ``limit``, so a report's first turn costs the same however many are open."""
        query = select(tickets).where(tickets.c.customer_id == customer_id, tickets.c.status.not_in(CLOSED),
                                      tickets.c.reported_at >= since).order_by(tickets.c.id.desc()).limit(limit)
        async with self.db.read() as conn:
            return (await _tickets(conn, await conn.execute(query)))[::-1]

    # -- subscribers -------------------------------------------------------------------------------------
    async def subscribers(self, ticket_id: int, conn: AsyncConnection | None = None) -> list[Subscriber]:
        """Who follows the ticket now, in the order they joined."""
        query = select(ticket_subscribers).where(ticket_subscribers.c.ticket_id == ticket_id,
                                                 ticket_subscribers.c.status == ACTIVE).order_by(
            ticket_subscribers.c.id)
        if conn is not None:
            return [_row(Subscriber, row) for row in await conn.execute(query)]
        async with self.db.read() as own:
            return [_row(Subscriber, row) for row in await own.execute(query)]

    async def subscriber_count(self, conn: AsyncConnection, ticket_id: int) -> int:
        """How many follow the ticket now."""
        return int((await conn.execute(select(func.count()).select_from(ticket_subscribers).where(
            ticket_subscribers.c.ticket_id == ticket_id, ticket_subscribers.c.status == ACTIVE))).scalar_one())

    async def subscription(self, join_key: str) -> Subscriber | None:
        """The subscription a join (a report's key, or a merge's) made, if it did."""
        async with self.db.read() as conn:
            row = (await conn.execute(select(ticket_subscribers).where(ticket_subscribers.c.join_key == join_key))
                   ).one_or_none()
            return None if row is None else _row(Subscriber, row)

    async def lock(self, conn: AsyncConnection, ticket_id: int) -> None:
        """Hold the ticket's row for this transaction before anything refers to it (a subscription's foreign key
        would take a weaker lock first, and two such transactions then deadlock upgrading it)."""
        if not self.db.is_sqlite:
            await conn.execute(select(tickets.c.id).where(tickets.c.id == ticket_id).with_for_update())

    async def subscribe(self, conn: AsyncConnection, subscriber: Subscriber) -> bool:
        """Add (or re-activate) a follower inside the caller's transaction; False when they already follow it."""
        values = {f.name: getattr(subscriber, f.name) for f in fields(Subscriber)}
        found = (await conn.execute(select(ticket_subscribers.c.status, ticket_subscribers.c.id).where(
            ticket_subscribers.c.ticket_id == subscriber.ticket_id,
            ticket_subscribers.c.subscriber_id == subscriber.subscriber_id))).one_or_none()
        if found is None:
            inserted = await conn.execute(self.db.insert(ticket_subscribers).values(**values)
                                          .on_conflict_do_nothing().returning(ticket_subscribers.c.id))
            return inserted.one_or_none() is not None
        if found.status == ACTIVE:
            return False
        await conn.execute(update(ticket_subscribers).where(ticket_subscribers.c.id == found.id)
                           .values(**values, left_at=None))
        return True

    async def unsubscribe(self, conn: AsyncConnection, ticket_id: int, subscriber_id: str, at: datetime) -> bool:
        """Stop a follower (a split); False when they did not follow it."""
        done = await conn.execute(update(ticket_subscribers).where(
            ticket_subscribers.c.ticket_id == ticket_id, ticket_subscribers.c.subscriber_id == subscriber_id,
            ticket_subscribers.c.status == ACTIVE).values(status=SPLIT, left_at=at))
        return bool(done.rowcount)

    async def merged_follower(self, conn: AsyncConnection, from_ticket_id: int) -> Subscriber | None:
        """The active subscription a merge of this (duplicate) ticket made."""
        row = (await conn.execute(select(ticket_subscribers).where(
            ticket_subscribers.c.from_ticket_id == from_ticket_id, ticket_subscribers.c.status == ACTIVE))).first()
        return None if row is None else _row(Subscriber, row)

    async def retire_timers(self, conn: AsyncConnection, ticket_id: int) -> None:
        """Cancel the ticket's pending timers (a merged duplicate's), inside the caller's transaction."""
        await conn.execute(update(timers).where(timers.c.ticket_id == ticket_id, timers.c.status == "pending")
                           .values(status="cancelled"))

    async def record_subscriber_card(self, join_key: str, activity_id: str | None) -> None:
        """Where the follower's card was posted, for redraws in place."""
        async with self.db.write() as conn:
            await conn.execute(update(ticket_subscribers).where(ticket_subscribers.c.join_key == join_key)
                               .values(activity_id=activity_id))

    async def open_counts(self) -> dict[str, int]:
        """Unresolved tickets by priority ("none" for tickets without one)."""
        query = (select(tickets.c.priority, func.count()).where(tickets.c.status != "resolved")
                 .group_by(tickets.c.priority))
        async with self.db.read() as conn:
            return {priority or "none": int(count) for priority, count in await conn.execute(query)}

    async def events(self, ticket_id: int, conn: AsyncConnection | None = None,
                     kinds: Sequence[str] | None = None) -> list[Event]:
        """The ticket's events in order (``conn``: as seen inside that transaction; ``kinds``: only those)."""
        query = select(ticket_events).where(ticket_events.c.ticket_id == ticket_id).order_by(ticket_events.c.seq)
        if kinds is not None:
            query = query.where(ticket_events.c.kind.in_(list(kinds)))
        if conn is not None:
            return [_row(Event, row) for row in await conn.execute(query)]
        async with self.db.read() as own:
            return [_row(Event, row) for row in await own.execute(query)]
