"""Opening a ticket from a confirmed report, exactly once per report.

One transaction, keyed by the report's idempotency key (held in the dialog state since the report started):
the ticket and its 'opened' event, the cleared dialog state, its timers (P1 ping, reminders, escalations), the
support-channel post and the reporter's card in the outbox, and the activity marked done. A crash at any instant,
a re-delivery, a double click or a retried confirm therefore finds either nothing (and opens it) or this report's
ticket (and answers with it). Messages are sent after the commit; the confirm turn waits for none but its reply.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import Customer
from bot.edge.connector import ConnectorError
from bot.reminders.store import add_timers_in, enqueue_in
from bot.rules import timers as p
from bot.rules.verbs import REPORTER
from bot.services import outbound
from bot.services.context import CUSTOMER_KEY, Services, card_message
from bot.services.tickets import Known, TicketService
from bot.services.views import clock_events, policy_of
from bot.store.conversations import TURN_ACTIVITY, ConcurrentWriteError
from bot.store.tickets import Event, InTransaction, NewTicket, Ticket
from dialogs import intake
from sla import RequestError, classify
from sla.classify import facts_from_mapping

log = logging.getLogger("faultline.tickets")
RACED = ("Your report changed at the same moment (another message or click), so nothing was opened yet. Please "
         "check it and confirm again.")


def classification_record(submission: intake.Submission) -> dict[str, Any]:
    result = submission.classification
    return {"category": result.category, "priority": result.priority,
            "rules": [{"id": r.id, "quote": r.quote, "seed": r.seed} for r in result.rules]}


def opened_text(ticket: Ticket) -> str:
    return outbound.opened_text(ticket.reference)


def card_key(report_key: str) -> str:
    return f"intake:{report_key}:reporter"


def channel_key(report_key: str) -> str:
    return f"intake:{report_key}:channel"


@dataclass(frozen=True)
class ChannelTarget:
    """Where the customer's new tickets are posted: the bound channel, else the configured one."""

    channel_id: str
    service_url: str
    tenant: str | None


async def open_ticket(s: Services, context: TurnContext, submission: intake.Submission, ctx: intake.IntakeContext,
                      report_key: str, clear_state: InTransaction) -> Ticket | None:
    """Open the report's ticket (or find the one it opened before) and answer the reporter with it."""
    customer: Customer = context.turn_state[CUSTOMER_KEY]
    tickets = TicketService(s)
    new = _new_ticket(context, customer, submission, ctx)
    known = await tickets.people(customer, new.reporter_id)
    target = await _channel_target(s, context, customer)
    events: list[Event] | None = None  # the new ticket's events, as its transaction read them for its timers

    async def also(conn: AsyncConnection, ticket: Ticket) -> None:
        nonlocal events
        events = await _caused(s, conn, context, customer, ticket, report_key, ctx.now, ctx.tz, target)

    try:
        ticket, opened = await s.tickets.open(new, at=ctx.now, key=report_key, prepare=clear_state, also=also)
    except ConcurrentWriteError:  # another turn of this conversation wrote first: did it open this report?
        found = await s.tickets.by_intake_key(report_key)
        if found is None:
            await context.send_activity(RACED)
            return None
        ticket, opened = found, False
    if opened:
        log.info("ticket opened", extra={"reference": ticket.reference, "priority": ticket.priority})
        outbound.crash_point("after_commit")
        turn = TURN_ACTIVITY.get()
        if turn is not None:
            turn.done = True  # in the transaction that opened it
        outbound.kick(s.scheduler, [channel_key(report_key)])
    await answer_opened(s, context, customer, ticket, report_key, ctx.tz, known, held=opened,
                        events=events if opened else None)
    return ticket


def _new_ticket(context: TurnContext, customer: Customer, submission: intake.Submission,
                ctx: intake.IntakeContext) -> NewTicket:
    activity = context.activity
    reporter = activity.from_property
    started = submission.answers.get("started_at")
    return NewTicket(
        customer_id=customer.id, reference_prefix=customer.reference_prefix,
        category=submission.classification.category, priority=submission.classification.priority,
        channel=ctx.channel, policy_id=customer.policy.id, policy_snapshot=dict(customer.policy.raw),
        reported_at=ctx.now, started_at=datetime.fromisoformat(started) if started else None,
        report={"kind": submission.kind, **submission.answers},
        classification=classification_record(submission),
        reporter_id=reporter.aad_object_id or reporter.id, reporter_name=reporter.name or "Reporter",
        reporter_conversation_id=activity.conversation.id,
    )


def reported(customer: Customer, kind: str, answers: Mapping[str, Any], who: tuple[str, str, str],
             at: datetime, channel: str = "chat") -> NewTicket:
    """A ticket from a report's answers, classified under the customer's contract as intake does; ``who``: the
    reporter's id, name and chat."""
    submission = intake.Submission(kind, dict(answers), classify(customer.policy, facts_from_mapping(
        intake.facts_of(kind, answers))))
    started = answers.get("started_at")
    return NewTicket(
        customer_id=customer.id, reference_prefix=customer.reference_prefix,
        category=submission.classification.category, priority=submission.classification.priority,
        channel=channel, policy_id=customer.policy.id, policy_snapshot=dict(customer.policy.raw),
        reported_at=at, started_at=datetime.fromisoformat(started) if started else None,
        report={"kind": kind, **answers}, classification=classification_record(submission),
        reporter_id=who[0], reporter_name=who[1], reporter_conversation_id=who[2])


async def _caused(s: Services, conn: AsyncConnection, context: TurnContext, customer: Customer, ticket: Ticket,
                  report_key: str, now: datetime, tz: ZoneInfo, target: ChannelTarget | None,
                  told: Reporter | None = None) -> list[Event]:
    """Everything the new ticket causes, in its own transaction: messages queued (their cards are drawn when
    sent), timers planned, the activity done; its events as read there. Nothing slow happens here. ``told``: the
    reporter is elsewhere (not this turn's sender), so their card goes by the outbox with its own words instead of
    as the reply."""
    card = outbound.row(card_key(report_key), ticket_id=ticket.id, purpose="ticket_card",
                        recipient=f"conversation:{ticket.reporter_conversation_id}",
                        tenant_id=told.tenant_id if told else None, now=now,
                        service_url=told.service_url if told else context.activity.service_url,
                        render=outbound.REPORTER_VIEW, tz=tz.key, record={"reporter_activity_id": True},
                        text=told.text(ticket) if told else None)
    rows = [card if told else outbound.held_for_reply(card, now)]
    if target is None:
        await s.tickets.note(ticket.id, kind="channel_post_failed", at=now, conn=conn,
                             data={"reason": "no support channel is configured or bound"})
    else:
        rows.append(_channel_row(context, customer, ticket, report_key, target, now))
    await enqueue_in(s.db, conn, rows)
    events = await _plan_timers(s, conn, ticket, s.clock.now() if told else now)
    if context.activity.id and told is None:
        await s.conversations.finish_activity(context.activity.id, now, conn=conn,
                                              outcome={"ticket": ticket.id, "intake": report_key})
    return events


@dataclass(frozen=True)
class Reporter:
    """Where to tell a reporter who is not the sender of this turn about their new ticket (a split)."""

    service_url: str | None
    tenant_id: str | None
    text: Callable[[Ticket], str]


async def open_for(s: Services, context: TurnContext, customer: Customer, new: NewTicket, key: str, tz: ZoneInfo,
                   told: Reporter, also: Callable[[AsyncConnection, Ticket], Awaitable[None]]) -> tuple[Ticket, bool]:
    """Open a ticket for someone other than this turn's sender (a subscriber split out), exactly once per ``key``:
    its clocks start at ``new.reported_at``; the channel post and the reporter's card go by the outbox; ``also``
    writes what else it causes in the same transaction."""
    target = await _channel_target(s, context, customer)

    async def caused(conn: AsyncConnection, ticket: Ticket) -> None:
        await _caused(s, conn, context, customer, ticket, key, new.reported_at, tz, target, told)
        await also(conn, ticket)

    ticket, opened = await s.tickets.open(new, at=new.reported_at, key=key, also=caused)
    if opened:
        log.info("ticket opened", extra={"reference": ticket.reference, "priority": ticket.priority})
        outbound.kick(s.scheduler, [card_key(key), channel_key(key)])
    return ticket, opened


def _channel_row(context: TurnContext, customer: Customer, ticket: Ticket, report_key: str, target: ChannelTarget,
                 now: datetime) -> dict[str, Any]:
    """A new thread in the customer's support channel, naming the reporter; engineers get their view."""
    bot = context.activity.recipient.id
    parameters = {"isGroup": True, "bot": {"id": bot},
                  "channelData": {"channel": {"id": target.channel_id},
                                  **({"tenant": {"id": target.tenant}} if target.tenant else {})}}
    return outbound.row(channel_key(report_key), ticket_id=ticket.id, purpose="channel_post",
                        recipient=f"channel:{target.channel_id}", tenant_id=target.tenant, now=now,
                        service_url=target.service_url, op=outbound.CREATE_CONVERSATION, parameters=parameters,
                        bot=bot, render=outbound.CHANNEL_VIEW, record={"channel_thread": True, "customer": customer.id})


async def _channel_target(s: Services, context: TurnContext, customer: Customer) -> ChannelTarget | None:
    binding = await s.conversations.binding(customer.id)
    if binding is not None:
        return ChannelTarget(binding.channel_id, binding.service_url, binding.tenant_id)
    if customer.support_channel is not None:
        return ChannelTarget(customer.support_channel.channel_id, context.activity.service_url,
                             next(iter(sorted(s.config.msp.tenants)), None))
    return None


async def _plan_timers(s: Services, conn: AsyncConnection, ticket: Ticket, now: datetime) -> list[Event]:
    """The new ticket's timers (P1 ping, reminders, escalation ladder), in the transaction that opens it; the
    events they were planned from."""
    events = await s.tickets.events(ticket.id, conn=conn)
    settings = s.scheduler.settings if s.scheduler is not None else p.DEFAULT_SETTINGS
    try:
        planned = p.plan(policy_of(ticket), clock_events(ticket, events), now, ticket.status, settings)
    except RequestError:  # out of scope: no clock, so nothing to remind anyone of
        return events
    await add_timers_in(s.db, conn, ticket.id, planned, now)
    return events


async def answer_opened(s: Services, context: TurnContext, customer: Customer, ticket: Ticket, report_key: str,
                        tz: ZoneInfo, known: Known | None = None, held: bool = False,
                        events: list[Event] | None = None) -> None:
    """"Ticket X is open" with the card, once: the turn that opened the ticket holds the queued card (``held``),
    a re-delivery takes it over if nobody has; else the card is on its way, and this answer is in words.
    ``events``: the ticket's events as the transaction that opened it read them (else they are read here)."""
    key, now = card_key(report_key), s.clock.now()
    lease = s.scheduler.outbox.lease if s.scheduler is not None else timedelta(seconds=60)
    if not held and not await outbound.take_for_reply(s.db, key, outbound.REPLY, now, lease):
        await context.send_activity(opened_text(ticket))
        return
    outbound.crash_point("before_reply")
    tickets = TicketService(s)
    if events is None:
        events = await s.tickets.events(ticket.id)
    card = await tickets.card_for(customer, ticket, events, REPORTER, tz, known=known)
    try:
        sent = await context.send_activity(card_message(card, opened_text(ticket)))
    except ConnectorError as exc:  # the outbox sends it now, and retries
        log.warning("ticket %s: reply failed (%s); the outbox will send the card", ticket.reference, exc.status)
        await outbound.hand_back(s.db, key, now, str(exc))
        outbound.kick(s.scheduler, [key])
        return
    await outbound.replied(s.db, key, s.clock.now(), ticket.id, sent.id if sent else None)
