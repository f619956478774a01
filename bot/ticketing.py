"""Opening a ticket from a confirmed report: store it, show it to the reporter, post it to the support channel."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botbuilder.core import CardFactory, TurnContext

from bot.actions import REPORTER
from bot.config import Customer
from bot.connector import ConnectorError
from bot.services import CUSTOMER_KEY, Services, card_message
from bot.store.tickets import Event, NewTicket, Ticket
from bot.ticket_service import Known, TicketService
from dialogs import intake

log = logging.getLogger("faultline.tickets")


def classification_record(submission: intake.Submission) -> dict[str, Any]:
    result = submission.classification
    return {"category": result.category, "priority": result.priority,
            "rules": [{"id": r.id, "quote": r.quote, "seed": r.seed} for r in result.rules]}


async def open_ticket(s: Services, context: TurnContext, submission: intake.Submission,
                      ctx: intake.IntakeContext) -> Ticket:
    """Store the ticket (the source of truth), then post its cards; a failed post never loses the ticket."""
    customer: Customer = context.turn_state[CUSTOMER_KEY]
    activity = context.activity
    reporter = activity.from_property
    started = submission.answers.get("started_at")
    ticket = await s.tickets.create(NewTicket(
        customer_id=customer.id, reference_prefix=customer.reference_prefix,
        category=submission.classification.category, priority=submission.classification.priority,
        channel=ctx.channel, policy_id=customer.policy.id, policy_snapshot=dict(customer.policy.raw),
        reported_at=ctx.now, started_at=datetime.fromisoformat(started) if started else None,
        report={"kind": submission.kind, **submission.answers},
        classification=classification_record(submission),
        reporter_id=reporter.aad_object_id or reporter.id, reporter_name=reporter.name or "Reporter",
        reporter_conversation_id=activity.conversation.id,
    ), at=ctx.now)
    log.info("ticket opened", extra={"reference": ticket.reference, "priority": ticket.priority})
    tickets = TicketService(s)
    events = await s.tickets.events(ticket.id)
    known = await tickets.people(customer, ticket.reporter_id)
    card = await tickets.card_for(customer, ticket, events, REPORTER, ctx.tz, known=known)
    sent = await context.send_activity(card_message(card, f"Ticket {ticket.reference} is open. The support team "
                                                          "has it; every update will appear here."))
    await s.tickets.record_messages(ticket.id, at=ctx.now, reporter_activity_id=sent.id if sent else None)
    await _post_to_channel(s, tickets, context, customer, ticket, events, known)
    if s.scheduler is not None:
        await s.scheduler.replan(ticket.id)
    return ticket


async def _post_to_channel(s: Services, tickets: TicketService, context: TurnContext, customer: Customer,
                           ticket: Ticket, events: Sequence[Event], known: Known) -> None:
    """A new thread in the customer's support channel, naming the reporter; engineers get their view."""
    binding = await s.conversations.binding(customer.id)
    if binding is not None:
        channel_id, service_url, tenant = binding.channel_id, binding.service_url, binding.tenant_id
    elif customer.support_channel is not None:
        channel_id, service_url = customer.support_channel.channel_id, context.activity.service_url
        tenant = next(iter(sorted(s.config.msp.tenants)), None)
    else:
        await _channel_missing(s, ticket, "no support channel is configured or bound")
        return
    card = await tickets.card_for(customer, ticket, events, None, customer.timezone, known=known)
    parameters = {
        "isGroup": True,
        "bot": {"id": context.activity.recipient.id},
        "channelData": {"channel": {"id": channel_id}, **({"tenant": {"id": tenant}} if tenant else {})},
        "activity": {"type": "message", "text": f"New ticket {ticket.reference} from {ticket.reporter_name} "
                     f"({customer.name})", "attachments": [CardFactory.adaptive_card(card).serialize()]},
    }
    try:
        created = await s.connector.create_conversation(service_url, parameters)
    except ConnectorError as exc:
        await _channel_missing(s, ticket, str(exc))
        return
    thread = created.conversation_id or channel_id
    await s.conversations.remember(conversation_id=thread, tenant_id=tenant, customer_id=customer.id, user_id=None,
                                   reference={"serviceUrl": service_url, "conversation": {"id": thread},
                                              "channelId": "msteams", "tenant": tenant,
                                              "bot": {"id": context.activity.recipient.id}}, at=s.clock.now())
    await s.tickets.record_messages(ticket.id, at=s.clock.now(), channel_conversation_id=thread,
                                    channel_activity_id=created.activity_id)


async def _channel_missing(s: Services, ticket: Ticket, why: str) -> None:
    log.error("ticket %s not posted to the support channel: %s", ticket.reference, why)
    await s.tickets.note(ticket.id, kind="channel_post_failed", at=s.clock.now(), data={"reason": why})
