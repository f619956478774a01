"""Monthly SLA reports for a person: which month they asked for, and the report over the tickets they may see.

The tickets come from storage through the visibility gate (`TicketGate.visible_of_customer`), so a report holds
exactly what its reader may see, and a customer they may not see reads like one that does not exist.
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Customer
from bot.rules.report_request import Month
from bot.rules.verbs import MERGED
from bot.services.context import Services
from bot.services.gate import ActorContext, TicketGate
from bot.services.views import policy_of
from reports import SlaReport, build_report, from_store, month_period


async def visible_customers(gate: TicketGate, who: ActorContext) -> list[Customer]:
    """The customers whose tickets ``who`` sees (a customer's user: their own)."""
    found = []
    for customer in gate.s.config.customers:
        if await gate.customer_role(who, customer.id) is not None:
            found.append(customer)
    return found


def find_visible(customers: list[Customer], words: str) -> Customer | None:
    """The customer named by id or name among ``customers`` (case ignored)."""
    wanted = words.strip().lower()
    return next((c for c in customers if wanted in (c.id.lower(), c.name.lower())), None)


async def customer_report(services: Services, gate: TicketGate, who: ActorContext, customer_id: str,
                          month: Month, as_of: datetime | None = None) -> SlaReport | None:
    """The month's report over the customer's tickets as ``who`` sees them; None when not theirs to see."""
    seen = await gate.visible_of_customer(who, customer_id)
    customer = services.config.customer(customer_id)
    if seen is None or customer is None:
        return None
    seen = [s for s in seen if s.ticket.status != MERGED]  # a merged duplicate is one incident with its main ticket
    events = await services.tickets.events_of([s.ticket.id for s in seen]) if seen else {}
    tickets = [from_store(s.ticket, events[s.ticket.id], policy_of(s.ticket)) for s in seen]  # cached by hash
    period = month_period(month.year, month.month, customer.timezone)
    return build_report(customer.name, customer.policy, tickets, period, as_of or services.clock.now(),
                        commencement=customer.service_commencement)
