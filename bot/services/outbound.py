"""Messages a turn causes, through the outbox: rows with an idempotency key, sent right after the commit.

A turn queues every message that is not its direct HTTP answer (the support-channel post, card redraws in other
conversations, updates to the reporter) in the transaction that causes them, then hands the keys to `kick`, which
sends them at once in the background, so the turn never waits for them; anything that fails there is retried by
the scheduler's outbox with back-off. The reporter's ticket card is queued too, held by the turn for its reply
(`held_for_reply`); only if that reply never happens (a crash) does the outbox send it once the hold runs out.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from botbuilder.core import CardFactory
from sqlalchemy import select, update

from bot.edge.connector import Connector, ConnectorError
from bot.reminders.store import PENDING, SENDING, SENT, Message
from bot.rules.verbs import REPORTER
from bot.store.db import Database
from bot.store.schema import outbox, tickets

if TYPE_CHECKING:
    from bot.services.context import Services

log = logging.getLogger("faultline.outbound")
SEND, CREATE_CONVERSATION, UPDATE = "send", "create_conversation", "update"
REPORTER_VIEW, CHANNEL_VIEW = "reporter", "channel"
"""payload["render"]: the ticket card to draw when the message is sent."""
REPLY_GRACE = timedelta(seconds=20)
"""How long the turn that opened a ticket holds the reporter's card before the outbox may send it instead."""
REPLY = "reply"
"""claimed_by of a message the turn sends itself, as its reply."""
_kicked: set[asyncio.Task[None]] = set()


def row(key: str, *, ticket_id: int | None, purpose: str, recipient: str, tenant_id: str | None, now: datetime,
        service_url: str | None, op: str = SEND, not_before: datetime | None = None, **payload: Any) -> dict[str, Any]:
    """One outbox row; ``payload`` carries the op's own fields (activity, parameters, activity_id, record …)."""
    return {"key": key, "ticket_id": ticket_id, "timer_id": None, "purpose": purpose, "recipient": recipient,
            "tenant_id": tenant_id, "status": PENDING, "attempts": 0, "not_before": not_before or now,
            "claimed_by": None, "lease_until": None, "created_at": now,
            "payload": {"op": op, "service_url": service_url, "due_at": now.isoformat(), **payload}}


def crash_point(name: str) -> None:
    """Test hook: with FAULTLINE_TEST_CRASH_AT=name the process ends here at once, as a SIGKILL would."""
    if os.environ.get("FAULTLINE_TEST_CRASH_AT") == name:
        os._exit(137)


# -- the reporter's card: the turn's reply, else the outbox ------------------------------------------------------
def held_for_reply(queued: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The row as claimed by the turn that queues it: the outbox sends it only if the turn's lease runs out."""
    return {**queued, "status": SENDING, "claimed_by": REPLY, "lease_until": now + REPLY_GRACE, "attempts": 1}


async def take_for_reply(db: Database, key: str, instance: str, now: datetime, lease: timedelta) -> bool:
    """Take a queued message for the turn to send itself; False when the outbox has (or had) it already."""
    statement = (update(outbox).where(outbox.c.key == key, outbox.c.status == PENDING)
                 .values(status=SENDING, claimed_by=instance, lease_until=now + lease, attempts=outbox.c.attempts + 1)
                 .returning(outbox.c.id))
    async with db.write() as conn:
        return (await conn.execute(statement)).one_or_none() is not None


async def hand_back(db: Database, key: str, now: datetime, error: str) -> None:
    """The turn could not send it: the outbox sends it now (and retries)."""
    async with db.write() as conn:
        await conn.execute(update(outbox).where(outbox.c.key == key, outbox.c.status == SENDING)
                           .values(status=PENDING, not_before=now, last_error=error[:500]))


async def replied(db: Database, key: str, now: datetime, ticket_id: int, activity_id: str | None) -> None:
    """The turn sent it: settled, and the card's activity id kept on the ticket for redraws."""
    async with db.write() as conn:
        await conn.execute(update(outbox).where(outbox.c.key == key).values(status=SENT, sent_at=now))
        await conn.execute(update(tickets).where(tickets.c.id == ticket_id)
                           .values(reporter_activity_id=activity_id, updated_at=now))


# -- sending right after the commit -----------------------------------------------------------------------------
def kick(scheduler: Any, keys: Iterable[str]) -> None:
    """Send these messages now, in the background (the turn does not wait); failures stay queued for retries."""
    wanted = list(keys)
    if scheduler is None or not wanted:
        return
    task = asyncio.get_running_loop().create_task(_send_now(scheduler, wanted), name="faultline-kick")
    _kicked.add(task)
    task.add_done_callback(_kicked.discard)


async def _send_now(scheduler: Any, keys: list[str]) -> None:
    from bot.reminders.sending import TickResult

    try:
        now = scheduler.s.clock.now()
        await scheduler.sender.send(await scheduler.outbox.claim(now, len(keys), keys=keys), now, TickResult())
    except Exception:  # the outbox still has them; the next tick retries
        log.exception("sending right after the turn failed; the outbox will retry")


async def drain() -> None:
    """Wait for the messages kicked so far (tests, and a clean shutdown)."""
    while _kicked:
        await asyncio.gather(*list(_kicked), return_exceptions=True)


# -- the ops, as the scheduler's `_deliver` carries them out ------------------------------------------------------
async def deliver(s: Services, connector: Connector, message: Message, service_url: str, conversation: str) -> None:
    """One outbox message: its op decides the call; what it created is remembered on its ticket."""
    op = OPS.get(str(message.payload.get("op") or SEND), _send)
    await op(s, connector, message, service_url, conversation)


async def _send(s: Services, connector: Connector, message: Message, service_url: str, conversation: str) -> None:
    payload = message.payload
    activity = payload.get("activity") or await _card_activity(s, message)
    sent = await connector.send(service_url, conversation, {
        **activity, "conversation": {"id": conversation},
        "channelData": {"faultline": {"outboxKey": message.key, "dueAt": payload.get("due_at")}}})
    if _record(payload).get("reporter_activity_id") and message.ticket_id is not None:
        await s.tickets.record_messages(message.ticket_id, at=s.clock.now(), reporter_activity_id=sent.activity_id)


async def _create_conversation(s: Services, connector: Connector, message: Message, service_url: str,
                               channel: str) -> None:
    """A new thread in a channel (the support-channel post); the thread is then remembered on the ticket."""
    payload = message.payload
    parameters = {**payload["parameters"]}
    parameters.setdefault("activity", await _card_activity(s, message))
    created = await connector.create_conversation(service_url, parameters)
    crash_point("after_channel_post")
    thread = created.conversation_id or channel
    reference = {"serviceUrl": service_url, "conversation": {"id": thread}, "channelId": "msteams",
                 "tenant": message.tenant_id, "bot": {"id": payload.get("bot")}}
    async with s.db.write() as conn:  # the thread's reference and the ticket's pointer to it, together
        noted = await s.conversations.remember(conversation_id=thread, tenant_id=message.tenant_id, user_id=None,
                                               customer_id=_record(payload).get("customer"), reference=reference,
                                               at=s.clock.now(), conn=conn)
        if message.ticket_id is not None:
            await s.tickets.record_messages(message.ticket_id, at=s.clock.now(), channel_conversation_id=thread,
                                            channel_activity_id=created.activity_id, conn=conn)
    for note in noted:
        note()


def opened_text(reference: str) -> str:
    return f"Ticket {reference} is open. The support team has it; every update will appear here."


async def _card_activity(s: Services, message: Message) -> dict[str, Any]:
    """The ticket's card as it is when sent, in the view it was queued for: the reporter's, or the engineers' in
    the support channel (rendered here, not in the turn's transaction)."""
    from bot.services.tickets import TicketService

    ticket = await s.tickets.get(message.ticket_id) if message.ticket_id is not None else None
    customer = s.config.customer(ticket.customer_id) if ticket else None
    if ticket is None or customer is None:
        raise ConnectorError(404, "the ticket or its customer no longer exists")
    reporter = message.payload.get("render") == REPORTER_VIEW
    tz = ZoneInfo(str(message.payload.get("tz"))) if reporter and message.payload.get("tz") else customer.timezone
    card = await TicketService(s).card_for(customer, ticket, await s.tickets.events(ticket.id),
                                           REPORTER if reporter else None, tz)
    text = str(message.payload.get("text") or "") or opened_text(ticket.reference) if reporter else \
        f"New ticket {ticket.reference} from {ticket.reporter_name} ({customer.name})"
    return {"type": "message", "text": text, "attachments": [CardFactory.adaptive_card(card).serialize()]}


async def _update(s: Services, connector: Connector, message: Message, service_url: str, conversation: str) -> None:
    """PUT a card again; skipped when the ticket has changed since (a newer redraw was queued then)."""
    payload = message.payload
    ticket = await s.tickets.get(message.ticket_id) if message.ticket_id is not None else None
    if ticket is not None and ticket.version > int(payload.get("version") or 0):
        return
    await connector.update(service_url, conversation, payload["activity_id"],
                           {**payload["activity"], "id": payload["activity_id"], "conversation": {"id": conversation}})


async def service_url_now(s: Services, message: Message) -> str:
    """A message queued before its ticket's channel thread was known (a P1 ping fired right after the ticket was
    opened): the thread's service URL now, or wait (retryable) while the channel post is still queued."""
    ticket = await s.tickets.get(message.ticket_id) if message.ticket_id is not None else None
    reference = await s.conversations.reference(ticket.channel_conversation_id) \
        if ticket is not None and ticket.channel_conversation_id else None
    if reference and reference.get("serviceUrl"):
        return str(reference["serviceUrl"])
    if ticket is not None and await _channel_post_queued(s.db, ticket.id):
        raise ConnectorError(503, "waiting for the ticket's support-channel post", retry_after=5)
    raise ConnectorError(404, "no service URL known for this recipient")


async def _channel_post_queued(db: Database, ticket_id: int) -> bool:
    async with db.read() as conn:
        found = await conn.execute(select(outbox.c.id).where(
            outbox.c.ticket_id == ticket_id, outbox.c.purpose == "channel_post",
            outbox.c.status.in_((PENDING, SENDING))).limit(1))
        return found.first() is not None


def _record(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    found = payload.get("record")
    return found if isinstance(found, Mapping) else {}


OPS: dict[str, Callable[[Services, Connector, Message, str, str], Awaitable[None]]] = {
    SEND: _send, CREATE_CONVERSATION: _create_conversation, UPDATE: _update}
