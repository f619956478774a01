"""Timers and the outbox in the database: claimed with FOR UPDATE SKIP LOCKED, leased, never lost or doubled."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Integer, and_, bindparam, case, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from bot.rules.timers import REMINDER_SNOOZED, PlannedTimer
from bot.store.db import Database
from bot.store.schema import conversation_refs, outbox, timers

PENDING, CLAIMED, FIRED, DROPPED, CANCELLED = "pending", "claimed", "fired", "dropped", "cancelled"
UNPLANNED = (REMINDER_SNOOZED,)
"""Timers people ask for (a snooze), which replanning leaves alone; firing checks whether they are still needed."""
SENDING, SENT, FAILED = "sending", "sent", "failed"
T = TypeVar("T")

# -- the statements of every turn, built once; their values are bound when they run ------------------------------
_RESTATUS_TIMERS = update(timers).where(
    timers.c.ticket_id.in_(bindparam("tickets", expanding=True)),
    or_(and_(timers.c.key.in_(bindparam("needed", expanding=True)), timers.c.status == CANCELLED),
        and_(timers.c.status == PENDING, timers.c.kind.not_in(UNPLANNED),
             timers.c.key.not_in(bindparam("keys", expanding=True))))
).values(status=case((timers.c.status == CANCELLED, PENDING), else_=CANCELLED))
"""After a replan: a cancelled timer the ticket needs again (a split duplicate's) is pending again; a pending one it
no longer needs is cancelled (timers people asked for are left alone). ``needed`` and ``keys`` are the same keys,
bound twice: SQLAlchemy renders one expanding parameter's empty list alike wherever it appears."""


def _claim(keyed: bool) -> Executable:
    """Claim ready messages (``keyed``: only those of the bound keys) under the bound fencing token.

    A CTE is evaluated once; "WHERE id IN (SELECT … SKIP LOCKED)" may be re-evaluated and double-claim.
    """
    now = bindparam("now", type_=outbox.c.not_before.type)
    ready = or_(and_(outbox.c.status == PENDING, outbox.c.not_before <= now),
                and_(outbox.c.status == SENDING, outbox.c.lease_until < now))
    if keyed:
        ready = and_(ready, outbox.c.key.in_(bindparam("keys", expanding=True)))
    chosen = select(outbox.c.id).where(ready).order_by(outbox.c.not_before, outbox.c.id) \
        .limit(bindparam("limit", type_=Integer)).with_for_update(skip_locked=True).cte("chosen")
    return (update(outbox).where(outbox.c.id == chosen.c.id)
            .values(status=SENDING, claimed_by=bindparam("token", type_=outbox.c.claimed_by.type),
                    lease_until=bindparam("until", type_=outbox.c.lease_until.type))
            .returning(outbox.c.id, outbox.c.key, outbox.c.ticket_id, outbox.c.purpose, outbox.c.recipient,
                       outbox.c.tenant_id, outbox.c.payload, outbox.c.attempts, outbox.c.claimed_by))


_CLAIM, _CLAIM_KEYS = _claim(keyed=False), _claim(keyed=True)
_FENCED = and_(tuple_(outbox.c.id, outbox.c.claimed_by).in_(bindparam("claims", expanding=True)),
               outbox.c.status == SENDING)
"""Each message only under its own claim (the bound (id, token) pairs), and still being sent."""
_HOLD = (update(outbox).where(_FENCED).values(lease_until=bindparam("until", type_=outbox.c.lease_until.type))
         .returning(outbox.c.id))
_SETTLE = update(outbox).where(_FENCED)
"""An outcome: the columns it sets are bound when it runs."""
_SETTLE_FAILED = _SETTLE.values(attempts=outbox.c.attempts + 1)
"""An outcome that counts as an attempt."""


@dataclass(frozen=True)
class _Upserts:
    """The statements whose ON CONFLICT clause is the database's own (`Database.built_once`)."""

    timers: Executable
    outbox: Executable

    @staticmethod
    def build(db: Database) -> _Upserts:
        return _Upserts(timers=db.insert(timers).on_conflict_do_nothing(index_elements=["key"]),
                        outbox=db.insert(outbox).on_conflict_do_nothing(index_elements=["key"]))


@dataclass(frozen=True)
class Timer:
    id: int
    key: str
    ticket_id: int
    kind: str
    target: str
    due_at: datetime
    point_at: datetime


@dataclass(frozen=True)
class Message:
    id: int
    key: str
    ticket_id: int | None
    purpose: str
    recipient: str
    tenant_id: str | None
    payload: Mapping[str, Any]
    attempts: int
    claim: str = ""
    """This claim's fencing token: only its holder may extend the lease or record the outcome."""
    claimed_at: datetime | None = None
    """When this process claimed it (None: not claimed here)."""


class TimerStore:
    def __init__(self, db: Database, instance: str, lease: timedelta = timedelta(seconds=90)) -> None:
        self.db, self.instance, self.lease = db, instance, lease

    async def replan(self, ticket_id: int, planned: Sequence[PlannedTimer], now: datetime) -> None:
        """Add the timers the ticket needs (reviving cancelled ones needed again); retire pending ones it no longer
        needs."""
        await self.replan_all({ticket_id: planned}, now)

    async def replan_all(self, plans: Mapping[int, Sequence[PlannedTimer]], now: datetime) -> None:
        """`replan` for several tickets, in one transaction."""
        rows = _timer_rows(plans, now)
        ids = list(plans)
        async with self.db.write() as conn:
            if rows:
                await conn.execute(self.db.built_once(_Upserts.build).timers, rows)
            for some in _chunks(ids):  # a timer's key names its ticket, so each ticket keeps exactly its own keys
                these = set(some)
                keys = [row["key"] for row in rows if row["ticket_id"] in these]
                await conn.execute(_RESTATUS_TIMERS, {"tickets": list(some), "needed": keys, "keys": keys})

    async def claim_due(self, now: datetime, limit: int) -> list[Timer]:
        """Due timers (and ones whose claimant died) for this instance; each is claimed by one instance only."""
        due = or_(and_(timers.c.status == PENDING, timers.c.due_at <= now),
                  and_(timers.c.status == CLAIMED, timers.c.lease_until < now))
        # A CTE is evaluated once; "WHERE id IN (SELECT … SKIP LOCKED)" may be re-evaluated and double-claim.
        chosen = select(timers.c.id).where(due).order_by(timers.c.due_at).limit(limit).with_for_update(
            skip_locked=True).cte("chosen")
        statement = (update(timers).where(timers.c.id == chosen.c.id)
                     .values(status=CLAIMED, claimed_by=self.instance, lease_until=now + self.lease)
                     .returning(timers.c.id, timers.c.key, timers.c.ticket_id, timers.c.kind, timers.c.target,
                                timers.c.due_at, timers.c.point_at))
        async with self.db.write() as conn:
            found = [Timer(*row) for row in await conn.execute(statement)]
        return sorted(found, key=lambda t: t.due_at)

    async def finish(self, timer: Timer, status: str, now: datetime,
                     messages: Iterable[Mapping[str, Any]] = ()) -> None:
        """Mark the timer fired (or dropped) and enqueue its messages, in one transaction."""
        await self.finish_all([(timer, status, list(messages))], now)

    async def finish_all(self, outcomes: Sequence[tuple[Timer, str, Sequence[Mapping[str, Any]]]],
                         now: datetime) -> None:
        """`finish` for several timers, all in one transaction: each is fired with its messages or not at all."""
        rows = [dict(m) for _, _, messages in outcomes for m in messages]
        async with self.db.write() as conn:
            if rows:
                await conn.execute(self.db.insert(outbox).on_conflict_do_nothing(index_elements=["key"]), rows)
            for status in sorted({status for _, status, _ in outcomes}):
                for ids in _chunks([t.id for t, s, _ in outcomes if s == status]):
                    await conn.execute(update(timers).where(timers.c.id.in_(ids), timers.c.claimed_by == self.instance)
                                       .values(status=status, fired_at=now))

    async def add(self, ticket_id: int, timer: PlannedTimer, now: datetime, key: str) -> None:
        """A one-off timer outside the plan (a snoozed reminder)."""
        async with self.db.write() as conn:
            await conn.execute(self.db.built_once(_Upserts.build).timers, [_timer_row(ticket_id, timer, now, key)])

    async def pending(self, ticket_id: int) -> list[Timer]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(timers.c.id, timers.c.key, timers.c.ticket_id, timers.c.kind,
                                             timers.c.target, timers.c.due_at, timers.c.point_at)
                                      .where(timers.c.ticket_id == ticket_id, timers.c.status == PENDING)
                                      .order_by(timers.c.due_at))
            return [Timer(*row) for row in rows]


JUST_CLAIMED = timedelta(milliseconds=500)
"""A claim younger than this needs no hold before its send (about as long as a hold's own transaction can take)."""


class Outbox:
    def __init__(self, db: Database, instance: str, lease: timedelta = timedelta(seconds=90)) -> None:
        self.db, self.instance, self.lease = db, instance, lease

    async def enqueue(self, messages: Iterable[Mapping[str, Any]]) -> None:
        rows = [dict(m) for m in messages]
        if rows:
            async with self.db.write() as conn:
                await enqueue_in(self.db, conn, rows)

    async def claim(self, now: datetime, limit: int, keys: Sequence[str] | None = None) -> list[Message]:
        """Ready messages (and ones whose claimant's lease ran out), each under a fresh fencing token; ``keys``
        narrows the claim to those messages (a turn sending what it just queued).

        Claiming is not an attempt: only a send that fails counts (see `settle`).
        """
        values: dict[str, Any] = {"now": now, "limit": limit, "until": now + self.lease,
                                  "token": f"{self.instance}:{uuid.uuid4().hex[:12]}"}
        statement = _CLAIM if keys is None else _CLAIM_KEYS
        if keys is not None:
            values["keys"] = list(keys)
        async with self.db.write() as conn:
            found = [replace(Message(*row), claimed_at=now) for row in await conn.execute(statement, values)]
        return sorted(found, key=lambda m: m.id)

    def just_claimed(self, messages: Sequence[Message], now: datetime) -> bool:
        """Claimed by this process less than `JUST_CLAIMED` ago: a hold now would find what the claim found (the
        lease has barely begun, so no other process can have taken them over) and need not run."""
        return all(m.claimed_at is not None and now - m.claimed_at < JUST_CLAIMED for m in messages)

    @staticmethod
    def _claims(messages: Sequence[Message]) -> list[tuple[int, str]]:
        """The (id, fencing token) pairs `_FENCED` matches: each message only under its own claim."""
        return [(m.id, m.claim) for m in messages]

    async def hold(self, messages: Sequence[Message], now: datetime) -> set[int]:
        """Extend the lease of those no other process has taken over (just before sending); the ids still ours.

        The claim token is the fence: a replica that took a message over after our lease ran out changed it, so
        this matches nothing for that message, atomically with its claim.
        """
        values = {"claims": self._claims(messages), "until": now + self.lease}
        async with self.db.write() as conn:
            return {row[0] for row in await conn.execute(_HOLD, values)}

    async def settle(self, message: Message, status: str, now: datetime, *, error: str | None = None,
                     not_before: datetime | None = None, failed: bool = False) -> bool:
        """sent / failed / dropped, or back to pending until ``not_before``; False when the claim was lost."""
        return await self.settle_all([message], status, now, error=error, not_before=not_before, failed=failed)

    async def settle_all(self, messages: Sequence[Message], status: str, now: datetime, *, error: str | None = None,
                         not_before: datetime | None = None, failed: bool = False,
                         also: Callable[[AsyncConnection], Awaitable[None]] | None = None) -> bool:
        """Record one outcome for messages claimed together (a digest), in one transaction, fenced by each claim.

        ``failed``: a send that went wrong (counts as an attempt; a throttle or a rate-limit wait does not);
        ``also``: more to write in that transaction (the send's slots of the tenant's allowance given back).
        """
        values: dict[str, Any] = {"status": status, "last_error": (error or None) and error[:500],
                                  "lease_until": None}
        if status == SENT:
            values["sent_at"] = now
        if not_before is not None:
            values["not_before"] = not_before
        values["claims"] = self._claims(messages)
        async with self.db.write() as conn:
            done = await conn.execute(_SETTLE_FAILED if failed else _SETTLE, values)
            if also is not None:
                await also(conn)
        return done.rowcount == len(messages)

    async def counts(self) -> dict[str, int]:
        from sqlalchemy import func

        async with self.db.read() as conn:
            rows = await conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
            return {status: int(n) for status, n in rows}


async def references(db: Database, conversation_ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    """The stored conversation references of these conversations (the tickets' channel threads), in one query."""
    ids = sorted(set(conversation_ids))
    found: dict[str, Mapping[str, Any]] = {}
    if not ids:  # (every tick asks, mostly for nobody: no connection taken for that)
        return found
    async with db.read() as conn:
        for some in _chunks(ids):
            query = select(conversation_refs.c.conversation_id, conversation_refs.c.reference)
            found.update((row[0], row[1]) for row in await conn.execute(
                query.where(conversation_refs.c.conversation_id.in_(some))))
    return found


def _chunks(rows: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    """Rows a statement at a time, under the drivers' limits on bound parameters."""
    return (rows[start:start + size] for start in range(0, len(rows), size))


def _timer_rows(plans: Mapping[int, Sequence[PlannedTimer]], now: datetime) -> list[dict[str, Any]]:
    return [_timer_row(ticket_id, p, now) for ticket_id, planned in plans.items() for p in planned]


def _timer_row(ticket_id: int, timer: PlannedTimer, now: datetime, key: str | None = None) -> dict[str, Any]:
    """A pending timer's row; its key is the plan's own unless given (a one-off, such as a snooze)."""
    return {"key": key or timer.key(ticket_id), "ticket_id": ticket_id, "kind": timer.kind, "target": timer.target,
            "due_at": timer.due_at, "point_at": timer.point_at, "status": PENDING, "created_at": now}


async def add_timers_in(db: Database, conn: AsyncConnection, ticket_id: int, planned: Sequence[PlannedTimer],
                        now: datetime) -> None:
    """A new ticket's timers, inside the caller's transaction (a key added before is left as it is)."""
    rows = _timer_rows({ticket_id: planned}, now)
    if rows:
        await conn.execute(db.built_once(_Upserts.build).timers, rows)


async def enqueue_in(db: Database, conn: AsyncConnection, messages: Iterable[Mapping[str, Any]]) -> None:
    """Queue messages inside the caller's transaction (they commit with what caused them); a key queued before
    is left as it is."""
    rows = [dict(m) for m in messages]
    if rows:
        await conn.execute(db.built_once(_Upserts.build).outbox, rows)
