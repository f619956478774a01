"""Working a ticket: authorise the actor on the server, apply the verb, then show every conversation the result.

What serves a person takes a `Seen` (a ticket that passed the visibility gate, `bot.services.gate`), never an id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from adaptive_cards import verbs as v
from adaptive_cards.cards import Card, ticket_card
from adaptive_cards.ticket_actions import engineer_actions, reporter_actions, with_view
from bot.config import Customer
from bot.reminders.store import enqueue_in
from bot.rules import impact, reclassify
from bot.rules import verbs as actions
from bot.rules.timers import REMINDER_SNOOZED, UPDATE_TARGET, PlannedTimer
from bot.rules.verbs import ENGINEER, REPORTER, Actor, Change, Refusal
from bot.services import outbound
from bot.services.context import Services
from bot.services.gate import Seen
from bot.services.views import clock_of, controls_of, policy_of, state_of, ticket_view
from bot.store.tickets import ACTIVE, CLOSED, Event, Subscriber, Ticket

log = logging.getLogger("faultline.tickets")


@dataclass(frozen=True)
class Outcome:
    """What the actor sees: the ticket card in their role's view, with a sentence on top."""

    ticket: Ticket
    card: Card
    message: str
    accepted: bool


Row = dict[str, Any]
"""An outbox row (bot.services.outbound.row)."""
Known = Mapping[str, tuple[str, str | None]]
"""Entra id → (Teams id, display name) of the people the bot has seen."""


def engineer_names(customer: Customer, known: Known) -> dict[str, str]:
    """Engineers one can assign to: configured ids, named as Teams last told us."""
    return {aad: (known[aad][1] if aad in known else None) or aad for aad in sorted(customer.engineers)}


def refresh_users(customer: Customer, ticket: Ticket, role: str | None, known: Known) -> list[str]:
    """Teams ids (MRIs) of who gets their own view of this card: the reporter in their chat, engineers elsewhere."""
    wanted = [ticket.reporter_id] if role == REPORTER else sorted(customer.engineers)
    return [known[aad][0] for aad in wanted if aad in known]


JUDGED_BY = {"acknowledged": ("first_response", "First response"), "restored": ("restoration", "Restoration"),
             "resolved": ("resolution", "Resolution")}


def _merge_problem(duplicate: Seen, main: Seen | None) -> str:
    """Why these two cannot be merged ('' when they can)."""
    if main is None:
        return "That main ticket could not be found; nothing was changed."
    if main.ticket.id == duplicate.ticket.id:
        return "A ticket cannot be merged into itself; nothing was changed."
    if main.customer.id != duplicate.customer.id:
        return "That main ticket could not be found; nothing was changed."
    if main.actor.role != ENGINEER:
        return "Only the customer's engineers can merge tickets; nothing was changed."
    if main.ticket.status in CLOSED:
        return f"{main.ticket.reference} is closed; merge into an open ticket. Nothing was changed."
    return ""


def _verdict(ticket: Ticket, events: Sequence[Event], kind: str, now: Any) -> str:
    """' First response met.' / ' Restoration breached.' for the verbs that complete a target."""
    if kind not in JUDGED_BY:
        return ""
    target, label = JUDGED_BY[kind]
    clock = clock_of(ticket, events, now)
    state = clock.targets.get(target) if clock else None
    if state is None or state.status not in ("met", "breached"):
        return ""
    return f" {label} {state.status}."


class TicketService:
    def __init__(self, services: Services) -> None:
        self.s = services

    async def people(self, customer: Customer, *others: str) -> Known:
        """Teams id and name of the customer's engineers (and ``others``) as Teams last told us: one query."""
        return await self.s.conversations.users(sorted({*customer.engineers, *others}))

    # -- acting --------------------------------------------------------------------------------------
    async def act(self, seen: Seen, *, verb: str, inputs: Mapping[str, Any], card_version: int | None,
                  origin: str | None, tz: ZoneInfo) -> Outcome:
        """Apply one verb (or refuse it, changing nothing) and refresh the ticket everywhere else."""
        customer, actor = seen.customer, seen.actor
        known = await self.people(customer, actor.id)
        engineers = engineer_names(customer, known)
        now = self.s.clock.now()

        def decide(ticket: Ticket, events: list[Event]) -> actions.Decision:
            if ticket.customer_id != customer.id:
                return Refusal("That ticket belongs to another customer; nothing was changed.")
            return actions.decide(verb, state_of(ticket, events, engineers), actor, inputs, card_version)

        said: list[Row | None] = []

        async def queue_said(conn: AsyncConnection, ticket: Ticket, change: Change) -> None:
            """The change's own messages commit with it: an update is never kept and its sending lost."""
            said.extend(await self._deliver(ticket, change, actor))
            said.extend(await self._to_followers(conn, ticket, change, actor))
            await enqueue_in(self.s.db, conn, [row for row in said if row is not None])

        ticket, decision = await self.s.tickets.transition(seen.ticket.id, at=now, actor_id=actor.id,
                                                           actor_name=actor.name, decide=decide, also=queue_said)
        events = await self.s.tickets.events(ticket.id)
        if ticket.reporter_id not in known:
            known = {**known, **await self.s.conversations.users([ticket.reporter_id])}
        if isinstance(decision, Change):
            log.info("ticket %s: %s by %s", ticket.reference, decision.kind, actor.id)
            reclassified = ""
            await self._unsent(ticket, said)
            outbound.kick(self.s.scheduler, [row["key"] for row in said if row is not None])
            delivered = all(row is not None for row in said)
            if self.s.scheduler is not None:
                await self.s.scheduler.replan(ticket.id, loaded=(ticket, events))  # as read just now
            told: list[Row | None] = []
            if decision.kind == "info_added":
                ticket, events, reclassified, told = await self._reclassify_from_update(customer, ticket, decision,
                                                                                         actor)
            redrawn = await self.refresh_everywhere(customer, ticket, events, skip=origin, known=known)
            await self._queue([*told, *redrawn])
            message = decision.summary + reclassified + _verdict(ticket, events, decision.kind, now) + (
                "" if delivered else " (It could not be sent: that conversation is unknown; it has been recorded.)")
        else:
            message = decision.reason
        card = await self.card_for(customer, ticket, events, actor.role, tz, message, known=known)
        return Outcome(ticket, card, message, isinstance(decision, Change))

    # -- merge and split -------------------------------------------------------------------------------------
    async def merge(self, duplicate: Seen, main: Seen | None, *, card_version: int | None, origin: str | None,
                    tz: ZoneInfo) -> Outcome:
        """Fold a duplicate into the main ticket: its reporter follows the main one, its timers are retired and both
        audit logs say so (engineers of both tickets' customer only; a refusal says why and changes nothing)."""
        problem = _merge_problem(duplicate, main)
        if problem or main is None:
            return await self._refused(duplicate, problem, tz)
        target, now = main.ticket, self.s.clock.now()

        async def also(conn: AsyncConnection, ticket: Ticket, change: Change) -> None:
            reference = await self.s.conversations.reference(ticket.reporter_conversation_id) or {}
            follower = Subscriber(target.id, ticket.reporter_id, ticket.reporter_name, ticket.reporter_conversation_id,
                                  (reference.get("conversation") or {}).get("tenantId"), reference.get("serviceUrl"),
                                  ticket.reporter_activity_id, "merged", ticket.id, f"merge:{ticket.id}", ACTIVE, now)
            await self.s.tickets.lock(conn, target.id)
            await self.s.tickets.subscribe(conn, follower)
            await self.s.tickets.note(target.id, kind="merged_in", at=now, conn=conn, actor_id=duplicate.actor.id,
                                      actor_name=duplicate.actor.name, data={
                                          "from": ticket.reference, "subscriber": ticket.reporter_id,
                                          "impact": impact.contribution(ticket.report)})
            await self.s.tickets.retire_timers(conn, ticket.id)
            told = await self._row(ticket, ticket.reporter_conversation_id, "merged", (
                f"Your report {ticket.reference} is the same problem as {target.reference}, which the engineers are "
                f"working on. You now follow {target.reference}: its updates will appear here."))
            await enqueue_in(self.s.db, conn, [told] if told else [])

        outcome = await self._act_with(duplicate, v.MERGE, {"into": target.reference}, card_version, origin, tz,
                                       also)
        outbound.kick(self.s.scheduler, [f"ticket:{outcome.ticket.id}:v{outcome.ticket.version}:merged:"
                                         f"{outcome.ticket.reporter_conversation_id}"])
        return outcome

    async def split(self, duplicate: Seen, *, origin: str | None, tz: ZoneInfo) -> Outcome:
        """Undo a merge: the duplicate is its own ticket again (its timers come back) and its reporter stops
        following the main one."""
        now = self.s.clock.now()
        main: list[int] = []

        async def also(conn: AsyncConnection, ticket: Ticket, change: Change) -> None:
            follower = await self.s.tickets.merged_follower(conn, ticket.id)
            if follower is None:
                return
            main.append(follower.ticket_id)
            await self.s.tickets.lock(conn, follower.ticket_id)
            await self.s.tickets.unsubscribe(conn, follower.ticket_id, follower.subscriber_id, now)
            await self.s.tickets.note(follower.ticket_id, kind="split_out", at=now, conn=conn,
                                      actor_id=duplicate.actor.id, actor_name=duplicate.actor.name,
                                      data={"ticket": ticket.reference, "subscriber": follower.subscriber_id})
            told = await self._row(ticket, ticket.reporter_conversation_id, "split", (
                f"Your report {ticket.reference} turned out to be a different problem: it is its own ticket again, "
                "and its updates will appear here."))
            await enqueue_in(self.s.db, conn, [told] if told else [])

        outcome = await self._act_with(duplicate, v.SPLIT, {}, None, origin, tz, also)
        outbound.kick(self.s.scheduler, [f"ticket:{outcome.ticket.id}:v{outcome.ticket.version}:split:"
                                         f"{outcome.ticket.reporter_conversation_id}"])
        return outcome

    async def _refused(self, seen: Seen, reason: str, tz: ZoneInfo) -> Outcome:
        card = await self.card_for(seen.customer, seen.ticket, await self.s.tickets.events(seen.ticket.id),
                                   seen.actor.role, tz, reason)
        return Outcome(seen.ticket, card, reason, False)

    async def _act_with(self, seen: Seen, verb: str, inputs: Mapping[str, Any], card_version: int | None,
                        origin: str | None, tz: ZoneInfo,
                        also: Callable[[AsyncConnection, Ticket, Change], Awaitable[None]]) -> Outcome:
        """One verb whose effects reach beyond the ticket (``also``, in its transaction), then every card redrawn."""
        customer, actor, now = seen.customer, seen.actor, self.s.clock.now()
        known = await self.people(customer, actor.id)

        def decide(ticket: Ticket, events: list[Event]) -> actions.Decision:
            state = state_of(ticket, events, engineer_names(customer, known))
            return actions.decide(verb, state, actor, inputs, card_version)

        ticket, decision = await self.s.tickets.transition(seen.ticket.id, at=now, actor_id=actor.id,
                                                           actor_name=actor.name, decide=decide, also=also)
        if not isinstance(decision, Change):
            return await self._refused(replace(seen, ticket=ticket), decision.reason, tz)
        log.info("ticket %s: %s by %s", ticket.reference, decision.kind, actor.id)
        if self.s.scheduler is not None:
            await self.s.scheduler.replan(ticket.id)
        events = await self.s.tickets.events(ticket.id)
        rows = await self.refresh_everywhere(customer, ticket, events, skip=origin, known=known)
        await self._queue(rows)
        card = await self.card_for(customer, ticket, events, actor.role, tz, decision.summary, known=known)
        return Outcome(ticket, card, decision.summary, True)

    async def _deliver(self, ticket: Ticket, change: Change, actor: Actor) -> list[Row | None]:
        """Updates go to the reporter's chat; reporters' notes go to the channel thread (one key each; None where
        the conversation is unknown, recorded by `_unsent` once the change is stored)."""
        text = str(change.data.get("text") or "")
        if change.kind == "updated":
            return [await self._row(ticket, ticket.reporter_conversation_id, change.kind,
                                    f"Update on {ticket.reference} from {actor.name}:\n\n{text}")]
        if change.kind in ("info_added", "still_broken", "restoration_confirmed") and ticket.channel_conversation_id:
            lead = {"info_added": f"{actor.name} added information", "still_broken": f"⚠ {actor.name} says it is "
                    "still broken", "restoration_confirmed": f"✓ {actor.name} confirms the service works again"}
            return [await self._row(ticket, ticket.channel_conversation_id, change.kind,
                                    f"{lead[change.kind]} ({ticket.reference}){': ' + text if text else '.'}")]
        return []

    async def _to_followers(self, conn: AsyncConnection, ticket: Ticket, change: Change, actor: Actor) -> list[Row]:
        """A customer update goes to every follower too, each once (keyed by ticket version and conversation), within
        their tenant's send limit."""
        if change.kind != "updated":
            return []
        message = f"Update on {ticket.reference} from {actor.name}:\n\n{change.data.get('text') or ''}"
        return [outbound.row(f"ticket:{ticket.id}:v{ticket.version}:{change.kind}:{f.conversation_id}",
                             ticket_id=ticket.id, purpose=change.kind, recipient=f"conversation:{f.conversation_id}",
                             tenant_id=f.tenant_id, now=self.s.clock.now(), service_url=f.service_url,
                             activity={"type": "message", "text": message})
                for f in await self.s.tickets.subscribers(ticket.id, conn=conn) if f.service_url]

    async def _unsent(self, ticket: Ticket, rows: Sequence[Row | None]) -> None:
        """A message whose conversation is unknown cannot be queued: the ticket's audit trail says so."""
        if any(row is None for row in rows):
            await self.s.tickets.note(ticket.id, kind="delivery_failed", at=self.s.clock.now(),
                                      data={"reason": "conversation unknown"})

    async def _reclassify_from_update(self, customer: Customer, ticket: Ticket, change: Change,
                                      actor: Actor) -> tuple[Ticket, list[Event], str, list[Row | None]]:
        """Read the reporter's added information against the report: a higher priority is applied (audited like an
        engineer's reclassify, deadlines and timers follow) and the engineers told; a lower one is only suggested."""
        now, text = self.s.clock.now(), str(change.data.get("text") or "")
        known = {**ticket.report, **(ticket.classification.get("facts") or {})}
        reading = reclassify.reconsider(policy_of(ticket), (ticket.category, ticket.priority), known, text,
                                        catalogue=customer.services, vocabulary=customer.vocabulary, now=now,
                                        tz=customer.timezone)
        said, rows = "", list[Row | None]()
        if reading.kind == "upgrade":
            ticket, said, rows = await self._apply_upgrade(ticket, reading, actor, now)
        elif reading.kind == "suggest" and ticket.channel_conversation_id:
            await self.s.tickets.note(ticket.id, kind="reclassify_suggested", at=now, data={
                "priority": reading.priority, "rules": [r.id for r in reading.rules]})
            rows = [await self._say(ticket, ticket.channel_conversation_id, "reclassify_suggested",
                                    reclassify.suggestion_text(ticket, reading),
                                    attachments=[{"contentType": "application/vnd.microsoft.card.adaptive",
                                                  "content": reclassify.suggestion_card(ticket, reading)}])]
        return ticket, await self.s.tickets.events(ticket.id), said, rows

    async def _apply_upgrade(self, ticket: Ticket, reading: reclassify.Reading, actor: Actor,
                             now: Any) -> tuple[Ticket, str, list[Row | None]]:
        def decide(current: Ticket, events: list[Event]) -> actions.Decision:
            if current.priority != ticket.priority or current.status == "resolved":
                return Refusal("The ticket changed meanwhile; the update is kept as information.")
            return reclassify.upgrade_change(current, reading, actor.name)

        ticket, decision = await self.s.tickets.transition(ticket.id, at=now, actor_id=actor.id,
                                                           actor_name=actor.name, decide=decide)
        if not isinstance(decision, Change):
            return ticket, "", []
        log.info("ticket %s: reclassified to %s from the reporter's update", ticket.reference, ticket.priority)
        if self.s.scheduler is not None:
            await self.s.scheduler.replan(ticket.id)
        told = [await self._say(ticket, ticket.channel_conversation_id, "reclassified_by_update",
                                reclassify.upgrade_text(ticket, reading))] if ticket.channel_conversation_id else []
        return ticket, f" The priority is now {ticket.priority}.", told

    async def _say(self, ticket: Ticket, conversation_id: str, kind: str, message: str,
                   attachments: list[dict[str, Any]] | None = None) -> Row | None:
        """An outbox row for one message of this change (None, and recorded, when the conversation is unknown)."""
        row = await self._row(ticket, conversation_id, kind, message, attachments)
        await self._unsent(ticket, [row])
        return row

    async def _row(self, ticket: Ticket, conversation_id: str, kind: str, message: str,
                   attachments: list[dict[str, Any]] | None = None) -> Row | None:
        """The outbox row for one message of this change; None when the conversation is unknown."""
        reference = await self.s.conversations.reference(conversation_id)
        if reference is None:
            return None
        return outbound.row(f"ticket:{ticket.id}:v{ticket.version}:{kind}:{conversation_id}", ticket_id=ticket.id,
                            purpose=kind, recipient=f"conversation:{conversation_id}", tenant_id=None,
                            now=self.s.clock.now(), service_url=reference["serviceUrl"],
                            activity={"type": "message", "text": message,
                                      **({"attachments": attachments} if attachments else {})})

    async def _queue(self, rows: Sequence[Row | None]) -> None:
        """Queue the messages (retried until delivered) and send them now, without waiting for them."""
        found = [row for row in rows if row is not None]
        if not found:
            return
        async with self.s.db.write() as conn:
            await enqueue_in(self.s.db, conn, found)
        outbound.kick(self.s.scheduler, [row["key"] for row in found])

    async def snooze(self, seen: Seen, *, timer_key: str, minutes: int) -> str:
        """Put a reminder off for 15 or 30 minutes (engineers only); it comes back unless the update is posted."""
        ticket, actor = seen.ticket, seen.actor
        if actor.role != ENGINEER:
            return "Only the customer's engineers can snooze a reminder; nothing was changed."
        if minutes not in (15, 30):
            return "A reminder can be snoozed for 15 or 30 minutes; nothing was changed."
        now = self.s.clock.now()
        point = next((t.point_at for t in await self.s.scheduler.timers.pending(ticket.id)
                      if t.target == UPDATE_TARGET), None)
        clock = clock_of(ticket, await self.s.tickets.events(ticket.id), now)
        target = clock.targets.get(UPDATE_TARGET) if clock else None
        point = target.due_at if target and target.due_at else point
        if point is None or ticket.status == "resolved":
            return "There is no customer update to be reminded of any more."
        until = now + timedelta(minutes=minutes)
        await self.s.scheduler.timers.add(ticket.id, PlannedTimer(REMINDER_SNOOZED, UPDATE_TARGET, point, until),
                                          now, key=f"{timer_key}:snoozed:{until.isoformat()}")
        await self.s.tickets.note(ticket.id, kind="reminder_snoozed", at=now, actor_id=actor.id,
                                  actor_name=actor.name, data={"minutes": minutes, "timer": timer_key})
        return f"Snoozed for {minutes} minutes: I'll remind you again at {until.strftime('%H:%M')} UTC."

    # -- cards -------------------------------------------------------------------------------------------
    async def card(self, seen: Seen, tz: ZoneInfo) -> Card:
        """The ticket card as the actor may see it, in their role's view."""
        events = await self.s.tickets.events(seen.ticket.id)
        return await self.card_for(seen.customer, seen.ticket, events, seen.actor.role, tz)

    async def card_for(self, customer: Customer, ticket: Ticket, events: Sequence[Event], role: str | None,
                       tz: ZoneInfo, banner: str = "", known: Known | None = None) -> Card:
        """The ticket card in ``role``'s view; ``known`` (from `people`) saves looking the people up again."""
        if known is None:
            known = await self.people(customer, ticket.reporter_id)
        controls = controls_of(ticket, events, engineer_names(customer, known))
        base = ticket_card(ticket_view(ticket, events, customer, self.s.clock.now()), tz, self.s.clock.now())
        chosen = {ENGINEER: engineer_actions, REPORTER: reporter_actions}.get(role or "")
        actions_shown = chosen(controls) if chosen else []
        return with_view(base, controls, actions_shown, refresh_users(customer, ticket, role, known), banner)

    async def refresh_everywhere(self, customer: Customer, ticket: Ticket, events: Sequence[Event],
                                 skip: str | None = None, known: Known | None = None) -> list[Row | None]:
        """Redraws of the ticket's card in the reporter's chat and in the channel thread (not where it was used),
        as outbox rows (PUT, keyed by the ticket's version) for the caller to queue."""
        places = [(ticket.reporter_conversation_id, ticket.reporter_activity_id, REPORTER),
                  (ticket.channel_conversation_id, ticket.channel_activity_id, None)]
        rows: list[Row | None] = []
        for conversation_id, activity_id, role in places:
            if not conversation_id or not activity_id or conversation_id == skip:
                continue
            reference = await self.s.conversations.reference(conversation_id)
            if reference is None:
                continue
            card = await self.card_for(customer, ticket, events, role, customer.timezone, known=known)
            rows.append(self._redraw(ticket, conversation_id, activity_id, reference["serviceUrl"], None, card))
        return rows + await self._redraw_followers(customer, ticket, events, skip, known)

    async def _redraw_followers(self, customer: Customer, ticket: Ticket, events: Sequence[Event], skip: str | None,
                                known: Known | None) -> list[Row | None]:
        """Each follower's card, updated in place where it was posted (one drawing of the reporters' view)."""
        followers = [f for f in await self.s.tickets.subscribers(ticket.id)
                     if f.activity_id and f.service_url and f.conversation_id != skip]
        if not followers:
            return []
        card = await self.card_for(customer, ticket, events, REPORTER, customer.timezone, known=known)
        return [self._redraw(ticket, f.conversation_id, str(f.activity_id), str(f.service_url), f.tenant_id, card)
                for f in followers]

    def _redraw(self, ticket: Ticket, conversation_id: str, activity_id: str, service_url: str, tenant: str | None,
                card: Card) -> Row:
        """A PUT of the card where it was posted, keyed by the ticket's version."""
        return outbound.row(
            f"ticket:{ticket.id}:v{ticket.version}:redraw:{conversation_id}", ticket_id=ticket.id,
            purpose="card_redraw", recipient=f"conversation:{conversation_id}", tenant_id=tenant,
            now=self.s.clock.now(), service_url=service_url, op=outbound.UPDATE, activity_id=activity_id,
            version=ticket.version, activity={"type": "message", "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]})
