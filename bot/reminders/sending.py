"""Sending claimed outbox messages: concurrent across conversations, in order within one, fenced by the claim.

Each conversation's messages go one after another; conversations go side by side, at most ``concurrency`` at once,
so one slow connector call holds up only its own conversation. Just before a send the claim is checked and its
lease extended (a replica that took the message over has changed the claim, so this one then skips it), unless the
claim was made a moment ago (a message sent right after the turn that queued it); the
outcome is recorded only under the same claim. A wait — Teams' rate limits here, a Retry-After there — puts the
message back to pending until then, without counting an attempt; only a real failure counts and backs off.
A recipient who just got an alert has further ones held for a short window, and several at once become one digest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from tenacity import wait_exponential_jitter

from bot.clock import Clock
from bot.edge.connector import ConnectorError
from bot.reminders.digest import Unit, digest, units
from bot.reminders.ratelimit import RateLimiter
from bot.reminders.store import DROPPED, FAILED, PENDING, SENT, Message, Outbox

log = logging.getLogger("faultline.sender")
PERMANENT = (403, 404)
THROTTLED = 429
BACKOFF = wait_exponential_jitter(multiplier=5, max=900, jitter=5)


@dataclass
class TickResult:
    fired: int = 0
    dropped: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    lags: list[float] = field(default_factory=list)
    pruned: int = 0


@dataclass(frozen=True)
class SendPolicy:
    concurrency: int = 8
    storm_window: timedelta = timedelta(seconds=30)
    digest_minimum: int = 3
    coalescible: Collection[str] = ()


@dataclass(frozen=True)
class Hooks:
    """What sending asks of the scheduler: deliver, still wanted?, tell someone of a refusal, record the lag."""

    deliver: Callable[[Message], Awaitable[None]]
    still_wanted: Callable[[Message, datetime], Awaitable[bool]]
    refused: Callable[[Message, datetime], Awaitable[None]]
    lag: Callable[[float], None]


class Sender:
    def __init__(self, outbox: Outbox, clock: Clock, hooks: Hooks, policy: SendPolicy = SendPolicy()) -> None:
        self.outbox, self.clock, self.hooks, self.policy = outbox, clock, hooks, policy
        self.limiter = RateLimiter(in_flight=max(1, policy.concurrency))
        self._slots = asyncio.Semaphore(max(1, policy.concurrency))
        self._last_alert: dict[str, datetime] = {}

    def forget_idle(self, now: datetime) -> None:
        """Memory stays flat however many conversations there have been: idle ones are forgotten."""
        self.limiter.forget_idle(now)
        window = self.policy.storm_window
        self._last_alert = {k: at for k, at in self._last_alert.items() if now - at < window}

    async def send(self, messages: Sequence[Message], now: datetime, result: TickResult) -> None:
        conversations: dict[str, list[Message]] = {}
        for message in messages:
            conversations.setdefault(message.recipient, []).append(message)
        outcomes = await asyncio.gather(*(self._conversation(group, now, result) for group in conversations.values()),
                                        return_exceptions=True)
        for group, outcome in zip(conversations.values(), outcomes, strict=True):
            if isinstance(outcome, BaseException):  # that conversation waits for its lease; the others went on
                log.error("sending to outbox messages %s failed: %s", [m.id for m in group], type(outcome).__name__)

    async def _conversation(self, group: list[Message], now: datetime, result: TickResult) -> None:
        async with self._slots:
            ready = await self._wanted(group, now, result)
            ready = await self._hold_storm(ready, now, result)
            planned = units(ready, self.policy.coalescible, self.policy.digest_minimum)
            for n, unit in enumerate(planned):
                until = await self._unit(unit, result)
                if until is not None:  # not sent yet: what follows in this conversation waits behind it
                    await self._release([m for later in planned[n + 1:] for m in later], until, result)
                    return

    async def _wanted(self, group: list[Message], now: datetime, result: TickResult) -> list[Message]:
        wanted = []
        for message in group:
            if await self.hooks.still_wanted(message, now):
                wanted.append(message)
            elif await self.outbox.settle(message, DROPPED, now):
                result.dropped += 1
        return wanted

    async def _hold_storm(self, ready: list[Message], now: datetime, result: TickResult) -> list[Message]:
        """Alerts for someone alerted less than a window ago wait for the window's end, to go together."""
        last = self._last_alert.get(ready[0].recipient) if ready else None
        if last is None or now - last >= self.policy.storm_window:
            return ready
        held = [m for m in ready if m.purpose in self.policy.coalescible]
        await self._release(held, last + self.policy.storm_window, result)
        return [m for m in ready if m.purpose not in self.policy.coalescible]

    async def _release(self, messages: Sequence[Message], until: datetime, result: TickResult) -> None:
        """Back to pending until ``until``, not counted as an attempt."""
        if messages and await self.outbox.settle_all(messages, PENDING, self.clock.now(), not_before=until):
            result.deferred += len(messages)

    async def _unit(self, unit: Unit, result: TickResult) -> datetime | None:
        """Send one message or digest; None when done with it, else the time the conversation may go on."""
        now = self.clock.now()
        ours = {m.id for m in unit} if self.outbox.just_claimed(unit, now) else await self.outbox.hold(unit, now)
        if len(ours) < len(unit):
            log.warning("outbox messages %s were taken over by another process; not sent here",
                        [m.id for m in unit if m.id not in ours])
        unit = [m for m in unit if m.id in ours]
        if not unit:
            return None
        first = unit[0]
        wait = self.limiter.acquire(first.recipient.split(":", 1)[-1], first.tenant_id, now)
        if wait > timedelta(0):
            await self._release(unit, now + wait, result)
            return now + wait
        message = digest(unit)
        try:
            await self.hooks.deliver(message)
        except ConnectorError as exc:
            return await self._failed(unit, exc, result)
        await self._sent(unit, message, result)
        return None

    async def _sent(self, unit: Unit, message: Message, result: TickResult) -> None:
        now = self.clock.now()
        if not await self.outbox.settle_all(unit, SENT, now):
            log.warning("outbox message %s was sent but its claim had been taken over", message.key)
        if any(m.purpose in self.policy.coalescible for m in unit):
            self._last_alert[message.recipient] = now
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
