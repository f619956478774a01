"""Tickets and their append-only event log; references unique per customer and never reused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Integer, Text, bindparam, cast, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

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


_REPORT_COLUMNS = tuple(f.name for f in fields(_Report) if f.name != "policy_snapshot")
_TICKET_COLUMNS = tuple(f.name for f in fields(Ticket) if f.name != "policy_snapshot")
_EVENT_COLUMNS = tuple(f.name for f in fields(Event))
_SUBSCRIBER_COLUMNS = tuple(f.name for f in fields(Subscriber))
_COLUMNS: dict[type, tuple[str, ...]] = {Event: _EVENT_COLUMNS, Subscriber: _SUBSCRIBER_COLUMNS}


def _row(cls: type[T], row: Any) -> T:
    mapping = row._mapping
    return cls(**{name: mapping[name] for name in _COLUMNS[cls]})


# -- the statements of every turn, built once; their values are bound when they run ------------------------------
_BY_ID = select(tickets).where(tickets.c.id == bindparam("ticket_id"))
_BY_ID_LOCKED = _BY_ID.with_for_update()
_BY_IDS = select(tickets).where(tickets.c.id.in_(bindparam("ids", expanding=True)))
_BY_INTAKE_KEY = select(tickets).where(tickets.c.intake_key == bindparam("key"))
_BY_REFERENCE = select(tickets).where(tickets.c.reference == bindparam("reference"))
_BY_CHANNEL_THREAD = select(tickets).where(tickets.c.channel_conversation_id == bindparam("conversation_id"))
_OPEN_FOR_CUSTOMER = (select(tickets).where(tickets.c.customer_id == bindparam("customer_id"),
                                            tickets.c.status.not_in(CLOSED),
                                            tickets.c.reported_at >= bindparam("since"))
                      .order_by(tickets.c.id.desc()).limit(bindparam("limit", type_=Integer)))
_LOCK = select(tickets.c.id).where(tickets.c.id == bindparam("ticket_id")).with_for_update()
_INSERT_TICKET = tickets.insert().returning(*tickets.c)
"""A new ticket (its columns bound when it runs), read back as stored."""
_CHANGE_TICKET = (update(tickets).where(tickets.c.id == bindparam("ticket_id"))
                  .values(version=tickets.c.version + 1).returning(*tickets.c))
"""A transition: the changed columns and ``updated_at`` bound when it runs, the ticket read back as changed."""
_SET_TICKET = update(tickets).where(tickets.c.id == bindparam("ticket_id"))
"""Columns of a ticket that change no version (where its cards were posted), bound when it runs."""
_EVENTS = select(ticket_events).where(ticket_events.c.ticket_id == bindparam("ticket_id")).order_by(ticket_events.c.seq)
_EVENTS_OF_KINDS = _EVENTS.where(ticket_events.c.kind.in_(bindparam("kinds", expanding=True)))
_EVENTS_OF_TICKETS = (select(ticket_events).where(ticket_events.c.ticket_id.in_(bindparam("ids", expanding=True)))
                      .order_by(ticket_events.c.ticket_id, ticket_events.c.seq))
_INSERT_EVENT = ticket_events.insert()
"""An event whose sequence number is known: a new ticket's first, or the next after those read under its lock."""
_APPEND_EVENT = ticket_events.insert().values(
    ticket_id=bindparam("of"), seq=select(func.coalesce(func.max(ticket_events.c.seq), 0) + 1)
    .where(ticket_events.c.ticket_id == bindparam("of")).scalar_subquery()).returning(ticket_events.c.seq)
"""The ticket's next event, numbered by the statement itself; the unique (ticket_id, seq) stays the guard."""
_e = ticket_events.c
_EVENT_TEXTS = (select(_e.ticket_id, _e.seq, _e.kind, _e.at, _e.actor_id, _e.actor_name,
                       *(cast(c, Text).label(c.name) for c in (_e.before, _e.after, _e.data)))
                .where(_e.ticket_id.in_(bindparam("ids", expanding=True))).order_by(_e.ticket_id, _e.seq))
"""Events with their JSON columns as text, decoded once per distinct value (`TicketStore.events_of`)."""
_SUBSCRIBERS = (select(ticket_subscribers).where(ticket_subscribers.c.ticket_id == bindparam("ticket_id"),
                                                 ticket_subscribers.c.status == ACTIVE)
                .order_by(ticket_subscribers.c.id))


@dataclass(frozen=True)
class _Upserts:
    """The statements whose ON CONFLICT clause is the database's own (`Database.built_once`)."""

    next_number: Executable
    keep_snapshot: Executable

    @staticmethod
    def build(db: Database) -> _Upserts:
        return _Upserts(
            next_number=db.insert(reference_counters).on_conflict_do_update(
                index_elements=["customer_id"], set_={"last_number": reference_counters.c.last_number + 1},
            ).returning(reference_counters.c.last_number),
            keep_snapshot=db.insert(policy_snapshots).on_conflict_do_nothing(index_elements=["hash"]),
        )


def snapshot_hash(snapshot: Mapping[str, Any]) -> str:
    """A policy snapshot's content hash: the SHA-256 of its canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_SNAPSHOTS: dict[str, Mapping[str, Any]] = {}
"""Snapshot bodies by hash, shared by the process (a hash's body never changes); read, never mutate."""
KEEP_SNAPSHOTS = 1024


_SNAPSHOT_BODIES = select(policy_snapshots).where(policy_snapshots.c.hash.in_(bindparam("hashes", expanding=True)))


async def _snapshots(conn: AsyncConnection, hashes: set[str]) -> dict[str, Mapping[str, Any]]:
    """The bodies of these snapshots: from the process's cache, the others read (and cached) in one query."""
    known = {digest: _SNAPSHOTS[digest] for digest in hashes if digest in _SNAPSHOTS}
    if len(known) < len(hashes):
        wanted = sorted(hashes - known.keys())
        found = {row.hash: row.body for row in await conn.execute(_SNAPSHOT_BODIES, {"hashes": wanted})}
        _cache(found)
        known.update(found)
    return known


def _cache(bodies: Mapping[str, Mapping[str, Any]]) -> None:
    """Keep these bodies in the process's cache (emptied when it would pass KEEP_SNAPSHOTS)."""
    if len(_SNAPSHOTS) + len(bodies) > KEEP_SNAPSHOTS:
        _SNAPSHOTS.clear()
    _SNAPSHOTS.update(bodies)


async def _tickets(conn: AsyncConnection, rows: Iterable[Any]) -> list[Ticket]:
    """Stored tickets from rows of `tickets`, each with its policy snapshot (read once per process per hash)."""
    rows = list(rows)
    bodies = await _snapshots(conn, {row.policy_hash for row in rows})
    return [_stored(row, bodies[row.policy_hash]) for row in rows]


def _stored(row: Any, snapshot: Mapping[str, Any]) -> Ticket:
    mapping = row._mapping
    values: dict[str, Any] = {name: mapping[name] for name in _TICKET_COLUMNS}
    return Ticket(**values, policy_snapshot=snapshot)


async def _ticket(conn: AsyncConnection, query: Executable, **params: Any) -> Ticket | None:
    """The ticket the query selects from `tickets` with these values, if any."""
    row = (await conn.execute(query, params)).one_or_none()
    return None if row is None else (await _tickets(conn, [row]))[0]


async def _the_ticket(conn: AsyncConnection, query: Executable, ticket_id: int) -> Ticket:
    """The ticket with this id (selected by ``query``, e.g. locked), which must exist."""
    row = (await conn.execute(query, {"ticket_id": ticket_id})).one()
    return (await _tickets(conn, [row]))[0]


def format_reference(prefix: str, number: int) -> str:
    """ACME-000123: six digits, more when a customer passes a million tickets."""
    return f"{prefix}-{number:06d}"


class TicketStore:
    """Ticket persistence over one `Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._upserts = db.built_once(_Upserts.build)
        self._stored_snapshots: set[str] = set()
        """Hashes of snapshots known to be stored: a ticket under each committed (snapshots are never deleted)."""

    async def _next_number(self, conn: AsyncConnection, customer_id: str) -> int:
        found = await conn.execute(self._upserts.next_number, {"customer_id": customer_id, "last_number": 1})
        return int(found.scalar_one())

    async def create(self, new: NewTicket, *, at: datetime) -> Ticket:
        """Store a ticket with a fresh reference and its 'opened' event, in one transaction."""
        async with self.db.write() as conn:
            ticket = await self._insert(conn, new, at, None)
        self._stored_snapshots.add(ticket.policy_hash)
        return ticket

    async def open(self, new: NewTicket, *, at: datetime, key: str, prepare: InTransaction | None = None,
                   also: Callable[[AsyncConnection, Ticket], Awaitable[None]] | None = None) -> tuple[Ticket, bool]:
        """Exactly one ticket per report ``key``: (the ticket, True) when this call opened it, else (the one opened
        before, False). ``prepare`` runs first in the same transaction (it may raise to open nothing); ``also`` runs
        after the insert (queue what the ticket causes) — all of it commits together or not at all."""
        try:
            async with self.db.write() as conn:
                if prepare is not None:
                    await prepare(conn)
                found = await _ticket(conn, _BY_INTAKE_KEY, key=key)
                if found is not None:
                    return found, False
                ticket = await self._insert(conn, new, at, key)
                if also is not None:
                    await also(conn, ticket)
        except IntegrityError:  # the same report opened concurrently: that ticket is the one
            self._stored_snapshots.clear()  # (or a snapshot believed stored is not: the next ticket stores it)
            existing = await self.by_intake_key(key)
            if existing is None:
                raise
            return existing, False
        self._stored_snapshots.add(ticket.policy_hash)
        return ticket, True

    async def _insert(self, conn: AsyncConnection, new: NewTicket, at: datetime, key: str | None) -> Ticket:
        """The ticket and its first event; read back from the INSERT itself (nothing else can have touched it)."""
        number = await self._next_number(conn, new.customer_id)
        values = {name: getattr(new, name) for name in _REPORT_COLUMNS}
        values |= {"policy_hash": await self._keep_snapshot(conn, new.policy_snapshot),
                   "reference": format_reference(new.reference_prefix, number), "status": "open",
                   "version": 1, "created_at": at, "updated_at": at, "intake_key": key}
        row = (await conn.execute(_INSERT_TICKET, values)).one()
        await conn.execute(_INSERT_EVENT, {
            "ticket_id": row.id, "seq": 1, "kind": "opened", "at": at, "actor_id": new.reporter_id,
            "actor_name": new.reporter_name, "before": None,
            "after": {"status": "open", "priority": new.priority, "category": new.category},
            "data": {"channel": new.channel, "reported_at": new.reported_at.isoformat()}})
        return (await _tickets(conn, [row]))[0]

    async def _keep_snapshot(self, conn: AsyncConnection, snapshot: Mapping[str, Any]) -> str:
        """Store the policy snapshot unless a ticket opened under the same one stored it already; its hash."""
        digest = snapshot_hash(snapshot)
        if digest not in self._stored_snapshots:
            await conn.execute(self._upserts.keep_snapshot, {"hash": digest, "body": dict(snapshot)})
        if digest not in _SNAPSHOTS:  # the body as the database gives it back: its JSON, decoded
            _cache({digest: json.loads(json.dumps(dict(snapshot)))})
        return digest

    async def by_intake_key(self, key: str) -> Ticket | None:
        """The ticket opened from the report with this idempotency key, if any."""
        async with self.db.read() as conn:
            return await _ticket(conn, _BY_INTAKE_KEY, key=key)

    async def get(self, ticket_id: int) -> Ticket | None:
        async with self.db.read() as conn:
            return await _ticket(conn, _BY_ID, ticket_id=ticket_id)

    async def with_events(self, ticket_ids: Iterable[int]) -> dict[int, tuple[Ticket, list[Event]]]:
        """Tickets and their events by id, read together (two queries, however many tickets); unknown ids are
        left out."""
        ids = sorted(set(ticket_ids))
        if not ids:
            return {}
        async with self.db.read() as conn:
            found = await _tickets(conn, await conn.execute(_BY_IDS, {"ids": ids}))
            events: dict[int, list[Event]] = {ticket.id: [] for ticket in found}
            for row in await conn.execute(_EVENTS_OF_TICKETS, {"ids": ids}):
                events[row.ticket_id].append(_row(Event, row))
        return {ticket.id: (ticket, events[ticket.id]) for ticket in found}

    async def by_reference(self, reference: str) -> Ticket | None:
        async with self.db.read() as conn:
            return await _ticket(conn, _BY_REFERENCE, reference=reference)

    async def count(self, customer_id: str | None = None) -> int:
        query = select(func.count()).select_from(tickets)
        if customer_id:
            query = query.where(tickets.c.customer_id == customer_id)
        async with self.db.read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def note(self, ticket_id: int, *, kind: str, at: datetime, data: Mapping[str, Any],
                   actor_id: str | None = None, actor_name: str | None = None,
                   conn: AsyncConnection | None = None) -> int:
        """Append an event that changes no ticket field (e.g. a failed post), returning its sequence number;
        ``conn``: inside that transaction."""
        if conn is not None:
            await self.lock(conn, ticket_id)  # one writer per ticket at a time; SQLite is serialised already
            added = await conn.execute(_APPEND_EVENT, {"of": ticket_id, "kind": kind, "at": at, "actor_id": actor_id,
                                                       "actor_name": actor_name, "before": None, "after": None,
                                                       "data": dict(data)})
            return int(added.scalar_one())
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
        values = {**columns, "updated_at": at, "ticket_id": ticket_id}
        if conn is not None:
            await conn.execute(_SET_TICKET, values)
            return
        async with self.db.write() as own:
            await own.execute(_SET_TICKET, values)

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
            ticket = await _the_ticket(conn, _BY_ID if self.db.is_sqlite else _BY_ID_LOCKED, ticket_id)
            events = [_row(Event, r) for r in await conn.execute(_EVENTS, {"ticket_id": ticket_id})]
            seq = events[-1].seq + 1 if events else 1  # read under the ticket's lock: nobody else appends now
            decision = decide(ticket, events)
            if not hasattr(decision, "columns"):
                return ticket, decision
            columns = dict(decision.columns)
            before = {k: getattr(ticket, k) for k in columns}
            row = (await conn.execute(_CHANGE_TICKET, {**columns, "updated_at": at, "ticket_id": ticket_id})).one()
            await conn.execute(_INSERT_EVENT, {
                "ticket_id": ticket_id, "seq": seq, "kind": decision.kind, "at": at, "actor_id": actor_id,
                "actor_name": actor_name, "before": before or None, "after": columns or None,
                "data": dict(decision.data) or None})
            changed = (await _tickets(conn, [row]))[0]
            if also is not None:
                await also(conn, changed, decision)
            return changed, decision

    async def by_channel_thread(self, conversation_id: str) -> Ticket | None:
        """The ticket whose engineer card started this channel thread."""
        async with self.db.read() as conn:
            return await _ticket(conn, _BY_CHANNEL_THREAD, conversation_id=conversation_id)

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
        decoded: dict[str, Any] = {"null": None}
        async with self.db.read() as conn:
            for start in range(0, len(ids), 500):  # within every database's limit on bound parameters
                rows = await conn.execute(_EVENT_TEXTS, {"ids": ids[start:start + 500]})
                for ticket_id, seq, kind, at, actor_id, actor_name, *raw in rows:
                    before, after, data = (None if text is None else decoded[text] if text in decoded
                                           else decoded.setdefault(text, json.loads(text)) for text in raw)
                    found[ticket_id].append(Event(ticket_id, seq, kind, at, actor_id, actor_name, before, after, data))
        return found

    async def open_for_customer(self, customer_id: str, since: datetime, limit: int = OFFERED_AT_MOST
                                ) -> list[Ticket]:
        """The customer's newest open tickets reported since ``since`` (what a new report may repeat), oldest
        first: at most ``limit``, so a report's first turn costs the same however many are open."""
        values = {"customer_id": customer_id, "since": since, "limit": limit}
        async with self.db.read() as conn:
            return (await _tickets(conn, await conn.execute(_OPEN_FOR_CUSTOMER, values)))[::-1]

    # -- subscribers -------------------------------------------------------------------------------------
    async def subscribers(self, ticket_id: int, conn: AsyncConnection | None = None) -> list[Subscriber]:
        """Who follows the ticket now, in the order they joined."""
        if conn is not None:
            return [_row(Subscriber, row) for row in await conn.execute(_SUBSCRIBERS, {"ticket_id": ticket_id})]
        async with self.db.read() as own:
            return [_row(Subscriber, row) for row in await own.execute(_SUBSCRIBERS, {"ticket_id": ticket_id})]

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
            await conn.execute(_LOCK, {"ticket_id": ticket_id})

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
        query, values = (_EVENTS, {"ticket_id": ticket_id}) if kinds is None else (
            _EVENTS_OF_KINDS, {"ticket_id": ticket_id, "kinds": list(kinds)})
        if conn is not None:
            return [_row(Event, row) for row in await conn.execute(query, values)]
        async with self.db.read() as own:
            return [_row(Event, row) for row in await own.execute(query, values)]
