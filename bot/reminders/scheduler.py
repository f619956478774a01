"""The scheduler: fire due timers into the outbox, then send the outbox — in every server process, safely.

A tick claims due timers (FOR UPDATE SKIP LOCKED on PostgreSQL, so each fires on one replica; a claim whose
process died is taken over when its lease runs out), reads their tickets together, turns each timer into messages
with idempotency keys (ticket, timer, due point, recipient) and marks them all fired with their messages in one
transaction, and replans the tickets once the tick's sends are done. It then sends
claimed outbox messages (bot/reminders/sending.py: concurrent across conversations, fenced by the claim, storms
as digests); a message no longer needed is dropped, a throttled or failed send waits (Retry-After, else
exponential back-off with jitter), a permanent refusal is recorded and escalated. On a quiet tick it opens 1:1
chats ahead of need with the escalation contacts the customer file names. Now and then it prunes what is past its
retention (bot/reminders/prune.py).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from adaptive_cards.format import duration, local_time
from adaptive_cards.reminders import escalation_card, reminder_card
from adaptive_cards.views import TARGET_LABELS
from bot.config import Customer
from bot.edge.connector import Connector, ConnectorError
from bot.logs import correlated
from bot.reminders.gate import SendGate, Throttled
from bot.reminders.people import Managers, NoGraph, contacts
from bot.reminders.prune import Retention, prune
from bot.reminders.sending import Hooks, Permit, Sender, SendPolicy, TickResult
from bot.reminders.store import DROPPED, FIRED, PENDING, Message, Outbox, Timer, TimerStore, references
from bot.rules import timers as p
from bot.services import outbound
from bot.services.context import Services
from bot.services.views import clock_events, clock_of, policy_of
from bot.settings import Settings
from bot.store.tickets import Event, Ticket
from sla import RequestError

log = logging.getLogger("faultline.scheduler")
REMINDERS = (p.REMINDER_LEAD, p.REMINDER_DUE, p.REMINDER_REPEAT, p.REMINDER_SNOOZED)
LADDER_STEP = {p.P1_OPENED: "p1_opened", p.AT_RISK_75: "at_risk", p.BREACHED: "breached",
               p.UPDATE_OVERDUE: "update_overdue"}
RECIPIENTS = (*REMINDERS, *LADDER_STEP)
"""Timer kinds that become messages: reminders go to the assignee, escalations follow the customer's ladder."""


def recipients(kind: str, customer: Customer) -> tuple[str, ...]:
    if kind in REMINDERS:
        return ("assignee",)
    return customer.escalation.ladder.get(LADDER_STEP.get(kind, ""), ())


COALESCIBLE = frozenset({*RECIPIENTS, "delivery_failed"})
"""Alerts about tickets, which a storm turns into one digest per recipient."""
OPEN_AHEAD_PER_TICK = 2
"""1:1 chats opened ahead of need per quiet tick (bot/reminders/scheduler.py `_open_ahead`)."""
OPEN_AHEAD_RETRY = timedelta(hours=1)
"""How long a person whose chat could not be opened (the app not installed for them) is left before trying again."""
CALLS_PER_SEND = 2
"""Connector calls one outbox message may need (create the chat, then send): together they fit in the lease."""
FIRE_BATCH = 100
"""Timers fired per tick. A storm's first alerts go out after the first hundred timers have fired, not after five
hundred (firing reads each ticket and writes its messages); a tick that found this many ticks again at once."""
__all__ = ["Scheduler", "TickResult"]


class Scheduler:
    def __init__(self, services: Services, *, instance: str | None = None, managers: Managers | None = None,
                 settings: p.ReminderSettings = p.DEFAULT_SETTINGS, batch: int = 500, fire_batch: int = FIRE_BATCH,
                 connector: Connector | None = None, lease: timedelta = timedelta(seconds=90)) -> None:
        self.s = services
        # Every call ends well inside the lease, so no other replica can take a message over while it is sent.
        self.connector = (connector or services.connector).bounded(lease.total_seconds() / CALLS_PER_SEND)
        self.instance = instance or uuid.uuid4().hex[:12]
        self.timers = TimerStore(services.db, self.instance, lease)
        self.outbox = Outbox(services.db, self.instance, lease)
        self.managers = managers or NoGraph()
        self.settings, self.batch, self.fire_batch = settings, batch, fire_batch
        self.gate = SendGate(services.db, self.instance, lease)
        self.sender = Sender(self.outbox, self.gate, services.clock, Hooks(
            deliver=self._deliver, still_wanted=self._still_wanted, refused=self._escalate_failure,
            lag=services.telemetry.timer_lag.record), send_policy(services.settings))
        self.retention = retention(services.settings)
        self._pruned_at: datetime | None = None
        self._read: dict[int, tuple[Ticket, list[Event]]] = {}
        """The tickets (and events) of the messages this tick sends, read together before sending them."""
        self._chats: dict[str, Mapping[str, Any] | None] = {}
        """The 1:1 chats (``personal:<user>``) of the people this tick sends to, read together before sending (None:
        no chat known then)."""
        self._firing = False
        self._bindings: dict[str, Any] = {}
        self._threads: dict[str, Mapping[str, Any]] = {}
        """While firing: the channel bindings and thread references of the tickets, each read once."""
        self._task: asyncio.Task[None] | None = None
        self._unopened: dict[str, datetime] = {}
        """People whose chat could not be opened ahead, and when to try again."""
        self._opened: set[str] = set()
        """People known to have a 1:1 chat with the bot (not looked up again)."""

    # -- planning ---------------------------------------------------------------------------------
    async def replan(self, ticket_id: int, loaded: tuple[Ticket, list[Event]] | None = None) -> None:
        """Bring the ticket's timers in line with its clock (``loaded``: the ticket and events already read)."""
        ticket, events = loaded or (await self.s.tickets.get(ticket_id), await self.s.tickets.events(ticket_id))
        if ticket is None:
            return
        await self.timers.replan(ticket_id, self._plan(ticket, events), self.s.clock.now())

    def _plan(self, ticket: Ticket, events: list[Event]) -> list[p.PlannedTimer]:
        try:
            return p.plan(policy_of(ticket), clock_events(ticket, events), self.s.clock.now(), ticket.status,
                          self.settings)
        except RequestError:  # out of scope: no clock, so nothing to remind anyone of
            return []

    # -- the loop ------------------------------------------------------------------------------------
    def start(self, interval: float) -> None:
        self._task = asyncio.create_task(self._run(interval), name="faultline-scheduler")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, interval: float) -> None:
        while True:
            try:
                backlog = (await self.tick()).backlog
            except Exception:  # a bad tick must not stop reminders for good; it is logged and retried
                log.exception("scheduler tick failed")
                backlog = False
            await asyncio.sleep(0 if backlog else interval)

    async def tick(self) -> TickResult:
        """Fire what is due, then send what is ready."""
        result = TickResult()
        now = self.s.clock.now()
        claimed = await self.timers.claim_due(now, self.fire_batch)
        result.backlog = len(claimed) >= self.fire_batch
        fired = await self._fire_all(claimed, now, result) if claimed else {}
        try:
            with correlated(f"send-{self.instance}"):
                await self._send(now, result)
        finally:
            await self._replan_fired(fired, now)  # after sending, so that what fired goes out first
        if not (claimed or result.sent or result.deferred or result.dropped or result.failed):
            await self._open_ahead(now)
        await self._prune(now, result)
        return result

    async def _open_ahead(self, now: datetime) -> None:
        """On a quiet tick, open a 1:1 chat with a few of the escalation contacts the customer file names who have
        none yet (duty managers first), each under their recipient's turn and a slot of the tenant's allowance: a
        storm's first alerts are then one call each, not two. Someone whose chat cannot be opened is tried again an
        hour later."""
        if not self.s.settings.open_chats_ahead:
            return
        wanted = [(person, customers) for person, customers in escalation_contacts(self.s.config.customers)
                  if person not in self._opened and self._unopened.get(person, now) <= now]
        if not wanted:
            return
        known = await references(self.s.db, (chat_key(person) for person, _ in wanted))
        self._opened.update(person for person, _ in wanted if chat_key(person) in known)
        for person, customers in [(p_, c) for p_, c in wanted if p_ not in self._opened][:OPEN_AHEAD_PER_TICK]:
            if not await self._open_one(person, customers, now):
                return

    async def _open_one(self, person: str, customers: Sequence[Customer], now: datetime) -> bool:
        """Open (or find) one person's chat ahead; False when the tenant's allowance is taken (try no more now)."""
        msp = next(iter(sorted(self.s.config.msp.tenants)), None)
        if await self._chat_used(person, msp):
            self._opened.add(person)
            return True
        binding = await self._bound(customers)
        if binding is None:  # none of their customers' support channels is bound: no service URL known yet
            self._unopened[person] = now + OPEN_AHEAD_RETRY
            return True
        tenant = binding.tenant_id or msp
        turn = await self.gate.turn(f"user:{person}", now)
        if turn is None:  # another replica is sending to them (or opening it)
            return True
        slots: list[int] = []
        try:
            if (slot := await self.gate.slot(tenant, self.s.clock.now())) is not None:
                slots.append(slot)
            await self._open_chat(person, tenant, binding.service_url,
                                  f"28:{self.s.settings.app_id}" if self.s.settings.app_id else None)
            self._opened.add(person)
        except Throttled:
            return False
        except ConnectorError as exc:
            log.warning("could not open a chat ahead with %s: %s", person, exc)
            self._unopened[person] = now + OPEN_AHEAD_RETRY
        finally:
            await self.gate.free(tenant, slots, self.s.clock.now())
            await self.gate.end(turn, self.s.clock.now())
        return True

    async def _send(self, now: datetime, result: TickResult) -> None:
        """Send what is ready, the tickets of the reminders and escalations among it and the 1:1 chats of the people
        it goes to read together first."""
        messages = await self.outbox.claim(now, self.batch)
        self._read = await self.s.tickets.with_events({m.ticket_id for m in messages
                                                       if m.ticket_id is not None and _checked(m)})
        chats = {chat_key(m.recipient.removeprefix("user:")) for m in messages if m.recipient.startswith("user:")}
        found = await references(self.s.db, chats)
        self._chats = {key: found.get(key) for key in chats}
        try:
            await self.sender.send(messages, now, result)
        finally:
            self._read, self._chats = {}, {}

    async def _prune(self, now: datetime, result: TickResult) -> None:
        every = timedelta(minutes=self.s.settings.prune_interval)
        if every <= timedelta(0) or (self._pruned_at is not None and now - self._pruned_at < every):
            return
        self._pruned_at = now
        self.sender.forget_idle(now)
        result.pruned = sum((await prune(self.s.db, now, self.retention)).values())

    # -- firing -----------------------------------------------------------------------------------------
    async def _fire_all(self, claimed: list[Timer], now: datetime,
                        result: TickResult) -> dict[int, tuple[Ticket, list[Event]]]:
        """Fire a tick's timers together: their tickets, channel threads and customers' bindings read at once, every
        timer marked fired (or dropped) with its messages in one transaction; the tickets read, to be replanned. A
        timer that cannot be handled stays claimed and is taken up again when its lease runs out."""
        read = await self.s.tickets.with_events({t.ticket_id for t in claimed})
        self._threads = await references(self.s.db, (t.channel_conversation_id for t, _ in read.values()
                                                     if t.channel_conversation_id))
        self._bindings = await self.s.conversations.bindings(t.customer_id for t, _ in read.values())
        self._firing, outcomes = True, []
        try:
            for timer in claimed:
                with correlated(f"timer-{timer.id}"):
                    try:
                        outcomes.append((timer, *await self._outcome(timer, read.get(timer.ticket_id), now,
                                                                     result)))
                    except Exception:  # this timer waits for its lease; the others go on
                        log.exception("firing timer %s failed", timer.id)
        finally:
            self._firing, self._threads, self._bindings = False, {}, {}
        await self.timers.finish_all(outcomes, now)
        return read

    async def _replan_fired(self, read: Mapping[int, tuple[Ticket, list[Event]]], now: datetime) -> None:
        """Replan the tickets whose timers fired (firing changed neither the tickets nor their clocks)."""
        plans = {ticket.id: self._plan(ticket, events) for ticket, events in read.values()
                 if self.s.config.customer(ticket.customer_id) is not None}
        if plans:
            await self.timers.replan_all(plans, now)

    async def _outcome(self, timer: Timer, read: tuple[Ticket, list[Event]] | None, now: datetime,
                       result: TickResult) -> tuple[str, list[dict[str, Any]]]:
        """Fired with its messages, or dropped (its ticket gone, or its clock no longer needs it)."""
        customer = self.s.config.customer(read[0].customer_id) if read else None
        if read is None or customer is None:
            return DROPPED, []
        ticket, events = read
        clock = clock_of(ticket, events, now)
        if clock is None or not p.still_needed(timer.kind, timer.target, timer.point_at, clock, ticket.status):
            result.dropped += 1
            return DROPPED, []
        point = clock.targets[timer.target].due_at if timer.target in clock.targets else None
        messages = await self._messages(timer, ticket, customer, now, point or timer.point_at)
        result.fired += 1
        return FIRED, messages

    async def _messages(self, timer: Timer, ticket: Ticket, customer: Customer, now: datetime,
                        due: datetime) -> list[dict[str, Any]]:
        card = self._card(timer, ticket, customer, now, due)
        where = await self._where(ticket, customer)
        rows = []
        for role in recipients(timer.kind, customer):
            people = await contacts(role, customer, ticket, self.managers)
            if not people and role == "assignee" and ticket.channel_conversation_id:
                people = [f"conversation:{ticket.channel_conversation_id}"]
            if not people:
                await self.s.tickets.note(ticket.id, kind="escalation_unrouted", at=now,
                                          data={"timer": timer.kind, "role": role})
            for person in people:
                recipient = person if person.startswith("conversation:") else f"user:{person}"
                rows.append(self._row(f"{timer.key}:{recipient}", ticket, timer, recipient, where, card, now))
        return rows

    def _row(self, key: str, ticket: Ticket, timer: Timer | None, recipient: str, where: Mapping[str, Any],
             card: Mapping[str, Any], now: datetime, purpose: str | None = None) -> dict[str, Any]:
        activity = {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                        "content": card}]}
        return {"key": key, "ticket_id": ticket.id, "timer_id": timer.id if timer else None,
                "purpose": purpose or (timer.kind if timer else "notice"), "recipient": recipient,
                "tenant_id": where.get("tenant"), "status": PENDING, "attempts": 0, "not_before": now,
                "created_at": now,
                "payload": {"activity": activity, "service_url": where.get("service_url"), "bot": where.get("bot"),
                            "target": timer.target if timer else None,
                            "point_at": timer.point_at.isoformat() if timer else None,
                            "due_at": timer.due_at.isoformat() if timer else now.isoformat(),
                            "alert": {"reference": ticket.reference, "priority": ticket.priority or "",
                                      "what": str(card["body"][0].get("text", "")) if card.get("body") else ""}}}

    async def _where(self, ticket: Ticket, customer: Customer) -> dict[str, Any]:
        """The MSP side's service URL, tenant and bot id, from the ticket's channel thread or binding."""
        thread = ticket.channel_conversation_id or ""
        reference = self._threads.get(thread) or await self.s.conversations.reference(thread) or {}
        binding = await self._binding(customer.id)
        tenant = binding.tenant_id if binding else next(iter(sorted(self.s.config.msp.tenants)), None)
        bot = (reference.get("bot") or {}).get("id") or (f"28:{self.s.settings.app_id}" if self.s.settings.app_id
                                                         else None)
        return {"service_url": reference.get("serviceUrl") or (binding.service_url if binding else None),
                "tenant": reference.get("tenant") or tenant, "bot": bot}

    async def _bound(self, customers: Sequence[Customer]) -> Any:
        """The first of these customers' channel bindings (with a service URL), if any is bound (read in one query)."""
        found = await self.s.conversations.bindings(customer.id for customer in customers)
        return next((b for c in customers if (b := found[c.id]) is not None and b.service_url), None)

    async def _binding(self, customer_id: str) -> Any:
        """The customer's channel binding, read once while firing a tick's timers (else every time)."""
        if customer_id in self._bindings:
            return self._bindings[customer_id]
        binding = await self.s.conversations.binding(customer_id)
        if self._firing:
            self._bindings[customer_id] = binding
        return binding

    def _card(self, timer: Timer, ticket: Ticket, customer: Customer, now: datetime,
              due: datetime) -> dict[str, Any]:
        """``due``: the clock's due time now (for a repeat reminder, the update that is still missing)."""
        tz = customer.timezone
        label = TARGET_LABELS.get(timer.target, "Ticket")
        summary = f"{ticket.priority or '–'} · {customer.name} · {ticket.report.get('description', '')}"[:300]
        late = now - due
        standing = f"late by {duration(late)}" if late > timedelta(0) else f"due in {duration(-late)}"
        if timer.kind in REMINDERS:
            headline = {p.REMINDER_LEAD: f"Customer update due in {duration(-late)}",
                        p.REMINDER_DUE: "Customer update due now"}.get(
                timer.kind, f"Customer update overdue ({standing})")
            return reminder_card(ticket_id=ticket.id, reference=ticket.reference, headline=headline, summary=summary,
                                 due=local_time(due, tz, now), timer_key=timer.key)
        headline = {p.P1_OPENED: f"P1 opened: {ticket.reference}",
                    p.AT_RISK_75: f"{label} at 75% on {ticket.reference}",
                    p.BREACHED: f"{label} breached on {ticket.reference}",
                    p.UPDATE_OVERDUE: f"Customer update overdue on {ticket.reference}"}[timer.kind]
        return escalation_card(ticket_id=ticket.id, reference=ticket.reference, headline=headline, clock=label,
                               lateness=standing, summary=summary, assignee=ticket.assignee_name or "")

    # -- sending ------------------------------------------------------------------------------------------
    async def _still_wanted(self, message: Message, now: datetime) -> bool:
        """A reminder whose update arrived meanwhile (or whose ticket closed) is not sent."""
        if message.ticket_id is None or not _checked(message):
            return True
        ticket, events = self._read.get(message.ticket_id) or (await self.s.tickets.get(message.ticket_id), None)
        if ticket is None:
            return False
        clock = clock_of(ticket, events if events is not None else await self.s.tickets.events(ticket.id), now)
        return clock is not None and p.still_needed(message.purpose, message.payload["target"],
                                                    datetime.fromisoformat(message.payload["point_at"]), clock,
                                                    ticket.status)

    async def _deliver(self, message: Message, permit: Permit) -> None:
        """Carry out the message's op (send by default, create_conversation or update: see bot.services.outbound);
        each connector call first takes its ``permit``."""
        service_url = message.payload.get("service_url") or await outbound.service_url_now(self.s, message)
        if message.recipient.startswith("user:"):
            conversation = await self._personal_chat(message.recipient.removeprefix("user:"), message.tenant_id,
                                                     service_url, message.payload.get("bot"), permit)
        else:  # conversation:<id>, or channel:<id> for a new thread in it
            conversation = message.recipient.split(":", 1)[1]
        await permit()
        await outbound.deliver(self.s, self.connector, message, service_url, conversation)

    async def _personal_chat(self, user: str, tenant: str | None, service_url: str, bot: str | None,
                             permit: Permit) -> str:
        """The 1:1 chat with a user: the one we created or found before, the one they have used with the bot, else
        a new one (then stored)."""
        key = chat_key(user)
        known = self._chats[key] if key in self._chats else await self.s.conversations.reference(key)
        if known:
            return str(known["conversation"]["id"])
        used = await self._chat_used(user, tenant)
        if used:
            return used
        await permit()
        return await self._open_chat(user, tenant, service_url, bot)

    async def _chat_used(self, user: str, tenant: str | None) -> str | None:
        """The 1:1 chat the user has used with the bot (kept from their turns), remembered as theirs; None if none."""
        used = await self.s.conversations.personal_chat(user)
        if not used:
            return None
        await self.s.conversations.remember(conversation_id=chat_key(user), tenant_id=tenant, customer_id=None,
                                            user_id=user, reference=used, at=self.s.clock.now())
        return str(used["conversation"]["id"])

    async def _open_chat(self, user: str, tenant: str | None, service_url: str, bot: str | None) -> str:
        """Create the 1:1 chat with a user (Teams answers with the existing one if there is one) and keep it."""
        key = chat_key(user)
        created = await self.connector.create_conversation(service_url, {
            "isGroup": False, "bot": {"id": bot}, "members": [{"id": user}], "tenantId": tenant,
            "channelData": {"tenant": {"id": tenant}}})
        if not created.conversation_id:
            raise ConnectorError(0, "the connector created no conversation")
        await self.s.conversations.remember(conversation_id=key, tenant_id=tenant, customer_id=None, user_id=user,
                                            reference={"serviceUrl": service_url,
                                                       "conversation": {"id": created.conversation_id}},
                                            at=self.s.clock.now())
        return created.conversation_id

    async def _escalate_failure(self, message: Message, now: datetime) -> None:
        """A message nobody can receive goes to the team lead (once; never about itself)."""
        if message.ticket_id is None or message.purpose == "delivery_failed":
            return
        ticket = await self.s.tickets.get(message.ticket_id)
        customer = self.s.config.customer(ticket.customer_id) if ticket else None
        if ticket is None or customer is None:
            return
        await self.s.tickets.note(ticket.id, kind="delivery_failed", at=now,
                                  data={"recipient": message.recipient, "purpose": message.purpose})
        leads = await contacts("team_lead", customer, ticket, self.managers)
        card = escalation_card(ticket_id=ticket.id, reference=ticket.reference,
                               headline=f"Could not reach {message.recipient.split(':', 1)[1]} about "
                                        f"{ticket.reference}", clock=message.purpose, lateness="undelivered",
                               summary=str(ticket.report.get("description", ""))[:300],
                               assignee=ticket.assignee_name or "")
        where = await self._where(ticket, customer)
        await self.outbox.enqueue(self._row(f"{message.key}:failed:{lead}", ticket, None, f"user:{lead}", where, card,
                                            now, purpose="delivery_failed") for lead in leads)


def chat_key(user: str) -> str:
    """The stored conversation id under which a person's 1:1 chat with the bot is kept."""
    return f"personal:{user}"


def escalation_contacts(customers: Sequence[Customer]) -> list[tuple[str, list[Customer]]]:
    """Everyone the customer file names to escalate to, once each with the customers naming them: duty managers
    first (a P1's first ping)."""
    seen: dict[str, list[Customer]] = {}
    for role in ("duty_manager", "team_lead", "manager"):
        for customer in customers:
            if person := getattr(customer.escalation, role):
                seen.setdefault(person, []).append(customer)
    return list(seen.items())


def _checked(message: Message) -> bool:
    """A reminder or escalation about a clock, checked against it just before it goes."""
    return message.ticket_id is not None and message.payload.get("point_at") is not None \
        and message.purpose in RECIPIENTS


def send_policy(settings: Settings) -> SendPolicy:
    return SendPolicy(concurrency=settings.send_concurrency, storm_window=timedelta(seconds=settings.storm_window),
                      digest_minimum=settings.digest_minimum, coalescible=COALESCIBLE)


def retention(settings: Settings) -> Retention:
    return Retention(activities=timedelta(days=settings.keep_activities_days),
                     dialogs=timedelta(days=settings.keep_dialogs_days),
                     timers=timedelta(days=settings.keep_timers_days), outbox=timedelta(days=settings.keep_outbox_days))
