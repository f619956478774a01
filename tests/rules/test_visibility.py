"""The visibility rule as a table: who sees a customer's tickets, in which role, and who does not (milliseconds)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Customer, Escalation, load_config
from bot.rules.verbs import ENGINEER, MANAGER, REPORTER
from bot.rules.visibility import Viewer, Vouched, seen_as, worth_asking

MSP, B_TENANT, A_TENANT = "tenant-msp", "tenant-b", "tenant-a"
ENG_B, ENG_A, LEAD_B, BOSS_B, GRAPH_BOSS, ADMIN, USER_B, USER_A = (
    "eng-b", "eng-a", "lead-b", "boss-b", "graph-boss", "admin", "user-b", "user-a")
DEMO = load_config(None).customers[0]
B = replace(DEMO, tenants=frozenset({B_TENANT}), engineers=frozenset({ENG_B}),
            escalation=Escalation(team_lead=LEAD_B, manager=BOSS_B))  # no duty manager: Graph may name one
B_BY_CHANNEL = replace(B, engineers=frozenset(), engineers_from_channel=True)
B_WITH_MSP_TENANT = replace(B, tenants=frozenset({B_TENANT, MSP}))  # an MSP that is its own customer
MEMBER = Vouched(support_team_member=True)
GRAPH = Vouched(escalation_contacts=frozenset({GRAPH_BOSS}))


def staff(user: str) -> Viewer:
    return Viewer(user, MSP, staff=True)


def customer_user(user: str, tenant: str | None) -> Viewer:
    return Viewer(user, tenant, staff=False)


TABLE: list[tuple[str, Viewer, Customer | None, Vouched, str | None]] = [
    ("the customer's engineer", staff(ENG_B), B, Vouched(), ENGINEER),
    ("the customer's configured team lead", staff(LEAD_B), B, Vouched(), MANAGER),
    ("the customer's configured manager", staff(BOSS_B), B, Vouched(), MANAGER),
    ("a manager Graph names for this ticket", staff(GRAPH_BOSS), B, GRAPH, MANAGER),
    ("a user of the customer's tenant", customer_user(USER_B, B_TENANT), B, Vouched(), REPORTER),
    ("a member of the support team, engineers from the channel", staff("someone"), B_BY_CHANNEL, MEMBER, ENGINEER),
    ("another customer's engineer", staff(ENG_A), B, Vouched(), None),
    ("an MSP admin", staff(ADMIN), B, Vouched(), None),
    ("a Graph manager of another ticket", staff("other-boss"), B, GRAPH, None),
    ("another customer's user", customer_user(USER_A, A_TENANT), B, Vouched(), None),
    ("a user with no tenant", customer_user(USER_B, None), B, Vouched(), None),
    ("the engineer's id from another customer's tenant", customer_user(ENG_B, A_TENANT), B, Vouched(), None),
    ("the engineer's id from the customer's tenant is a user", customer_user(ENG_B, B_TENANT), B, Vouched(),
     REPORTER),
    ("the manager's id from another customer's tenant", customer_user(LEAD_B, A_TENANT), B, Vouched(), None),
    ("a Graph contact speaking from a customer's tenant", customer_user(GRAPH_BOSS, A_TENANT), B, GRAPH, None),
    ("a support team member from a customer's tenant", customer_user("someone", A_TENANT), B_BY_CHANNEL, MEMBER,
     None),
    ("not a member, engineers from the channel", staff("someone"), B_BY_CHANNEL, Vouched(), None),
    ("a member of the support team, engineers listed", staff("someone"), B, MEMBER, None),
    ("an MSP user with no Entra id", staff(""), B, MEMBER, None),
    ("anyone, when the customer left the configuration", staff(ENG_B), None, Vouched(), None),
    # one person in two roles: the first rule that holds decides, engineer before manager before user
    ("a support team member the file also names as team lead", staff(LEAD_B), B_BY_CHANNEL, MEMBER, ENGINEER),
    ("the named manager, when the MSP's own tenant is also the customer's", staff(BOSS_B), B_WITH_MSP_TENANT,
     Vouched(), MANAGER),
    ("the engineer, when the MSP's own tenant is also the customer's", staff(ENG_B), B_WITH_MSP_TENANT, Vouched(),
     ENGINEER),
    ("anyone else in the MSP's tenant, when it is also the customer's", staff(ADMIN), B_WITH_MSP_TENANT, Vouched(),
     REPORTER),
]


@pytest.mark.parametrize(("viewer", "customer", "vouched", "expected"), [row[1:] for row in TABLE],
                         ids=[row[0] for row in TABLE])
def test_who_sees_a_customers_tickets(viewer: Viewer, customer: Customer | None, vouched: Vouched,
                                      expected: str | None) -> None:
    assert seen_as(viewer, customer, vouched) == expected


@pytest.mark.parametrize(("viewer", "customer", "expected"), [
    (staff(ENG_A), B, True),  # Teams or Graph might vouch for them
    (staff(ENG_B), B, False),  # already an engineer
    (staff(LEAD_B), B, False),
    (customer_user(USER_A, A_TENANT), B, False),  # nothing anyone says makes another customer's user see it
    (customer_user(USER_B, B_TENANT), B, False),
    (staff(""), B, False),
    (staff(ENG_A), None, False),
])
def test_teams_and_graph_are_asked_only_when_their_answer_could_matter(viewer: Viewer, customer: Customer | None,
                                                                       expected: bool) -> None:
    assert worth_asking(viewer, customer) is expected
