"""Joining an open ticket: the reporter who said "same problem" follows it instead of opening a second one.

One transaction, keyed by the report's idempotency key: the cleared dialog state, the subscription (one per person
and ticket), the audited contribution to the ticket's impact, the follower's card (held for the turn's reply), a
line in the engineers' thread at a few milestones, a reclassification suggestion when the joined impact now
classifies higher (once per priority), and the activity marked done. The ticket's clocks do not restart and no
ticket is created; a double click, a re-delivery or a retried answer finds the subscription and answers with it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.core import CardFactory, TurnContext
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adaptive_cards.format import local_time
from bot.config import Customer
from bot.edge.connector import ConnectorError
from bot.reminders.store import SENT, enqueue_in
from bot.rules import impact
from bot.rules.verbs import ENGINEER, REPORTER
from bot.services import opening, outbound
from bot.services.context import Services, card_message
from bot.services.gate import ActorContext, Seen, TicketGate
from bot.services.tickets import TicketService
from bot.services.views import policy_of
from bot.store.conversations import TURN_ACTIVITY, ConcurrentWriteError
from bot.store.schema import outbox
from bot.store.tickets import ACTIVE, Event, InTransaction, Subscriber, Ticket
from dialogs import intake
from dialogs.matching import Candidate, covers

log = logging.getLogger("faultline.subscribers")
MILESTONES = (1, 5, 10, 25, 50, 100, 250, 500, 1000)
"""Joins the engineers' thread hears about (the 1st, 5th, 10th …), so a burst never floods it."""
JOINED = "subscriber_joined"
SUGGESTED = "reclassify_suggested"
SPLIT_OUT = "split_out"
RACED = ("Your report changed at the same moment (another message or click), so nothing was joined yet. Please "
         "answer again.")


def candidate(seen: Seen) -> Candidate:
    """What the offer may say about a ticket the reporter's gate let through."""
    ticket = seen.ticket
    return Candidate(ticket.id, ticket.reference, ticket.priority, tuple(ticket.report.get("services") or ()),
                     ticket.report.get("site_name"), ticket.reported_at, bool(ticket.assignee_id))


async def candidates(gate: TicketGate, who: ActorContext, customer: Customer, now: datetime,
                     window: timedelta | None = None) -> tuple[Candidate, ...]:
    """The reporter's own customer's open tickets within the customer's window (none when the window is 0)."""
    window = customer.match_window if window is None else window
    if window <= timedelta(0):
        return ()
    return tuple(candidate(seen) for seen in await gate.offerable(who, customer, now - window))


ANY_AGE = timedelta(days=3650)
"""The window for listing every open incident ("is there a known issue?")."""


def incidents_text(found: Sequence[Candidate], customer: Customer, tz: ZoneInfo, now: datetime) -> str:
    """The customer's open incidents in a few lines, and how to join one."""
    if not found:
        return f"There's no open incident for {customer.name} right now. Tell me what's wrong and I'll report it."
    lines = [f"- {c.reference} · {c.priority or '–'} · {covers(c, customer.services)} · opened "
             f"{local_time(c.opened_at, tz, now)}" for c in sorted(found, key=lambda c: c.ticket_id)]
    return (f"Open incidents for {customer.name}:\n\n" + "\n".join(lines) + "\n\nIf yours is one of these, tell me "
            "what's wrong (for example “no inbound calls at Leeds”) and I'll offer to add you to it, so you get its "
            "updates; otherwise I'll report it as a new problem.")


def card_key(report_key: str) -> str:
    return f"join:{report_key}:card"


def joined_text(reference: str) -> str:
    return (f"You're now following {reference} with the others who reported it: every update, the restoration and "
            "the resolution will appear here. Add anything the engineers should know with “info …”.")


def contributions(events: Sequence[Event]) -> list[dict[str, Any]]:
    """Every follower's contribution to the ticket's impact, from its audit log; one split out no longer counts."""
    found: list[tuple[str, dict[str, Any]]] = []
    for e in events:
        data = e.data or {}
        if e.kind in (JOINED, "merged_in"):
            found.append((str(data.get("subscriber") or ""), dict(data.get("impact") or {})))
        elif e.kind == SPLIT_OUT:
            found = [(who, facts) for who, facts in found if who != data.get("subscriber")]
    return [facts for _, facts in found]


async def join(s: Services, seen: Seen, who: ActorContext, context: TurnContext, found: intake.Join, tz: ZoneInfo,
               report_key: str, clear_state: InTransaction) -> Ticket | None:
    """Make the reporter a follower of the ticket they recognised, once, and answer them with its card."""
    ticket, now = seen.ticket, s.clock.now()
    activity = context.activity
    follower = Subscriber(ticket.id, who.actor_id, who.name, activity.conversation.id, who.tenant,
                          activity.service_url, None, "joined", None, report_key, ACTIVE, now)
    tickets = TicketService(s)
    card = await tickets.card_for(seen.customer, ticket, await s.tickets.events(ticket.id), REPORTER, tz)
    queued: list[str] = []
    added: list[bool] = []

    async def write(conn: AsyncConnection) -> None:
        await clear_state(conn)
        await s.tickets.lock(conn, ticket.id)
        if not await s.tickets.subscribe(conn, follower):
            return
        added.append(True)
        queued.extend(await _joined_in(s, conn, seen, follower, found.answers, card, now))
        if activity.id:
            await s.conversations.finish_activity(activity.id, now, conn=conn, outcome={
                "ticket": ticket.id, "intake": report_key, "joined": True})

    try:
        async with s.db.write() as conn:
            await write(conn)
    except (ConcurrentWriteError, IntegrityError):  # another turn of this report wrote first: did it join?
        if await s.tickets.subscription(report_key) is None:
            await context.send_activity(RACED)
            return None
    if added:
        turn = TURN_ACTIVITY.get()
        if turn is not None:
            turn.done = True
        outbound.kick(s.scheduler, queued)
    await answer_joined(s, context, seen, report_key, tz, held=bool(added), card=card)
    return ticket


async def _joined_in(s: Services, conn: AsyncConnection, seen: Seen, follower: Subscriber,
                     answers: Mapping[str, Any], card: dict[str, Any], now: datetime) -> list[str]:
    """The audited contribution (and the report's answers, should the follower be split out) and what it causes,
    inside the join's transaction; the keys to send now."""
    ticket, contributed = seen.ticket, impact.contribution(answers)
    await s.tickets.note(ticket.id, kind=JOINED, at=now, conn=conn, actor_id=follower.subscriber_id,
                         actor_name=follower.subscriber_name,
                         data={"subscriber": follower.subscriber_id, "impact": contributed, "via": "same problem",
                               "answers": dict(answers)})
    events = await s.tickets.events(ticket.id, conn=conn, kinds=(JOINED, "merged_in", SPLIT_OUT, SUGGESTED))
    reporters = 1 + await s.tickets.subscriber_count(conn, ticket.id)
    rows: list[dict[str, Any] | None] = [outbound.held_for_reply(outbound.row(
        card_key(follower.join_key), ticket_id=ticket.id, purpose="subscriber_card",
        recipient=f"conversation:{follower.conversation_id}", tenant_id=follower.tenant_id, now=now,
        service_url=follower.service_url, activity={"type": "message", "text": joined_text(ticket.reference),
                                                    "attachments": [CardFactory.adaptive_card(card).serialize()]}),
        now)]
    if reporters - 1 in MILESTONES:
        rows.append(await _to_thread(s, ticket, f"reporters:{reporters}", now,
                                     f"{follower.subscriber_name} reports the same problem: {reporters} people have "
                                     f"now reported {ticket.reference}. They follow it and get its updates."))
    rows.append(await _suggestion(s, conn, seen, events, reporters, now))
    found = [row for row in rows if row is not None]
    await enqueue_in(s.db, conn, found)
    return [row["key"] for row in found[1:]]


async def reconsider(s: Services, main: Seen) -> None:
    """After a merge: the main ticket's joined impact, suggested to the engineers if it now classifies higher."""
    ticket, now = main.ticket, s.clock.now()
    async with s.db.write() as conn:
        await s.tickets.lock(conn, ticket.id)
        events = await s.tickets.events(ticket.id, conn=conn, kinds=(JOINED, "merged_in", SPLIT_OUT, SUGGESTED))
        reporters = 1 + await s.tickets.subscriber_count(conn, ticket.id)
        row = await _suggestion(s, conn, main, events, reporters, now)
        await enqueue_in(s.db, conn, [row] if row else [])
    outbound.kick(s.scheduler, [row["key"]] if row else [])


async def _suggestion(s: Services, conn: AsyncConnection, seen: Seen, events: Sequence[Event], reporters: int,
                      now: datetime) -> dict[str, Any] | None:
    """A higher priority the joined impact now reaches, suggested once per priority on the engineers' thread."""
    ticket = seen.ticket
    known = {**ticket.report, **(ticket.classification.get("facts") or {})}
    reading = impact.suggestion(policy_of(ticket), (ticket.category, ticket.priority), known, contributions(events))
    if reading is None or any(e.kind == SUGGESTED and (e.data or {}).get("priority") == reading.priority
                              and (e.data or {}).get("source") == "joined" for e in events):
        return None
    await s.tickets.note(ticket.id, kind=SUGGESTED, at=now, conn=conn, data={
        "priority": reading.priority, "rules": [r.id for r in reading.rules], "source": "joined",
        "scope": impact.scope(reading.facts or {})})
    log.info("ticket %s: %s suggested by the joined impact", ticket.reference, reading.priority)
    return await _to_thread(s, ticket, f"impact:{reading.priority}", now,
                            impact.suggestion_text(ticket, reading, reporters),
                            [{"contentType": "application/vnd.microsoft.card.adaptive",
                              "content": impact.suggestion_card(ticket, reading, reporters)}])


async def _to_thread(s: Services, ticket: Ticket, what: str, now: datetime, message: str,
                     attachments: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """A message on the ticket's channel thread, once per ``what``; None while the thread is not known."""
    thread = ticket.channel_conversation_id
    reference = await s.conversations.reference(thread) if thread else None
    if reference is None:
        return None
    return outbound.row(f"ticket:{ticket.id}:{what}", ticket_id=ticket.id, purpose="subscribers",
                        recipient=f"conversation:{thread}", tenant_id=None, now=now,
                        service_url=reference["serviceUrl"],
                        activity={"type": "message", "text": message, **({"attachments": attachments} if attachments
                                                                         else {})})


async def answer_joined(s: Services, context: TurnContext, seen: Seen, report_key: str, tz: ZoneInfo,
                        held: bool = False, card: dict[str, Any] | None = None) -> None:
    """"You're now following X" with its card, once (as `ticketing.answer_opened` does for a new ticket)."""
    key, now = card_key(report_key), s.clock.now()
    lease = s.scheduler.outbox.lease if s.scheduler is not None else timedelta(seconds=60)
    if not held and not await outbound.take_for_reply(s.db, key, outbound.REPLY, now, lease):
        await context.send_activity(f"You're following {seen.ticket.reference}; every update will appear here.")
        return
    card = card or await TicketService(s).card(seen, tz)
    try:
        sent = await context.send_activity(card_message(card, joined_text(seen.ticket.reference)))
    except ConnectorError as exc:  # the outbox sends it now, and retries
        log.warning("ticket %s: join reply failed (%s); the outbox will send the card", seen.ticket.reference,
                    exc.status)
        await outbound.hand_back(s.db, key, now, str(exc))
        outbound.kick(s.scheduler, [key])
        return
    async with s.db.write() as conn:
        await conn.execute(update(outbox).where(outbox.c.key == key).values(status=SENT, sent_at=s.clock.now()))
    await s.tickets.record_subscriber_card(report_key, sent.id if sent else None)


# -- splitting a wrongly joined reporter out -------------------------------------------------------------------
class _Left(Exception):
    """The follower stopped following meanwhile: nothing is opened."""


def chosen_follower(followers: Sequence[Subscriber], named: str) -> Subscriber | None:
    """The follower an engineer named: by their number in the list, else by their whole name (when only one has it)."""
    named = named.strip()
    if named.isdigit():
        number = int(named)
        return followers[number - 1] if 1 <= number <= len(followers) else None
    alike = [f for f in followers if f.subscriber_name.strip().lower() == named.lower()]
    return alike[0] if len(alike) == 1 else None


def followers_text(reference: str, followers: Sequence[Subscriber]) -> str:
    """Who joined the ticket, numbered, and how to split one out."""
    if not followers:
        return f"Nobody joined {reference} by answering “same problem”, so there is nobody to split out."
    lines = "\n".join(f"{n}. {f.subscriber_name}" for n, f in enumerate(followers, 1))
    return (f"Those who joined {reference}:\n\n{lines}\n\nTo give one of them a ticket of their own, type "
            f"“split {reference} <number>”, for example “split {reference} 1”.")


def split_told(main: str, new: str) -> str:
    return (f"The engineers found that your report is a different problem from {main}, so it now has its own "
            f"ticket, {new}, timed from when you reported it. You no longer follow {main}; {new}'s updates will "
            "appear here.")


async def split_out(s: Services, seen: Seen, named: str, context: TurnContext, tz: ZoneInfo) -> str:
    """An engineer splits a reporter who joined the ticket at intake out into a ticket of their own, opened from
    their report as a new one would be (exactly once per subscription), timed from when they joined; a refusal
    says why and changes nothing."""
    ticket = seen.ticket
    if seen.actor.role != ENGINEER:
        return "Only the customer's engineers can split a reporter out; nothing was changed."
    followers = [f for f in await s.tickets.subscribers(ticket.id) if f.source == "joined"]
    chosen = chosen_follower(followers, named) if named else None
    if chosen is None:
        unknown = f"“{named}” is not among those who joined {ticket.reference}; nothing was changed. " if named else \
            "Only a ticket merged into another can be split out by itself; nothing was changed. "
        return unknown + followers_text(ticket.reference, followers)
    joined = [e for e in await s.tickets.events(ticket.id, kinds=(JOINED,))
              if (e.data or {}).get("subscriber") == chosen.subscriber_id]
    data = joined[-1].data or {} if joined else {}
    answers = dict(data.get("answers") or data.get("impact") or {})
    new = opening.reported(seen.customer, "fault", answers, (chosen.subscriber_id, chosen.subscriber_name,
                                                             chosen.conversation_id), chosen.joined_at)
    now, actor = s.clock.now(), seen.actor

    async def also(conn: AsyncConnection, opened: Ticket) -> None:
        await s.tickets.lock(conn, ticket.id)
        if not await s.tickets.unsubscribe(conn, ticket.id, chosen.subscriber_id, now):
            raise _Left
        await s.tickets.note(ticket.id, kind=SPLIT_OUT, at=now, conn=conn, actor_id=actor.id, actor_name=actor.name,
                             data={"subscriber": chosen.subscriber_id, "ticket": opened.reference, "via": "joined"})

    told = opening.Reporter(chosen.service_url, chosen.tenant_id, lambda t: split_told(ticket.reference, t.reference))
    try:
        mine, opened = await opening.open_for(s, context, seen.customer, new, f"split:{chosen.join_key}", tz,
                                              told, also)
    except _Left:
        return f"{chosen.subscriber_name} no longer follows {ticket.reference}; nothing was changed."
    if not opened:
        return f"{chosen.subscriber_name} was already split out of {ticket.reference} into {mine.reference}."
    log.info("ticket %s: a follower split out into %s by %s", ticket.reference, mine.reference, actor.id)
    return (f"Split {chosen.subscriber_name} out of {ticket.reference}: their report is now {mine.reference} "
            f"({mine.priority or 'no priority'}), timed from when they reported it; they have been told, and "
            "the support channel has the new ticket.")
