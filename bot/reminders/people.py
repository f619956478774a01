"""Who to ping: the assignee, the customer's team lead, manager and duty manager — from the configuration,
or from Microsoft Graph (`GET /users/{id}/manager`) with an app-only token, cached."""

from __future__ import annotations

import logging
import time
from typing import Protocol

import aiohttp

from bot.config import Customer
from bot.edge.connector import ConnectorError, TokenProvider
from bot.rules.visibility import Viewer, Vouched, seen_as
from bot.store.tickets import Ticket

log = logging.getLogger("faultline.escalation")
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MANAGER_CACHE_SECONDS = 3600


class Managers(Protocol):
    async def manager_of(self, user_id: str) -> str | None: ...


class NoGraph:
    async def manager_of(self, user_id: str) -> str | None:
        return None


class GraphManagers:
    """`GET {graph}/v1.0/users/{id}/manager`, remembered for an hour; Graph outages never stop a ping."""

    def __init__(self, session: aiohttp.ClientSession, tokens: TokenProvider,
                 base_url: str = "https://graph.microsoft.com") -> None:
        self.session, self.tokens, self.base_url = session, tokens, base_url.rstrip("/")
        self._cache: dict[str, tuple[float, str | None]] = {}

    async def manager_of(self, user_id: str) -> str | None:
        cached = self._cache.get(user_id)
        if cached and time.monotonic() - cached[0] < MANAGER_CACHE_SECONDS:
            return cached[1]
        try:
            token = await self.tokens.token()
            url = f"{self.base_url}/v1.0/users/{user_id}/manager?$select=id"
            async with self.session.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
                manager = (await response.json(content_type=None)).get("id") if response.status == 200 else None
        except (TimeoutError, aiohttp.ClientError, ValueError, ConnectorError) as exc:  # a refused token too
            log.warning("Graph manager lookup failed for %s: %s", user_id, type(exc).__name__)
            return None
        self._cache[user_id] = (time.monotonic(), manager)
        return manager


async def contacts(role: str, customer: Customer, ticket: Ticket, managers: Managers) -> list[str]:
    """Entra object ids to ping for a role on this ticket (empty: nobody known)."""
    assignee = ticket.assignee_id if ticket.assignee_id and may_see(ticket.assignee_id, customer) else None
    if role == "assignee":
        return [assignee] if assignee else []
    lead = customer.escalation.team_lead or (await managers.manager_of(assignee) if assignee else None)
    if role == "team_lead":
        return [lead] if lead else []
    manager = customer.escalation.manager or (await managers.manager_of(lead or assignee or "") if (lead or assignee)
                                              else None)
    if role == "manager":
        return [manager] if manager else []
    duty = customer.escalation.duty_manager or manager
    return [duty] if duty else []


def may_see(person: str, customer: Customer) -> bool:
    """Whether a staff member may still see this customer's tickets (the visibility rule), so an assignee dropped
    from the customer's file is pinged no more and their reminders go to the support channel. Membership of the
    support team cannot be asked here; where engineers are its members, the assignee is taken to be one."""
    vouched = Vouched(support_team_member=customer.engineers_from_channel)
    return seen_as(Viewer(user_id=person, tenant=None, staff=True), customer, vouched) is not None
