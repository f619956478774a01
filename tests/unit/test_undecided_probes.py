"""sla/undecided.py on rules built in the test: which unknown facts are worth asking, and which a policy reads."""

from __future__ import annotations

from typing import Any

import pytest

from sla.classify import Facts as F
from sla.classify import classify
from sla.model import Comparison, Condition, Rule
from sla.undecided import facts_read
from tests.unit.synthetic import policy


def rule(rule_id: str, priority: str | None, *comparisons: tuple[str, str, Any], any_of: tuple[Condition, ...] = (),
         fallback: bool = False) -> Rule:
    return Rule(rule_id, "incident", priority, f"quote of {rule_id}", f"seed-{rule_id}",
                Condition(tuple(Comparison(*c) for c in comparisons), any_of), fallback)


LOWEST = rule("lowest", "P3", fallback=True)


def test_a_policy_reads_the_facts_of_every_group_and_those_behind_a_derived_fact() -> None:
    either = (Condition((Comparison("voice_mos", "lt", 3.0),)), Condition((Comparison("scope", "eq", "one_site"),)))
    read = facts_read(policy(rules=(rule("p1", "P1", ("impact", "eq", "down"), any_of=either), LOWEST)))
    assert read == {"impact", "voice_mos", "users_affected", "pct_users_affected", "sites_affected", "total_sites"}


BAD_VOICE = policy(rules=(rule("p2-mos", "P2", ("voice_mos", "lt", 3.0)), LOWEST))


@pytest.mark.parametrize(("services", "asked"), [
    ({"voice_quality"}, ("voice_mos",)),  # a voice-quality report: the MoS could make it P2
    ({"voicemail"}, ()),  # no MoS for voicemail: not asked, though a rule reads it
    ({"voicemail", "voice_quality"}, ("voice_mos",)),
])
def test_a_measurement_is_asked_only_for_the_services_it_measures(services: set[str], asked: tuple[str, ...]) -> None:
    assert classify(BAD_VOICE, F(services_affected=frozenset(services))).undecided == asked


THREE_SITES = policy(rules=(rule("p2-three-sites", "P2", ("total_sites", "eq", 3)), LOWEST))


@pytest.mark.parametrize(("sites", "asked"), [
    (1, ()),  # totals of 1 or 2 sites: neither is 3
    (2, ("total_sites",)),  # 2 of 3 sites would decide it: worth asking how many sites there are
    (3, ("total_sites",)),
])
def test_the_total_of_sites_is_tried_as_the_sites_affected_and_one_more(sites: int, asked: tuple[str, ...]) -> None:
    assert classify(THREE_SITES, F(sites_affected=sites)).undecided == asked


EVERY_PROBE = policy(rules=(
    rule("services", "P1", ("services_affected", "services_any", frozenset({"all"}))),
    rule("impact", "P1", ("impact", "eq", "at_risk")),
    *(rule(fact, "P1", (fact, op, value)) for fact, op, value in (
        ("users_affected", "eq", 1), ("pct_users_affected", "gte", 60), ("sites_affected", "eq", 1),
        ("total_sites", "eq", 3), ("mission_critical_site", "eq", True), ("voice_mos", "lt", 3.0),
        ("latency_ms_rtt", "gt", 120), ("capacity_loss_pct", "gte", 50), ("email_delivery_minutes", "gte", 5),
        ("failures_per_day", "gte", 10), ("redundancy_left", "eq", False), ("risk_event", "eq", "high"),
        ("equipment_owner", "eq", "customer"), ("workaround", "eq", True))),
    LOWEST))
MEASURED = frozenset({"voice_quality", "latency", "capacity", "messaging", "sba", "handset"})


@pytest.mark.parametrize(("facts", "asked"), [
    (F(), ("services_affected", "impact", "users_affected", "pct_users_affected", "sites_affected",
           "mission_critical_site", "workaround")),
    (F(services_affected=MEASURED, recurring=True),
     ("users_affected", "pct_users_affected", "sites_affected", "mission_critical_site", "voice_mos", "latency_ms_rtt",
      "capacity_loss_pct", "email_delivery_minutes", "failures_per_day", "redundancy_left", "risk_event",
      "equipment_owner", "workaround")),
    (F(services_affected=MEASURED, sites_affected=1), ()),  # one site decides P1 already: nothing left to ask
    (F(services_affected=frozenset({"voicemail"}), sites_affected=2),  # voicemail says nothing of how badly
     ("impact", "pct_users_affected", "total_sites", "mission_critical_site", "workaround")),
])
def test_the_questions_come_in_the_intakes_order(facts: F, asked: tuple[str, ...]) -> None:
    assert classify(EVERY_PROBE, facts).undecided == asked


def test_a_high_risk_asks_whether_it_recurred_before_who_owns_the_handset() -> None:
    owned = policy(rules=(rule("recurring", "P1", ("recurring", "eq", True)),
                          rule("customer-kit", "P1", ("equipment_owner", "eq", "customer")), LOWEST))
    facts = F(risk_event="high", services_affected=frozenset({"handset"}))
    assert classify(owned, facts).undecided == ("recurring", "equipment_owner")
