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


VOICE, LATENCY, CAPACITY, MESSAGING = (frozenset({s}) for s in ("voice_quality", "latency", "capacity", "messaging"))


@pytest.mark.parametrize(("fact", "above", "up_to", "facts"), [
    # Each value the intake tries stands for one band between the shipped policies' thresholds; a policy whose own
    # threshold falls inside that band, just above the value tried, is still found to depend on the answer.
    ("pct_users_affected", 25, 30, F()), ("pct_users_affected", 50, 60, F()), ("pct_users_affected", 60, 100, F()),
    ("sites_affected", 0, 1, F()), ("sites_affected", 1, 2, F()),
    ("voice_mos", 2.5, 2.8, F(services_affected=VOICE)), ("voice_mos", 3.0, 3.5, F(services_affected=VOICE)),
    ("latency_ms_rtt", 120, 121, F(services_affected=LATENCY)),
    ("latency_ms_rtt", 90, 100, F(services_affected=LATENCY)),
    ("capacity_loss_pct", 0, 3, F(services_affected=CAPACITY)),
    ("capacity_loss_pct", 5, 10, F(services_affected=CAPACITY)),
    ("capacity_loss_pct", 25, 30, F(services_affected=CAPACITY)),
    ("capacity_loss_pct", 50, 60, F(services_affected=CAPACITY)),
    ("email_delivery_minutes", 0, 1, F(services_affected=MESSAGING)),
    ("email_delivery_minutes", 2, 5, F(services_affected=MESSAGING)),
    ("failures_per_day", 0, 5, F(impact="degraded")), ("failures_per_day", 10, 20, F(impact="degraded")),
])
def test_a_threshold_inside_each_band_the_intake_tries_is_asked_about(fact: str, above: float, up_to: float,
                                                                       facts: F) -> None:
    banded = policy(rules=(rule("band", "P1", (fact, "gt", above), (fact, "lte", up_to)), LOWEST))
    assert classify(banded, facts).undecided == (fact,)


@pytest.mark.parametrize(("fact", "value", "facts"), [
    ("impact", "degraded", F()), ("impact", "at_risk", F()),
    ("risk_event", "high", F(impact="at_risk")), ("risk_event", "medium", F(impact="at_risk")),
    ("risk_event", "low", F(impact="at_risk")),
    ("redundancy_left", True, F(services_affected=frozenset({"sba"}))),
    ("redundancy_left", False, F(services_affected=frozenset({"sba"}))),
    ("equipment_owner", "provider", F(services_affected=frozenset({"handset"}))),
    ("equipment_owner", "customer", F(services_affected=frozenset({"handset"}))),
])
def test_every_alternative_answer_is_tried_on_its_own(fact: str, value: Any, facts: F) -> None:
    only = policy(rules=(rule(f"only-{value}", "P1", (fact, "eq", value)), LOWEST))
    assert classify(only, facts).undecided == (fact,)


@pytest.mark.parametrize(("service", "fact", "op", "value"), [
    ("sip_trunk", "capacity_loss_pct", "gte", 50),  # channels lost on a SIP trunk are a capacity loss
    ("capacity", "capacity_loss_pct", "gte", 50),
    ("resilience", "redundancy_left", "eq", False),  # a loss of resilience: is any redundancy left?
    ("sba", "redundancy_left", "eq", False),
    ("cordless_handsets", "equipment_owner", "eq", "customer"),  # whose handsets are they?
    ("handset", "equipment_owner", "eq", "customer"),
])
def test_a_service_named_makes_its_question_worth_asking(service: str, fact: str, op: str, value: Any) -> None:
    reads = policy(rules=(rule("reads", "P1", (fact, op, value)), LOWEST))
    assert classify(reads, F(services_affected=frozenset({service}), impact="down")).undecided == (fact,)
    assert classify(reads, F(services_affected=frozenset({"voicemail"}), impact="down")).undecided == ()


CRITICAL_SITE = policy(rules=(rule("critical", "P1", ("mission_critical_site", "eq", True)), LOWEST))


@pytest.mark.parametrize(("facts", "asked"), [
    (F(users_affected=1), ()),  # one person: whether the site is mission critical changes nothing
    (F(users_affected=0), ()),  # nobody affected
    (F(users_affected=5), ("mission_critical_site",)),
    (F(), ("mission_critical_site",)),
])
def test_a_mission_critical_site_is_asked_only_when_more_than_one_person_is_affected(facts: F,
                                                                                     asked: tuple[str, ...]) -> None:
    assert classify(CRITICAL_SITE, facts).undecided == asked


NO_REDUNDANCY = policy(rules=(rule("no-redundancy", "P1", ("redundancy_left", "eq", False)), LOWEST))
RISK = policy(rules=(rule("high-risk", "P1", ("risk_event", "eq", "high")), LOWEST))
FLAKY = policy(rules=(rule("flaky", "P1", ("failures_per_day", "gte", 10)), LOWEST))


@pytest.mark.parametrize(("rules", "facts", "asked"), [
    (NO_REDUNDANCY, F(impact="at_risk"), ("redundancy_left",)),  # at risk, the risk not named: redundancy decides
    (NO_REDUNDANCY, F(impact="at_risk", risk_event="low"), ()),  # the risk named says how much is at stake
    (NO_REDUNDANCY, F(impact="down"), ()),
    (RISK, F(impact="at_risk"), ("risk_event",)),
    (RISK, F(impact="degraded"), ()),
    (RISK, F(impact="down", recurring=True), ("risk_event",)),
    (FLAKY, F(impact="degraded"), ("failures_per_day",)),
    (FLAKY, F(impact="at_risk"), ()),
])
def test_the_impact_said_decides_which_follow_up_is_worth_asking(rules: Any, facts: F, asked: tuple[str, ...]) -> None:
    assert classify(rules, facts).undecided == asked
