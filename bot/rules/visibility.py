"""Who may see a ticket: the one rule every read of a ticket for a person goes through.

A ticket the viewer may not see does not exist for them: they get exactly the answer an unknown reference or id
gets, for every text command, card action, refresh and list. For a ticket of customer C the rule is:

- C's engineers see it as engineers: the configured Entra ids, or (``engineers = "support_channel_members"``)
  the members of C's support team, which Teams is asked about.
- C's escalation contacts see it as managers: the team lead, manager and duty manager the customer file names, or
  for roles it leaves empty, the managers Microsoft Graph gives over C's engineers and the ticket's assignee (the
  people the escalation ladder pings about C's tickets).
- users of C's tenants see it as the customer's users (the reporter and their colleagues).
- nobody else sees it.

Engineers and managers count only when they speak from one of the MSP's tenants: an Entra id that merely matches,
arriving from a customer's tenant, is that customer's user and nothing more.

Decided edge cases:

- An MSP user who is neither engineer nor manager of C (another customer's engineer, an MSP admin, anyone else in
  the MSP's tenant) does not see C's tickets. Admins bind channels; that grants no reading.
- A tenant listed under two customers: the configuration refuses it (`ConfigError`), so a customer user's tenant
  names exactly one customer. The rule itself asks only "is the viewer's tenant one of C's tenants", so it could
  never hand a user another customer's ticket through a tenant they do not share.
- MSP users in a channel bound to C, or in a ticket's own thread: the place grants nothing. They see C's tickets
  only as C's engineers or managers (for "support_channel_members", membership of C's support team is exactly what
  makes them engineers).
- The card posted into a bound support channel is seen by that channel's members: Teams shows them the message
  itself, so binding is the MSP admin's statement of who may see the customer's new tickets. Asking the bot about
  the ticket there (`status` in the thread, a button on the card) still follows this rule.
- Managers found through Graph see the tickets of the customers they are escalation contacts of: their chain over
  one of C's engineers, or over the ticket's assignee while that assignee is themselves one of C's escalation
  contacts (so a manager who took a ticket over keeps seeing it, and their own manager is told). The manager of an
  assignee dropped from C's file sees nothing of C through them. A manager over another customer's engineers only
  sees nothing of C.
- Being a ticket's assignee or reporter grants nothing by itself: an engineer dropped from C's file stops seeing
  C's tickets, those still assigned to them included; a reporter's id arriving from another tenant sees nothing.
- A ticket whose customer has left the configuration is seen by nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Customer
from bot.rules.verbs import ENGINEER, MANAGER, REPORTER


@dataclass(frozen=True)
class Viewer:
    """Who is asking, as Teams authenticated them."""

    user_id: str  # Entra object id; "" when Teams sent none
    tenant: str | None
    staff: bool  # speaking from one of the MSP's tenants


@dataclass(frozen=True)
class Vouched:
    """What others said about the viewer (Teams for team membership, Graph for managers); asked only when needed."""

    support_team_member: bool = False
    escalation_contacts: frozenset[str] = frozenset()  # named by Graph, for this ticket's customer


Rule = Callable[[Viewer, Customer, Vouched], bool]


def configured_contacts(customer: Customer) -> frozenset[str]:
    """The escalation contacts the customer file names."""
    escalation = customer.escalation
    return frozenset(c for c in (escalation.team_lead, escalation.manager, escalation.duty_manager) if c)


RULES: tuple[tuple[Rule, str], ...] = (
    (lambda v, c, x: v.staff and v.user_id in c.engineers, ENGINEER),
    (lambda v, c, x: v.staff and c.engineers_from_channel and x.support_team_member, ENGINEER),
    (lambda v, c, x: v.staff and v.user_id in configured_contacts(c) | x.escalation_contacts, MANAGER),
    (lambda v, c, x: v.tenant in c.tenants, REPORTER),
)
"""(who, the role they see the ticket in), first match wins."""


def seen_as(viewer: Viewer, customer: Customer | None, vouched: Vouched = Vouched()) -> str | None:
    """The role in which ``viewer`` sees ``customer``'s tickets; None: those tickets do not exist for them."""
    if customer is None:
        return None
    return next((role for rule, role in RULES if rule(viewer, customer, vouched)), None)


def worth_asking(viewer: Viewer, customer: Customer | None) -> bool:
    """Whether asking Teams or Graph about the viewer could change the answer of `seen_as`."""
    return customer is not None and viewer.staff and bool(viewer.user_id) and seen_as(viewer, customer) is None
