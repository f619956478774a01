"""Sending shared by every replica: each tenant's allowance from Teams, and one sender at a time per person.

Teams lets a bot make 50 calls a second in one tenant, counted as they arrive. Each call here holds one of its
tenant's 50 slots (rows of ``send_slots``, taken with SKIP LOCKED) from just before it starts until a second after
it ends — until its lease runs out, should its process die meanwhile. Whatever arrives at Teams within any one second
then fits in 50, however many replicas send and however long the calls take: of those calls, the last to start
found every other one still holding its slot, so it found at most 49 taken.

A recipient is sent to by one replica at a time (a row of ``recipient_sends`` held under a lease), and that row keeps
when they were last alerted: a storm's alerts to one person are held and gathered into digests once, not once per
replica, and the person's first alert is not sent twice by two replicas that each fired one of their timers.

On SQLite (embedded: one process; replicas need PostgreSQL) the same slots and turns are kept in the process, which
spares every send a write transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.db import Database
from bot.store.schema import recipient_sends, send_slots

TENANT_CALLS = 50
"""Teams' allowance per bot per tenant: calls arriving within one second."""
AFTER_CALL = timedelta(seconds=1)
"""How long a finished call keeps its slot (it may have arrived at Teams at any moment before it ended)."""
SHORTEST_WAIT, LONGEST_WAIT = timedelta(milliseconds=20), timedelta(milliseconds=250)
"""How long a tenant found with no slot free is refused here before asking again. A call's slot comes free no sooner
than a second after its check, but a slot taken with a turn that then makes no call comes back free at once."""
OTHER_SENDER_WAIT = timedelta(milliseconds=500)
"""How long messages for a person another replica is sending to wait before this one tries again."""


class Throttled(Exception):
    """No slot of the tenant's allowance is free now; ``until``: when to try again."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"the tenant's allowance is taken until {until.isoformat()}")
        self.until = until


@dataclass
class Turn:
    """This process's turn to send to one recipient, and when they were last alerted (here or by any replica);
    ``shared``: taken in the database (alerts), else within this process only."""

    recipient: str
    last_alert: datetime | None
    shared: bool = True
    ended: bool = False
    spare: tuple[str, int] | None = None
    """A slot of the tenant's allowance taken with the turn, in the same transaction, for the first call: (tenant,
    slot); given back unused, free at once, when the turn ends without using it."""


@dataclass(frozen=True)
class _Sql:
    take_turn: Any
    end_turn: Any
    take_slot: Any
    earliest_free: Any
    free_slots: Any


def _sql(db: Database) -> _Sql:
    slot, person = send_slots.c, recipient_sends.c
    turn = db.insert(recipient_sends)
    free = (select(slot.slot).where(slot.tenant_id == bindparam("b_tenant"), slot.free_at <= bindparam("b_now"))
            .order_by(slot.free_at, slot.slot).limit(1).with_for_update(skip_locked=True).scalar_subquery())
    return _Sql(
        take_turn=turn.on_conflict_do_update(
            index_elements=["recipient"], set_={"holder": turn.excluded.holder, "held_until": turn.excluded.held_until},
            where=or_(person.held_until <= bindparam("b_now"), person.holder == turn.excluded.holder),
        ).returning(person.last_alert),
        end_turn=update(recipient_sends).where(person.recipient == bindparam("b_recipient"),
                                               person.holder == bindparam("b_me"))
        .values(held_until=bindparam("b_now"), last_alert=bindparam("b_alert")),
        take_slot=update(send_slots).where(slot.tenant_id == bindparam("b_tenant"), slot.slot == free)
        .values(free_at=bindparam("b_busy")).returning(slot.slot),
        earliest_free=select(func.min(slot.free_at)).where(slot.tenant_id == bindparam("b_tenant")),
        free_slots=update(send_slots).where(slot.tenant_id == bindparam("b_tenant"),
                                            slot.slot.in_(bindparam("b_slots", expanding=True)))
        .values(free_at=bindparam("b_free")),
    )


class SendGate:
    """Tenant slots and recipients' turns in the database, or in this process on SQLite (see the module's text);
    ``lease``: the longest a call may keep a slot, or a replica a recipient, when its process dies before giving it
    back."""

    def __init__(self, db: Database, instance: str, lease: timedelta) -> None:
        self.db, self.instance, self.lease = db, instance, lease
        self.sql = db.built_once(_sql)
        self.shared = not db.is_sqlite
        self._slots: dict[str, list[datetime]] = {}
        """In this process (SQLite): each tenant's slots, as the time each comes free."""
        self._turns: Counter[str] = Counter()
        self._alerts: dict[str, datetime] = {}
        self._tenants: set[str] = set()
        self._full: dict[str, datetime] = {}
        """Tenants found with no slot free, and when to ask again (the earliest a slot can come free, at most
        `LONGEST_WAIT` on): until then calls are refused here, without asking the database."""

    # -- recipients ------------------------------------------------------------------------------------
    async def turn(self, recipient: str, now: datetime, *, shared: bool = True, tenant: str | None = None,
                   held_within: timedelta | None = None) -> Turn | None:
        """This process's turn to send to ``recipient``; None while another replica holds it. Not ``shared``: for
        messages that are not alerts (a turn's replies and cards, which no other replica queues for that
        conversation), taken in this process alone. ``tenant``: also take a slot of its allowance for the first
        call, in the same transaction (when one is free), unless the person was alerted less than ``held_within``
        ago (their alerts then wait: no call, and no slot kept from others meanwhile)."""
        if not shared or not self.shared:
            return Turn(recipient, self._alerts.get(recipient), shared=False)
        spare = None
        if not self._turns[recipient]:
            async with self.db.write() as conn:
                row = (await conn.execute(self.sql.take_turn, {
                    "recipient": recipient, "holder": self.instance, "held_until": now + self.lease,
                    "b_now": now})).first()
                if row is None:
                    return None
                latest = max((at for at in (row[0], self._alerts.get(recipient)) if at is not None), default=None)
                held = latest is not None and held_within is not None and now - latest < held_within
                if tenant and not held and self.full_until(tenant, now) is None:
                    slot = await self._take_slot(conn, tenant, now)
                    spare = (tenant, slot) if slot is not None else None
            if latest is not None:
                self._alerts[recipient] = latest
        self._turns[recipient] += 1
        return Turn(recipient, self._alerts.get(recipient), spare=spare)

    def known_alert(self, recipient: str) -> datetime | None:
        """When this process last knew the recipient to be alerted (by it, or by a replica whose turn it followed):
        alerts held because of it need no turn (holding is what the turn would decide, or later)."""
        return self._alerts.get(recipient)

    def alerted(self, turn: Turn, at: datetime) -> None:
        turn.last_alert = self._alerts[turn.recipient] = at

    async def end(self, turn: Turn, now: datetime, conn: AsyncConnection | None = None) -> None:
        """Give the recipient back (when this process's last sender to them is done), with their last alert
        (``conn``: in that transaction, with the outcome of its last send)."""
        if turn.ended or not turn.shared:
            return
        turn.ended = True
        self._turns[turn.recipient] -= 1
        last = self._turns[turn.recipient] <= 0
        if last:
            del self._turns[turn.recipient]
        spare, turn.spare = turn.spare, None
        if not last and spare is None:
            return

        async def end(conn: AsyncConnection) -> None:
            if spare is not None:  # never used for a call: free at once
                await conn.execute(self.sql.free_slots, {"b_tenant": spare[0], "b_slots": [spare[1]], "b_free": now})
            if last:
                await conn.execute(self.sql.end_turn, {"b_recipient": turn.recipient, "b_me": self.instance,
                                                       "b_now": now, "b_alert": self._alerts.get(turn.recipient)})

        await self._write(conn, end)

    async def _write(self, conn: AsyncConnection | None, work: Callable[[AsyncConnection], Awaitable[None]]) -> None:
        """``work`` in the caller's transaction ``conn``, else in one of its own."""
        if conn is not None:
            await work(conn)
            return
        async with self.db.write() as own:
            await work(own)

    def forget_idle(self, now: datetime, window: timedelta) -> None:
        self._alerts = {k: at for k, at in self._alerts.items() if now - at < window or k in self._turns}

    # -- the tenant's allowance -----------------------------------------------------------------------
    def full_until(self, tenant: str | None, now: datetime) -> datetime | None:
        """When the tenant was last found with no slot free, the earliest one can come free (None: may be free)."""
        until = self._full.get(tenant or "")
        return until if until is not None and now < until else None

    async def slot(self, tenant: str | None, now: datetime, turn: Turn | None = None) -> int | None:
        """A slot of the tenant's allowance for one call (None: no tenant known, nothing to count against): the
        one the ``turn`` took for it, else one taken now; raises `Throttled` when all 50 are taken."""
        if not tenant:
            return None
        if turn is not None and turn.spare is not None and turn.spare[0] == tenant:
            slot, turn.spare = turn.spare[1], None
            return slot
        if (full := self.full_until(tenant, now)) is not None:
            raise Throttled(full)
        if not self.shared:
            return self._local_slot(tenant, now)
        async with self.db.write() as conn:
            taken = await self._take_slot(conn, tenant, now)
            if taken is not None:
                return taken
            earliest = (await conn.execute(self.sql.earliest_free, {"b_tenant": tenant})).scalar_one()
        raise self._throttled(tenant, now, earliest)

    async def _take_slot(self, conn: AsyncConnection, tenant: str, now: datetime) -> int | None:
        if tenant not in self._tenants:
            await conn.execute(self.db.insert(send_slots).on_conflict_do_nothing(), [
                {"tenant_id": tenant, "slot": n, "free_at": now - AFTER_CALL} for n in range(TENANT_CALLS)])
            self._tenants.add(tenant)
        taken = (await conn.execute(self.sql.take_slot, {"b_tenant": tenant, "b_now": now,
                                                         "b_busy": now + self.lease + AFTER_CALL})).first()
        return None if taken is None else int(taken[0])

    def _local_slot(self, tenant: str, now: datetime) -> int:
        slots = self._slots.setdefault(tenant, [now - AFTER_CALL] * TENANT_CALLS)
        slot = min(range(TENANT_CALLS), key=slots.__getitem__)
        if slots[slot] > now:
            raise self._throttled(tenant, now, slots[slot])
        slots[slot] = now + self.lease + AFTER_CALL
        return slot

    def _throttled(self, tenant: str, now: datetime, earliest: datetime | None) -> Throttled:
        self._full[tenant] = now + min(max((earliest or now) - now, SHORTEST_WAIT), LONGEST_WAIT)
        return Throttled(self._full[tenant])

    async def free(self, tenant: str | None, slots: list[int], ended: datetime,
                   conn: AsyncConnection | None = None) -> None:
        """The calls are over: their slots come free a second after the last of them ended (``conn``: in that
        transaction, as the outcome of the send is recorded)."""
        if not tenant or not slots:
            return
        if not self.shared:
            for slot in slots:
                self._slots[tenant][slot] = ended + AFTER_CALL
            return
        values = {"b_tenant": tenant, "b_slots": slots, "b_free": ended + AFTER_CALL}

        async def free(conn: AsyncConnection) -> None:
            await conn.execute(self.sql.free_slots, values)

        await self._write(conn, free)
