"""The visibility gate: every read of a ticket for a person goes through `TicketGate`.

`visible_ticket` (one ticket, by id, reference or thread), `visible_open` (a person's list: reported, assigned or
followed) and `offerable` (a reporter's own customer's open tickets, for "same problem?") answer None — or
leave the ticket out — alike for a ticket that does not exist and for one the person may not see
(`bot.rules.visibility`). What acts on or shows a ticket for a person (`TicketService.act`, `snooze`, `card`)
takes the `Seen` they return, so no path can skip the gate without a type error, and `tests/test_one_gate.py`
fails if code outside it reads tickets from the store.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.config import Customer
from bot.edge.connector import ConnectorError
from bot.reminders.people import Managers, NoGraph, contacts
from bot.rules.verbs import Actor
from bot.rules.visibility import Viewer, Vouched, configured_contacts, seen_as, worth_asking
from bot.services.context import Services
from bot.store.tickets import Ticket

log = logging.getLogger("faultline.visibility")
MAX_TICKET_ID = 2**31 - 1
"""Ticket ids beyond the database's integer name no ticket (rather than failing the query)."""
ESCALATION_ROLES = ("team_lead", "manager", "duty_manager")


@dataclass(frozen=True)
class ActorContext:
    """Who sent the activity, as Teams authenticated them."""

    aad_id: str  # Entra object id; "" when Teams sent none
    mri: str | None  # Teams user id ("29:…")
    name: str
    tenant: str | None
    service_url: str | None

    @property
    def actor_id(self) -> str:
        return self.aad_id or self.mri or ""


@dataclass(frozen=True)
class InThread:
    """The ticket whose card started this channel thread."""

    conversation_id: str


TicketKey = int | str | InThread
"""How a person names a ticket: its id (card data), its reference (typed), or the thread they type in."""


@dataclass(frozen=True)
class Seen:
    """A ticket the actor may see, its customer, and the actor in the role they see it in."""

    ticket: Ticket
    customer: Customer
    actor: Actor


def ticket_id(raw: Any) -> int | None:
    """A ticket id from a card's data (an integer, or its ASCII digits); anything else names no ticket."""
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10:
        return int(raw)
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


class TicketGate:
    """Finds tickets for a person: only those they may see, and in the role they see them in."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def visible_ticket(self, who: ActorContext, key: TicketKey | None) -> Seen | None:
        """The ticket ``key`` names, as ``who`` sees it; None alike when there is none and when it is not theirs."""
        ticket = await self._find(key)
        return await self._seen(who, ticket) if ticket is not None else None

    async def visible_open(self, who: ActorContext) -> list[Seen]:
        """Open tickets assigned to ``who`` (the MSP's side) or reported by them (a customer's), that they may see."""
        staff = self.s.config.customer_for_tenant(who.tenant) is None
        mine = await self.s.tickets.open_tickets(**{"assignee_id" if staff else "reporter_id": who.actor_id})
        found = [await self._seen(who, ticket) for ticket in mine]
        return [seen for seen in found if seen is not None]

    async def customer_role(self, who: ActorContext, customer_id: str) -> tuple[Customer, str] | None:
        """The role in which ``who`` sees all of a customer's tickets (engineer, configured escalation contact or
        user); None alike for an unknown customer and one not theirs."""
        customer = self.s.config.customer(customer_id)
        viewer = self._viewer(who)
        role = seen_as(viewer, customer)
        if role is None and customer is not None and worth_asking(viewer, customer):
            member = customer.engineers_from_channel and await self._in_support_channel(customer, who.service_url,
                                                                                       who.mri)
            role = seen_as(viewer, customer, Vouched(support_team_member=member))
        return None if role is None or customer is None else (customer, role)

    async def visible_of_customer(self, who: ActorContext, customer_id: str, *,
                                  open_only: bool = False) -> list[Seen] | None:
        """All of a customer's tickets (or the open ones) when ``who`` sees that customer (`customer_role`)."""
        found = await self.customer_role(who, customer_id)
        if found is None:
            return None
        customer, role = found
        tickets = await self.s.tickets.customer_tickets(customer.id, open_only=open_only)
        return [Seen(ticket, customer, Actor(who.actor_id, who.name, role)) for ticket in tickets]

    async def offerable(self, who: ActorContext, customer: Customer, since: datetime) -> list[Seen]:
        """The open tickets of the reporter's own customer, reported since ``since``, that they may see: what a new
        report may be offered to join. Another customer's ticket is never among them."""
        if self.s.config.customer_for_tenant(who.tenant) is not customer:
            return []
        found = [await self._seen(who, t) for t in await self.s.tickets.open_for_customer(customer.id, since)]
        return [seen for seen in found if seen is not None and seen.customer.id == customer.id]

    async def _find(self, key: TicketKey | None) -> Ticket | None:
        if isinstance(key, InThread):
            return await self.s.tickets.by_channel_thread(key.conversation_id)
        if isinstance(key, str):
            return await self.s.tickets.by_reference(key.upper())
        return await self.s.tickets.get(key) if key is not None and 0 < key <= MAX_TICKET_ID else None

    def _viewer(self, who: ActorContext) -> Viewer:
        return Viewer(who.aad_id, who.tenant, staff=who.tenant in self.s.config.msp.tenants)

    async def _seen(self, who: ActorContext, ticket: Ticket) -> Seen | None:
        """`visibility.seen_as`, asking Teams or Graph only when their word could make the ticket visible."""
        customer = self.s.config.customer(ticket.customer_id)
        viewer = self._viewer(who)
        role = seen_as(viewer, customer)
        if role is None and customer is not None and worth_asking(viewer, customer):
            role = seen_as(viewer, customer, await self._vouched(who, customer, ticket))
        if role is None or customer is None:
            return None
        return Seen(ticket, customer, Actor(who.actor_id, who.name, role))

    async def _vouched(self, who: ActorContext, customer: Customer, ticket: Ticket) -> Vouched:
        member = customer.engineers_from_channel and await self._in_support_channel(customer, who.service_url,
                                                                                   who.mri)
        return Vouched(support_team_member=member, escalation_contacts=await self._escalation_contacts(customer,
                                                                                                      ticket))

    async def _escalation_contacts(self, customer: Customer, ticket: Ticket) -> frozenset[str]:
        """Team leads and managers over the customer's engineers (Graph for unnamed ones), and over the ticket's
        assignee while the assignee is one of those people (a manager who took the ticket over): an assignee
        dropped from the customer's file vouches for nobody."""
        managers = getattr(self.s.scheduler, "managers", None) or NoGraph()
        try:
            found = await self._chains(customer, ticket, sorted(customer.engineers), managers)
            assignee = ticket.assignee_id
            if assignee and assignee not in customer.engineers and assignee in found | configured_contacts(customer):
                found |= await self._chains(customer, ticket, [assignee], managers)
        except ConnectorError as exc:  # no Graph token: only the configured contacts count
            log.warning("escalation contacts of %s not known: %s", customer.id, type(exc).__name__)
            return frozenset()
        return found

    @staticmethod
    async def _chains(customer: Customer, ticket: Ticket, people: list[str], managers: Managers) -> frozenset[str]:
        chains = await asyncio.gather(*(contacts(role, customer, replace(ticket, assignee_id=person), managers)
                                        for person in people for role in ESCALATION_ROLES))
        return frozenset(person for chain in chains for person in chain)

    async def _in_support_channel(self, customer: Customer, service_url: str | None, user_mri: str | None) -> bool:
        binding = await self.s.conversations.binding(customer.id)
        team = binding.team_id if binding else (customer.support_channel.team_id if customer.support_channel else None)
        url = binding.service_url if binding else service_url
        if not team or not url or not user_mri:
            return False
        try:
            return await self.s.connector.is_member(url, team, user_mri)
        except ConnectorError as exc:  # Teams cannot say: no membership, so the answer stays "not found"
            log.warning("support team membership of %s not known: %s", customer.id, type(exc).__name__)
            return False
