"""The activity handler: turn an activity into a route, run it, keep the conversation's state."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncConnection

from adaptive_cards import verbs
from adaptive_cards.cards import welcome_card
from adaptive_cards.format import local_time
from bot.config import Customer
from bot.rules.commands import parse_command
from bot.rules.routing import Incoming, route
from bot.rules.verbs import ENGINEER
from bot.services import report_command, subscribing
from bot.services.context import CUSTOMER_KEY, TENANT_KEY, Services, card_message
from bot.services.gate import ActorContext, InThread, Seen, TicketGate, ticket_id
from bot.services.opening import answer_opened, open_ticket
from bot.services.tickets import Outcome as TicketOutcome
from bot.services.tickets import TicketService
from bot.services.views import STATUS_TEXT, soonest_deadline
from bot.store.conversations import Binding, DatabaseStorage
from bot.store.tickets import CLOSED, InTransaction, format_reference
from dialogs import intake

log = logging.getLogger("faultline.turn")
REPORT_KEY = "report_key"
"""Dialog-state key of the report's idempotency key: the ticket it opens carries it (unique)."""
HELP_TEXT = (
    "I run the fault desk. Tell me what's broken (for example “our phones are down”) and I'll collect what your "
    "contract needs, show you the priority and every deadline, and open a ticket.\n\n"
    "You can also ask a question (“how do I …?”) or request a change (“please add …”): those get their own "
    "targets. While reporting, say “cancel”, “start over” or “help” at any time."
)
NOT_FOUND_BY_CARD = "That ticket could not be found; nothing was changed."
NOT_FOUND_BY_TEXT = ("Which ticket? Name it, for example “update ACME-000123 engineer on the way”, or type the "
                     "command in the ticket's own thread. Nothing was changed.")
"""The answers for a ticket that does not exist — and, word for word, for one the sender may not see."""


def card_action(value: Any) -> tuple[str, dict[str, Any]]:
    """The verb and data of an adaptiveCard/action invoke's value (empty when the shape is not a card action's)."""
    action = value.get("action") if isinstance(value, dict) else None
    action = action if isinstance(action, dict) else {}
    data = action.get("data")
    return str(action.get("verb") or ""), data if isinstance(data, dict) else {}


def user_zone(activity: Activity, customer: Customer | None) -> ZoneInfo:
    """The activity's localTimezone when Teams sends one, else the customer's."""
    name = getattr(activity, "local_timezone", None)
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return customer.timezone if customer else ZoneInfo("UTC")


class FaultlineBot:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.intake_state = services.state.create_property("intake")
        self.tickets = TicketService(services)
        self.gate = TicketGate(services)

    async def on_turn(self, context: TurnContext) -> None:
        incoming = await self._incoming(context)
        name = route(incoming)
        self.s.telemetry.turns.add(1, name)
        log.info("route %s", name, extra={"route": name, "activity_type": incoming.type})
        await getattr(self, f"_on_{name}")(context, incoming)
        await self.s.state.save_changes(context)

    async def _incoming(self, context: TurnContext) -> Incoming:
        activity = context.activity
        customer = context.turn_state.get(CUSTOMER_KEY)
        recipient = activity.recipient.id if activity.recipient else None
        mentioned = any(e.type == "mention" and (e.additional_properties.get("mentioned") or {}).get("id") == recipient
                        for e in activity.entities or [])
        text = TurnContext.remove_recipient_mention(activity) if mentioned else (activity.text or "")
        value = activity.value if isinstance(activity.value, dict) else {}
        added = [m.id for m in activity.members_added or []]
        state = await self.intake_state.get(context, None) if customer else None
        return Incoming(
            type=activity.type, name=activity.name,
            conversation_type=(activity.conversation.conversation_type or "personal"),
            from_msp=customer is None, mentioned=mentioned, text=(text or "").strip(),
            action=value.get(verbs.ACTION_KEY), bot_added=recipient in added, intake_active=bool(state),
        )

    # -- routes ----------------------------------------------------------------------------------
    async def _on_ignore(self, context: TurnContext, incoming: Incoming) -> None:
        return None

    async def _on_installed(self, context: TurnContext, incoming: Incoming) -> None:
        customer: Customer | None = context.turn_state.get(CUSTOMER_KEY)
        if customer is None:
            await context.send_activity("Hello! An MSP admin can type “@Faultline bind <customer>” in a customer's "
                                        "support channel to have that customer's new tickets posted there.")
            return
        await context.send_activity(card_message(welcome_card(customer.name, customer.policy.name)))

    async def _on_welcome(self, context: TurnContext, incoming: Incoming) -> None:
        customer: Customer = context.turn_state[CUSTOMER_KEY]
        await context.send_activity(card_message(welcome_card(customer.name, customer.policy.name)))

    async def _on_help(self, context: TurnContext, incoming: Incoming) -> None:
        await context.send_activity(HELP_TEXT)

    async def _on_known_issues(self, context: TurnContext, incoming: Incoming) -> None:
        """"me too", "is there a known issue?": the customer's open incidents, as the gate lets this user see them."""
        customer: Customer = context.turn_state[CUSTOMER_KEY]
        found = await subscribing.candidates(self.gate, self._who(context), customer, self.s.clock.now(),
                                             window=subscribing.ANY_AGE)
        await context.send_activity(subscribing.incidents_text(found, customer, user_zone(context.activity, customer),
                                                               self.s.clock.now()))

    async def _on_stale_card(self, context: TurnContext, incoming: Incoming) -> None:
        await context.send_activity("That form is no longer in progress, so nothing was changed. Say “report a "
                                    "fault” to start a new report.")

    async def _on_msp_help(self, context: TurnContext, incoming: Incoming) -> None:
        await context.send_activity("This is the provider's side of the fault desk. Admins: type “bind <customer>” "
                                    "in a customer's support channel to post that customer's new tickets there.")

    async def _on_bind(self, context: TurnContext, incoming: Incoming) -> None:
        activity = context.activity
        who = (activity.from_property.aad_object_id if activity.from_property else None) or ""
        if who not in self.s.config.msp.admins:
            await context.send_activity("Only an MSP admin can bind a support channel. Nothing was changed.")
            return
        channel = (activity.channel_data or {}).get("channel", {}).get("id")
        name = incoming.text.split(maxsplit=1)[1] if len(incoming.text.split()) > 1 else ""
        customer = self.s.config.find_customer(name)
        if not channel or customer is None:
            known = ", ".join(c.id for c in self.s.config.customers)
            problem = "Type this in a channel of a team, not in chat." if not channel else \
                f"I don't know the customer “{name}”. Known customers: {known}."
            await context.send_activity(f"{problem} Nothing was changed.")
            return
        team = (activity.channel_data or {}).get("team", {}).get("id")
        tenant = (activity.channel_data or {}).get("tenant", {}).get("id")
        await self.s.conversations.bind(Binding(customer.id, team, channel, activity.service_url, tenant, who,
                                                self.s.clock.now()))
        await context.send_activity(f"Bound {customer.name} to this channel: their new tickets will be posted here.")

    async def _start(self, context: TurnContext, incoming: Incoming, kind: str) -> None:
        first = incoming.text if incoming.action is None else ""
        ctx = await self._matching_context(context, None, kind)
        await self._apply(context, intake.start(kind, ctx, first))

    async def _on_start_fault(self, context: TurnContext, incoming: Incoming) -> None:
        await self._start(context, incoming, "fault")

    async def _on_start_question(self, context: TurnContext, incoming: Incoming) -> None:
        await self._start(context, incoming, "question")

    async def _on_start_change(self, context: TurnContext, incoming: Incoming) -> None:
        await self._start(context, incoming, "change")

    async def _on_intake(self, context: TurnContext, incoming: Incoming) -> None:
        state = await self.intake_state.get(context, None)
        value = context.activity.value if isinstance(context.activity.value, dict) else {}
        ctx = await self._matching_context(context, state)
        await self._apply(context, intake.step(dict(state), intake.Turn(incoming.text, value), ctx),
                          state.get(REPORT_KEY), state)

    # -- working tickets: every ticket is found through the visibility gate -------------------------
    def _who(self, context: TurnContext) -> ActorContext:
        activity = context.activity
        sender = activity.from_property
        return ActorContext(aad_id=sender.aad_object_id or "", mri=sender.id, name=sender.name or "Someone",
                            tenant=context.turn_state.get(TENANT_KEY), service_url=activity.service_url)

    async def _on_card_action(self, context: TurnContext, incoming: Incoming) -> None:
        verb, data = card_action(context.activity.value)
        seen = await self.gate.visible_ticket(self._who(context), ticket_id(data.get("ticket")))
        if seen is None:
            await self._invoke_reply(context, message=NOT_FOUND_BY_CARD)
            return
        tz = user_zone(context.activity, seen.customer)
        if verb == verbs.SNOOZE:
            minutes = data.get("minutes")
            await self._invoke_reply(context, message=await self.tickets.snooze(
                seen, timer_key=str(data.get("timer", "")), minutes=minutes if isinstance(minutes, int) else 0))
        elif verb == verbs.REFRESH:
            await self._invoke_reply(context, card=await self.tickets.card(seen, tz))
        else:
            version = data.get("version")
            outcome = await self._act(context, seen, verb, data, version if isinstance(version, int) else None,
                                      context.activity.conversation.id, tz)
            await self._invoke_reply(context, card=outcome.card)

    async def _act(self, context: TurnContext, seen: Seen, verb: str, inputs: Mapping[str, Any],
                   card_version: int | None, origin: str | None, tz: ZoneInfo) -> TicketOutcome:
        """One verb on a ticket; a merge finds its main ticket through the gate as well."""
        if verb == verbs.MERGE and seen.actor.role == ENGINEER:
            main = await self.gate.visible_ticket(self._who(context), str(inputs.get("into") or "").strip().upper()
                                                  or None)
            outcome = await self.tickets.merge(seen, main, card_version=card_version, origin=origin, tz=tz)
            if outcome.accepted and main is not None:
                await subscribing.reconsider(self.s, main)
            return outcome
        if verb == verbs.SPLIT and seen.actor.role == ENGINEER:
            return await self.tickets.split(seen, origin=origin, tz=tz)
        return await self.tickets.act(seen, verb=verb, inputs=inputs, origin=origin, card_version=card_version, tz=tz)

    async def _invoke_reply(self, context: TurnContext, card: dict[str, Any] | None = None, message: str = "") -> None:
        body = ({"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card} if card else
                {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": message})
        await context.send_activity(Activity(type="invokeResponse", value=InvokeResponse(status=200, body=body)))

    async def _on_ticket_command(self, context: TurnContext, incoming: Incoming) -> None:
        command = parse_command(incoming.text)
        assert command is not None
        if command.word == "tickets":
            await context.send_activity(await self._ticket_list(context))
            return
        seen, mine = await self._ticket_for(context, command.reference)
        if seen is None:
            unnamed_status = command.verb is None and command.reference is None
            await context.send_activity(await self._which_ticket(context, mine) if unnamed_status
                                        else NOT_FOUND_BY_TEXT)
            return
        tz = user_zone(context.activity, seen.customer)
        if command.verb is None:  # status
            await context.send_activity(card_message(await self.tickets.card(seen, tz)))
            return
        named = str(command.inputs.get("subscriber") or "") if command.verb == verbs.SPLIT else ""
        if named or (command.verb == verbs.SPLIT and seen.actor.role == ENGINEER and seen.ticket.status != "merged"):
            await context.send_activity(await subscribing.split_out(self.s, seen, named, context, tz))
            return
        outcome = await self._act(context, seen, command.verb, command.inputs, None, None, tz)
        await context.send_activity(card_message(outcome.card, outcome.message))

    async def _on_query_in_report(self, context: TurnContext, incoming: Incoming) -> None:
        """"status" or "my tickets" typed in the middle of a report: answered, then the report's question again."""
        await self._on_ticket_command(context, incoming)
        state = await self.intake_state.get(context, None)
        await context.send_activity(intake.waiting(state, self._intake_context(context)))

    async def _on_report_or_exclude(self, context: TurnContext, incoming: Incoming) -> None:
        await context.send_activity(await report_command.answer(self.s, self.gate, self._who(context), incoming.text,
                                                                context.turn_state.get(CUSTOMER_KEY)))

    async def _ticket_for(self, context: TurnContext, reference: str | None) -> tuple[Seen | None, list[Seen] | None]:
        """The named ticket, else this thread's, else (in 1:1 chat only) the sender's only open one — of those they
        may see; and the sender's open tickets when they were read for it. In a channel or group chat an unnamed
        command belongs to the thread's ticket or to none, so an update typed in a thread the sender may not see
        never lands on a ticket of their own elsewhere."""
        who = self._who(context)
        if reference:
            return await self.gate.visible_ticket(who, reference), None
        in_thread = await self.gate.visible_ticket(who, InThread(context.activity.conversation.id))
        if in_thread is not None or (context.activity.conversation.conversation_type or "personal") != "personal":
            return in_thread, None
        mine = await self.gate.visible_open(who)
        return (mine[0] if len(mine) == 1 else None), mine

    async def _which_ticket(self, context: TurnContext, mine: list[Seen] | None) -> str:
        """A plain "status" that points at no one ticket: what to type instead, from the sender's own open tickets
        (``mine``, when already read; theirs to see, so nothing is said about any other)."""
        if mine is None:
            mine = await self.gate.visible_open(self._who(context))
        if mine:
            return (f"Which ticket? You have {len(mine)} open: name one, for example “status "
                    f"{mine[0].ticket.reference}”, or say “my tickets” to list them.")
        customer: Customer | None = context.turn_state.get(CUSTOMER_KEY)
        example = format_reference(customer.reference_prefix if customer else "ACME", 123)
        return f"You have no open tickets. To see another one, name it, for example “status {example}”."

    async def _ticket_list(self, context: TurnContext) -> str:
        """My open tickets, soonest deadline first."""
        now = self.s.clock.now()
        rows = []
        for seen in await self.gate.visible_open(self._who(context)):
            ticket = seen.ticket
            due, label = soonest_deadline(ticket, await self.s.tickets.events(ticket.id), now)
            when = f"{label} due {local_time(due, user_zone(context.activity, seen.customer), now)}" if due else \
                "no deadline running"
            rows.append((due or datetime.max.replace(tzinfo=UTC), f"- {ticket.reference} · {ticket.priority or '–'} · "
                                                                  f"{STATUS_TEXT.get(ticket.status)} · {when}"))
        if not rows:
            return "You have no open tickets."
        return "Your open tickets, soonest deadline first:\n\n" + "\n".join(line for _, line in sorted(rows))

    # -- intake glue ---------------------------------------------------------------------------------
    def _intake_context(self, context: TurnContext) -> intake.IntakeContext:
        customer: Customer = context.turn_state[CUSTOMER_KEY]
        return intake.IntakeContext(customer.name, customer.policy, customer.services,
                                    user_zone(context.activity, customer), self.s.clock.now(),
                                    vocabulary=customer.vocabulary)

    async def _matching_context(self, context: TurnContext, state: dict[str, Any] | None,
                                kind: str = "fault") -> intake.IntakeContext:
        """The intake's context with the open tickets this report may repeat, when it may still be offered one."""
        ctx = self._intake_context(context)
        if not intake.looks_for_match(state, kind):
            return ctx
        customer: Customer = context.turn_state[CUSTOMER_KEY]
        found = await subscribing.candidates(self.gate, self._who(context), customer, ctx.now)
        return replace(ctx, candidates=found, match_window=customer.match_window)

    async def _apply(self, context: TurnContext, outcome: intake.Outcome, report_key: str | None = None,
                     state: dict[str, Any] | None = None) -> None:
        if outcome.submission is not None:
            await self._open(context, outcome.submission, report_key)
            return
        if outcome.join is not None and state is not None:
            await self._join(context, outcome.join, report_key, state)
            return
        if outcome.state is None:
            await self._forget_report(context)
        else:  # the report's idempotency key, from its first turn to the ticket it opens
            outcome.state.setdefault(REPORT_KEY, uuid.uuid4().hex)
            await self.intake_state.set(context, outcome.state)
        for reply in outcome.replies:
            await context.send_activity(card_message(reply.card, reply.text) if reply.card else reply.text)

    async def _forget_report(self, context: TurnContext) -> None:
        """Drop the report in progress, if there is one (botbuilder's delete raises on a property never set)."""
        if await self.intake_state.get(context, None) is not None:
            await self.intake_state.delete(context)

    async def _clearing(self, context: TurnContext, report_key: str | None) -> tuple[str, InTransaction]:
        """Forget the report, and how to store that inside the transaction that ends it (checking its e_tag)."""
        await self._forget_report(context)
        state = self.s.state
        document, storage_key = dict(state.get_cached_state(context).state), state.get_storage_key(context)
        key = report_key or f"state-{document.get('e_tag') or uuid.uuid4().hex}"  # a report begun before keys

        async def clear(conn: AsyncConnection) -> None:
            await DatabaseStorage(self.s.db, self.s.clock).write_in(conn, storage_key, document)

        return key, clear

    async def _open(self, context: TurnContext, submission: intake.Submission, report_key: str | None) -> None:
        """Open the ticket and clear the report in one transaction (the state write checks its e_tag there)."""
        key, clear = await self._clearing(context, report_key)
        try:
            await open_ticket(self.s, context, submission, self._intake_context(context), key, clear)
        finally:  # what is stored now is what this turn's state is: nothing left for save_changes to write
            await self.s.state.load(context, force=True)

    async def _join(self, context: TurnContext, found: intake.Join, report_key: str | None,
                    state: dict[str, Any]) -> None:
        """Follow the ticket the reporter recognised, if it is still open and theirs to see; else a new report."""
        who = self._who(context)
        seen = await self.gate.visible_ticket(who, found.ticket_id)
        customer: Customer = context.turn_state[CUSTOMER_KEY]
        if seen is None or seen.ticket.status in CLOSED or seen.customer.id != customer.id:
            await context.send_activity(f"{found.reference} was closed meanwhile, so yours is a new report.")
            declined = intake.Turn("", {verbs.ACTION_KEY: verbs.NOT_SAME_PROBLEM})
            await self._apply(context, intake.step(dict(state), declined, self._intake_context(context)), report_key)
            return
        key, clear = await self._clearing(context, report_key)
        try:
            await subscribing.join(self.s, seen, who, context, found, user_zone(context.activity, customer), key,
                                   clear)
        finally:
            await self.s.state.load(context, force=True)

    async def replay_opened(self, context: TurnContext, outcome: dict[str, Any]) -> None:
        """A re-delivered confirm whose ticket was opened (or "same problem" whose ticket was joined): answer with
        that ticket again."""
        seen = await self.gate.visible_ticket(self._who(context), ticket_id(outcome.get("ticket")))
        if seen is not None and outcome.get("joined"):
            await subscribing.answer_joined(self.s, context, seen, str(outcome.get("intake")),
                                            user_zone(context.activity, seen.customer))
        elif seen is not None:
            await answer_opened(self.s, context, seen.customer, seen.ticket, str(outcome.get("intake")),
                                user_zone(context.activity, seen.customer))


def activity_summary(activity: dict[str, Any]) -> str:
    """Type and ids only, for logs (never text, tokens or card data)."""
    return f"{activity.get('type')} id={activity.get('id')} conversation={activity.get('conversation', {}).get('id')}"
