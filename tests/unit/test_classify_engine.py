"""sla/classify.py semantics on synthetic rules: unknown facts, thresholds, fact validation, exact rationale.

The rules here are built in the test, so the contracts' own rule files can change without touching these.
"""

from __future__ import annotations

from typing import Any

import pytest

from sla.classify import Facts as F
from sla.classify import RuleMatch, classify, facts_from_mapping, matches
from sla.errors import RequestError, SlaError
from sla.model import Comparison, Condition, Rule
from tests.unit.synthetic import policy

ORDERED_OPS = ("eq", "gte", "gt", "lte", "lt")


def when(*comparisons: tuple[str, str, Any], any_of: tuple[Condition, ...] = ()) -> Condition:
    return Condition(tuple(Comparison(*c) for c in comparisons), any_of)


def rule(rule_id: str, category: str, priority: str | None, *comparisons: tuple[str, str, Any],
         fallback: bool = False, any_of: tuple[Condition, ...] = ()) -> Rule:
    return Rule(rule_id, category, priority, f"quote of {rule_id}", f"seed-{rule_id}",
                when(*comparisons, any_of=any_of), fallback)


def match(rule_: Rule) -> RuleMatch:
    return RuleMatch(rule_.id, rule_.quote, rule_.seed)


# -- an unknown fact ----------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ORDERED_OPS)
@pytest.mark.parametrize(("fact", "value"), [("pct_users_affected", 50), ("users_affected", 1),
                                             ("workaround", False), ("risk_event", "high")])
# `impact` is the exception by design: an unknown impact is inferred (SLA_POLICIES §9.1), see tests/sla.
def test_an_unknown_fact_matches_no_comparison(fact: str, op: str, value: Any) -> None:
    assert matches(when((fact, op, value)), F()) is False


@pytest.mark.parametrize(("fact", "value"), [("pct_users_affected", 50), ("workaround", True),
                                             ("risk_event", "low")])
def test_an_unknown_fact_is_not_equal_to_anything(fact: str, value: Any) -> None:
    assert matches(when((fact, "ne", value)), F()) is True


def test_an_unknown_fact_does_not_trigger_a_rule_that_needs_it() -> None:
    """CloudCTI's P1 needs "no workaround": a report that does not say stays at the lower priority."""
    p1 = rule("p1", "incident", "P1", ("workaround", "eq", False), ("pct_users_affected", "gte", 50))
    p3 = rule("p3", "incident", "P3")
    rules = policy(rules=(p1, p3))
    assert classify(rules, F(pct_users_affected=80)).rules == (match(p3),)
    assert classify(rules, F(pct_users_affected=80, workaround=False)).rules == (match(p1),)


# -- values --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("op", "threshold", "below", "at", "above"), [
    ("gte", 50, False, True, True), ("gt", 50, False, False, True),
    ("lte", 50, True, True, False), ("lt", 50, True, False, False),
    ("eq", 50, False, True, False), ("ne", 50, True, False, True),
])
def test_fractional_values_at_a_threshold(op: str, threshold: float, below: bool, at: bool, above: bool) -> None:
    got = [matches(when(("pct_users_affected", op, threshold)), F(pct_users_affected=value))
           for value in (49.99, 50.0, 50.01)]
    assert got == [below, at, above]


def test_voice_quality_threshold_with_fractions() -> None:
    poor = when(("voice_mos", "lt", 3.6))
    assert [matches(poor, F(voice_mos=m)) for m in (3.59, 3.6, 3.61)] == [True, False, False]


@pytest.mark.parametrize("level", ["high", "medium", "low"])
def test_every_risk_level_is_accepted_and_matched(level: str) -> None:
    facts = facts_from_mapping({"risk_event": level})
    assert facts.risk_event == level
    assert [matches(when(("risk_event", "eq", lv)), facts) for lv in ("high", "medium", "low")] == \
        [lv == level for lv in ("high", "medium", "low")]


def test_services_comparisons() -> None:
    voice = frozenset({"inbound_calls", "voicemail"})
    cases = {  # op → (value, result with voice, result with no services named)
        "services_any": ({"voicemail", "call_queues"}, True, False),
        "services_only": ({"inbound_calls", "voicemail", "call_queues"}, True, False),
        "services_none": ({"call_queues"}, True, False),
    }
    for op, (value, with_voice, with_none) in cases.items():
        assert matches(when(("services_affected", op, frozenset(value))), F(services_affected=voice)) is with_voice
        assert matches(when(("services_affected", op, frozenset(value))), F()) is with_none, op
    assert not matches(when(("services_affected", "services_any", frozenset({"call_queues"}))),
                       F(services_affected=voice))
    assert not matches(when(("services_affected", "services_only", frozenset({"voicemail"}))),
                       F(services_affected=voice))
    assert not matches(when(("services_affected", "services_none", frozenset({"voicemail"}))),
                       F(services_affected=voice))


def test_all_comparisons_must_hold_and_one_any_group() -> None:
    groups = (when(("workaround", "eq", False)), when(("users_affected", "gte", 10)))
    condition = when(("impact", "eq", "down"), any_of=groups)
    assert matches(condition, F(impact="down", workaround=False))
    assert matches(condition, F(impact="down", users_affected=10))
    assert not matches(condition, F(impact="down", workaround=True, users_affected=9))
    assert not matches(condition, F(impact="degraded", workaround=False))
    assert matches(when(), F())


def test_a_single_user_is_exactly_one() -> None:
    assert [F(users_affected=n).single_user for n in (0, 1, 2)] == [False, True, False]
    assert F().single_user is False


# -- validation of a report ---------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "message"), [
    ({"colour": "red"}, "unknown fact 'colour'; known facts: capacity_loss_pct, email_delivery_minutes"),
    ({"pct_users_affected": "50"}, "pct_users_affected must be a number or null; got '50'"),
    ({"users_affected": True}, "users_affected must be a number or null; got True"),
    ({"latency_ms_rtt": -1}, "latency_ms_rtt cannot be negative; got -1"),
    ({"pct_users_affected": 100.5}, "pct_users_affected is a percentage from 0 to 100; got 100.5"),
    ({"capacity_loss_pct": 101}, "capacity_loss_pct is a percentage from 0 to 100; got 101"),
    ({"users_affected": 2.5}, "users_affected must be a whole number; got 2.5"),
    ({"workaround": "no"}, "workaround must be true, false or null; got 'no'"),
    ({"workaround": 0}, "workaround must be true, false or null; got 0"),
    ({"risk_event": "severe"}, "risk_event must be one of high, medium, low"),
    ({"impact": "slow"}, "impact must be one of down, degraded, at_risk"),
    ({"services_affected": "voicemail"}, "services_affected must be a list of service ids"),
    ({"services_affected": ["voicemail", 3]}, "services_affected must be a list of service ids"),
    ({"services_affected": ["voicemail", "teleport"]}, "unknown service id 'teleport'; see `python -m sla services`"),
    ({"sites_affected": 3, "total_sites": 2}, "sites_affected cannot be more than total_sites"),
])
def test_a_bad_fact_is_refused_with_what_to_send(data: dict[str, Any], message: str) -> None:
    with pytest.raises(RequestError) as refused:
        facts_from_mapping(data)
    assert str(refused.value).startswith(message)


def test_good_facts_are_typed() -> None:
    facts = facts_from_mapping({"users_affected": 3.0, "pct_users_affected": 12.5, "capacity_loss_pct": 100,
                                "sites_affected": 2, "total_sites": 2, "workaround": False, "recurring": None,
                                "latency_ms_rtt": 0, "services_affected": ["voicemail"], "impact": "at_risk"})
    assert facts == F(users_affected=3, pct_users_affected=12.5, capacity_loss_pct=100, sites_affected=2,
                      total_sites=2, workaround=False, latency_ms_rtt=0,
                      services_affected=frozenset({"voicemail"}), impact="at_risk")
    assert type(facts.users_affected) is int
    assert facts_from_mapping({}) == F()


# -- which rules decide --------------------------------------------------------------------------------
P1_MANY = rule("p1-many", "incident", "P1", ("pct_users_affected", "gte", 50))
P2_SITE = rule("p2-site", "incident", "P2", ("sites_affected", "gte", 1))
P2_VOICE = rule("p2-voice", "incident", "P2", ("voice_mos", "lt", 3.6))
P3_ANY = rule("p3-any", "incident", "P3", ("impact", "ne", "at_risk"))
QUESTION = rule("question", "help_request", "P4", ("is_question", "eq", True))
OUT = rule("security", "out_of_scope", None, ("security_incident", "eq", True))
FALLBACK = rule("fallback", "incident", "P3", fallback=True)
RULES = policy(rules=(P1_MANY, P2_SITE, P2_VOICE, P3_ANY, QUESTION, OUT, FALLBACK))


@pytest.mark.parametrize(("facts", "category", "priority", "deciding"), [
    (F(pct_users_affected=60, sites_affected=1), "incident", "P1", (P1_MANY,)),
    (F(sites_affected=1, voice_mos=3.1), "incident", "P2", (P2_SITE, P2_VOICE)),  # both P2 rules, in file order
    (F(sites_affected=1), "incident", "P2", (P2_SITE,)),  # P3 matched too, but does not decide
    (F(impact="down"), "incident", "P3", (P3_ANY,)),  # the fallback is not consulted once an incident matched
    (F(impact="at_risk"), "incident", "P3", (FALLBACK,)),
    (F(is_question=True, pct_users_affected=60), "help_request", "P4", (QUESTION,)),  # precedence over incident
    (F(security_incident=True, is_question=True, pct_users_affected=60), "out_of_scope", None, (OUT,)),
])
def test_the_rationale_is_exactly_the_deciding_rules(facts: F, category: str, priority: str | None,
                                                    deciding: tuple[Rule, ...]) -> None:
    got = classify(RULES, facts)
    assert (got.policy, got.category, got.priority, got.rules) == (
        "synthetic", category, priority, tuple(match(r) for r in deciding))


def test_a_fallback_joins_a_non_incident_match_and_a_report_no_rule_fits_is_an_error() -> None:
    request = rule("change", "service_request", "P4", ("is_change_request", "eq", True))
    lowest = rule("lowest", "incident", "P3", fallback=True)
    got = classify(policy(rules=(request, lowest)), F(is_change_request=True))
    assert (got.category, got.rules) == ("service_request", (match(request),))
    assert classify(policy(rules=(request, lowest)), F()).rules == (match(lowest),)
    with pytest.raises(SlaError, match="policy synthetic has no rule for this report; add a fallback rule"):
        classify(policy(rules=(request,)), F())


def test_an_unprioritised_rule_ranks_below_every_priority_of_its_category() -> None:
    plain = rule("plain", "incident", None)
    p3 = rule("p3", "incident", "P3")
    assert classify(policy(rules=(plain, p3)), F()).rules == (match(p3),)
    assert classify(policy(rules=(plain,)), F()).priority is None


def test_a_plan_without_priorities_is_not_overruled_by_the_fallback() -> None:
    plan_rule = rule("no-scheme", "no_priority_scheme", None, ("impact", "eq", "down"))
    rules = policy(rules=(plan_rule, FALLBACK))
    got = classify(rules, F(impact="down"))
    assert (got.category, got.priority, got.rules) == ("no_priority_scheme", None, (match(plan_rule),))
    assert classify(rules, F(impact="degraded")).rules == (match(FALLBACK),)


def test_a_fallback_rule_with_a_condition_decides_only_when_it_holds() -> None:
    request = rule("change", "service_request", "P4", ("is_change_request", "eq", True))
    help_fallback = rule("help", "help_request", "P4", ("is_question", "eq", True), fallback=True)
    rules = policy(rules=(request, help_fallback))
    assert classify(rules, F(is_question=True)).rules == (match(help_fallback),)
    with pytest.raises(SlaError, match="has no rule for this report"):
        classify(rules, F(is_question=False))


def test_a_condition_can_be_tried_on_a_view_given_as_a_mapping() -> None:
    condition = when(("scope", "eq", "whole_customer"), ("impact", "ne", "at_risk"))
    view = {"scope": "whole_customer", "impact": "down"}
    assert matches(condition, view)
    assert not matches(condition, {**view, "impact": "at_risk"})
