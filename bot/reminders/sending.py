"""Sending claimed outbox messages: concurrent across conversations, in order within one, fenced by the claim.

Each conversation's messages go one after another; conversations go side by side, at most ``concurrency`` at once,
so one slow connector call holds up only its own conversation. Just before a send the claim is checked and its
lease extended (a replica that took the message over has changed the claim, so this one then skips it), unless the
claim was made a moment ago (a message sent right after the turn that queued it); the
outcome is recorded only under the same claim. A wait — Teams' rate limits here, a Retry-After there — puts the
message back to pending until then, without counting an attempt; only a real failure counts and backs off.
One replica at a time sends to a recipient, and each connector call holds a slot of its tenant's allowance
(bot/reminders/gate.py, shared by every replica through the database).
A recipient who just got an alert has further ones held for a short window, and several at once become one digest;
while their tenant is busy, two at once do too (`BUSY_TENANT`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy.ext.asyncio import AsyncConnection
from tenacity import wait_exponential_jitter

from bot.clock import Clock
from bot.edge.connector import ConnectorError
from bot.reminders.digest import Unit, digest, units
from bot.reminders.gate import OTHER_SENDER_WAIT, SendGate, Throttled, Turn
from bot.reminders.ratelimit import RateLimiter
from bot.reminders.store import DROPPED, FAILED, PENDING, SENT, Message, Outbox

log = logging.getLogger("faultline.sender")
PERMANENT = (403, 404)
THROTTLED = 429
BACKOFF = wait_exponential_jitter(multiplier=5, max=900, jitter=5)
BUSY_TENANT = 5
"""A tenant is busy when this process started this many calls to it within the last second, or has as many of its
people to send to at once. Then two alerts ready at once for one person go as one digest card, not two cards: in a
storm Teams' 50 calls a second must first reach everyone once, and a person's second card would take the call
another person's first alert needs (across replicas too, which cannot see each other's queues). Alone, or with a
few others, a person still gets each of two alerts as its own card, with its buttons."""
BUSY_WINDOW = timedelta(seconds=1)


@dataclass
class TickResult:
    fired: int = 0
    dropped: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    lags: list[float] = field(default_factory=list)
    pruned: int = 0
    backlog: bool = False
    """More timers may be due than one tick fires: tick again at once."""


@dataclass(frozen=True)
class SendPolicy:
    concurrency: int = 8
    storm_window: timedelta = timedelta(seconds=30)
    digest_minimum: int = 3
    coalescible: Collection[str] = ()


Permit = Callable[[], Awaitable[None]]
"""Awaited before each connector call a delivery makes: takes a slot of the tenant's allowance, or raises
`Throttled`."""


@dataclass(frozen=True)
class Hooks:
    """What sending asks of the scheduler: deliver, still wanted?, tell someone of a refusal, record the lag."""

    deliver: Callable[[Message, Permit], Awaitable[None]]
    still_wanted: Callable[[Message, datetime], Awaitable[bool]]
    refused: Callable[[Message, datetime], Awaitable[None]]
    lag: Callable[[float], None]


class Sender:
    def __init__(self, outbox: Outbox, gate: SendGate, clock: Clock, hooks: Hooks,
                 policy: SendPolicy = SendPolicy()) -> None:
        self.outbox, self.gate, self.clock, self.hooks, self.policy = outbox, gate, clock, hooks, policy
        self.limiter = RateLimiter()
        self._slots = asyncio.Semaphore(max(1, policy.concurrency))
        self._calls: dict[str, deque[datetime]] = {}
        """When this process last started calls to each tenant (within `BUSY_WINDOW`)."""

    def forget_idle(self, now: datetime) -> None:
        """Memory stays flat however many conversations there have been: idle ones are forgotten."""
        self.limiter.forget_idle(now)
        self.gate.forget_idle(now, self.policy.storm_window)
        self._calls = {tenant: calls for tenant in list(self._calls) if (calls := self._recent(tenant, now))}

    async def send(self, messages: Sequence[Message], now: datetime, result: TickResult) -> None:
        """Each conversation's messages in order; every conversation's first message before any one's second (a
        storm's first alert to each person goes before a second alert to anyone, within the tenant's allowance): a
        conversation sends its first, then queues again behind the others for the rest."""
        conversations: dict[str, list[Message]] = {}
        for message in messages:
            conversations.setdefault(message.recipient, []).append(message)
        people = Counter(group[0].tenant_id for group in conversations.values())
        outcomes = await asyncio.gather(*(self._conversation(group, now, result, people[group[0].tenant_id])
                                          for group in conversations.values()), return_exceptions=True)
        for group, outcome in zip(conversations.values(), outcomes, strict=True):
            if isinstance(outcome, BaseException):  # that conversation waits for its lease; the others went on
                log.error("sending to outbox messages %s failed: %s", [m.id for m in group], type(outcome).__name__)

    async def _conversation(self, group: list[Message], now: datetime, result: TickResult, people: int) -> None:
        """``people``: how many of the tenant's people this batch sends to."""
        turn = None
        try:
            async with self._slots:
                turn = await self._turn(group, now, result)
                rest = await self._first(turn, group, now, result, people) if turn is not None else []
            if rest and turn is not None:
                async with self._slots:  # behind the conversations still waiting to send their first (FIFO)
                    await self._units(turn, rest, result)
        finally:
            if turn is not None:  # (already given back with its last send's outcome, if that went)
                await self.gate.end(turn, self.clock.now())

    async def _turn(self, group: list[Message], now: datetime, result: TickResult) -> Turn | None:
        """This process's turn to send to the group's recipient; None (and the group put back) when there is
        nothing to try now: the tenant's allowance is taken, they are held, or another replica is sending to them."""
        full = self.gate.full_until(group[0].tenant_id, self.clock.now())
        if full is not None:  # no slot of the tenant's allowance free until then
            await self._release(group, full, result)
            return None
        alerts = [self._alert(m) for m in group]
        held = self._held_until(self.gate.known_alert(group[0].recipient), now)
        if held is not None and all(alerts):  # held, as the turn would find
            await self._release(group, held, result)
            return None
        turn = await self.gate.turn(group[0].recipient, now, shared=any(alerts), tenant=group[0].tenant_id,
                                    held_within=self.policy.storm_window if all(alerts) else None)
        if turn is None:  # another replica is sending to this recipient: theirs go after
            await self._release(group, now + OTHER_SENDER_WAIT, result)
        return turn

    async def _first(self, turn: Turn, group: list[Message], now: datetime, result: TickResult,
                     people: int) -> list[Unit]:
        """Send the group's first message or digest; what is left to send after the others' first."""
        ready = await self._wanted(group, now, result)
        ready = await self._hold_storm(turn, ready, now, result)
        planned = units(ready, self.policy.coalescible, self._digest_minimum(group[0].tenant_id, people))
        if not planned or not await self._units(turn, planned[:1], result, more=planned[1:]):
            return []
        return planned[1:]

    async def _units(self, turn: Turn, planned: Sequence[Unit], result: TickResult,
                     more: Sequence[Unit] = ()) -> bool:
        """Send these in order (``more`` follow later); True when all went. One not sent holds the rest back (and
        ``more``) until the conversation may go on."""
        for n, unit in enumerate(planned):
            until = await self._unit(turn, unit, result, last=not more and n == len(planned) - 1)
            if until is not None:  # not sent yet: what follows in this conversation waits behind it
                await self._release([m for later in (*planned[n + 1:], *more) for m in later], until, result)
                return False
        return True

    async def _wanted(self, group: list[Message], now: datetime, result: TickResult) -> list[Message]:
        wanted = []
        for message in group:
            if await self.hooks.still_wanted(message, now):
                wanted.append(message)
            elif await self.outbox.settle(message, DROPPED, now):
                result.dropped += 1
        return wanted

    async def _hold_storm(self, turn: Turn, ready: list[Message], now: datetime,
                          result: TickResult) -> list[Message]:
        """Alerts for someone alerted less than a window ago (by any replica) wait for the window's end, to go
        together."""
        until = self._held_until(turn.last_alert, now)
        if until is None:
            return ready
        await self._release([m for m in ready if self._alert(m)], until, result)
        return [m for m in ready if not self._alert(m)]

    def _digest_minimum(self, tenant: str | None, people: int) -> int:
        """How many alerts at once make a digest: two while the tenant is busy (see `BUSY_TENANT`)."""
        minimum = self.policy.digest_minimum
        busy = tenant is not None and max(people, len(self._recent(tenant, self.clock.now()))) >= BUSY_TENANT
        return 2 if busy and minimum > 2 else minimum

    def _recent(self, tenant: str, now: datetime) -> deque[datetime]:
        """The calls this process started to the tenant within the last `BUSY_WINDOW`."""
        calls = self._calls.get(tenant, deque())
        while calls and now - calls[0] >= BUSY_WINDOW:
            calls.popleft()
        return calls

    def _held_until(self, last_alert: datetime | None, now: datetime) -> datetime | None:
        """Until when a person alerted at ``last_alert`` has further alerts held (None: not held now)."""
        if last_alert is None or now - last_alert >= self.policy.storm_window:
            return None
        return last_alert + self.policy.storm_window

    def _alert(self, message: Message) -> bool:
        """An alert about a ticket: held in a storm, gathered into digests."""
        return message.purpose in self.policy.coalescible

    async def _release(self, messages: Sequence[Message], until: datetime, result: TickResult) -> None:
        """Back to pending until ``until``, not counted as an attempt."""
        if messages and await self.outbox.settle_all(messages, PENDING, self.clock.now(), not_before=until):
            result.deferred += len(messages)

    async def _unit(self, turn: Turn, unit: Unit, result: TickResult, last: bool) -> datetime | None:
        """Send one message or digest; None when done with it, else the time the conversation may go on. ``last``:
        the turn ends with it (given back as its outcome is recorded)."""
        now = self.clock.now()
        ours = {m.id for m in unit} if self.outbox.just_claimed(unit, now) else await self.outbox.hold(unit, now)
        if len(ours) < len(unit):
            log.warning("outbox messages %s were taken over by another process; not sent here",
                        [m.id for m in unit if m.id not in ours])
        unit = [m for m in unit if m.id in ours]
        if not unit:
            return None
        wait = self.limiter.acquire(unit[0].recipient, now)
        if wait > timedelta(0):
            await self._release(unit, now + wait, result)
            return now + wait
        message, slots = digest(unit), []

        async def permit() -> None:
            at = self.clock.now()
            slot = await self.gate.slot(message.tenant_id, at, turn)
            if slot is not None:
                slots.append(slot)
                self._calls.setdefault(message.tenant_id or "", deque()).append(at)

        try:
            await self.hooks.deliver(message, permit)
        except BaseException as exc:
            await self.gate.free(message.tenant_id, slots, self.clock.now())
            if isinstance(exc, Throttled):  # the tenant's allowance is taken: a wait, not a failed attempt
                await self._release(unit, exc.until, result)
                return exc.until
            if isinstance(exc, ConnectorError):
                return await self._failed(unit, exc, result)
            raise
        await self._sent(turn, unit, message, slots, result, last)
        return None

    async def _sent(self, turn: Turn, unit: Unit, message: Message, slots: list[int], result: TickResult,
                    last: bool) -> None:
        now = self.clock.now()
        if any(self._alert(m) for m in unit):
            self.gate.alerted(turn, now)

        async def after(conn: AsyncConnection) -> None:  # in the transaction that records the send
            await self.gate.free(message.tenant_id, slots, now, conn)
            if last:
                await self.gate.end(turn, now, conn)

        if not await self.outbox.settle_all(unit, SENT, now, also=after):
            log.warning("outbox message %s was sent but its claim had been taken over", message.key)
        for m in unit:
            due = m.payload.get("due_at")
            lag = (now - datetime.fromisoformat(due)).total_seconds() if due else 0.0
            self.hooks.lag(max(0.0, lag))
            result.lags.append(lag)
        result.sent += len(unit)

    async def _failed(self, unit: Unit, error: ConnectorError, result: TickResult) -> datetime | None:
        now = self.clock.now()
        if error.status in PERMANENT:
            log.error("outbox message %s refused for good: %s", unit[0].key, error)
            await self.outbox.settle_all(unit, FAILED, now, error=str(error))
            result.failed += len(unit)
            for message in unit:
                await self.hooks.refused(message, now)
            return None
        throttled = error.status == THROTTLED and error.retry_after is not None  # a wait, not a failed attempt
        delay = error.retry_after if error.retry_after is not None else float(BACKOFF(SimpleNamespace(
            attempt_number=max(m.attempts for m in unit) + 1)))  # type: ignore[arg-type]  # it reads only this
        until = now + timedelta(seconds=delay)
        if await self.outbox.settle_all(unit, PENDING, now, error=str(error), not_before=until, failed=not throttled):
            result.deferred += len(unit)
        return until
