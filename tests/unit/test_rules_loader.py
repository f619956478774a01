"""sla/rules_loader.py: a policy file's `[[rules]]` read into rules, and every mistake refused by file and key."""

from __future__ import annotations

from typing import Any

import pytest

from sla import PolicyError
from sla.model import Comparison as C
from sla.model import Condition, Rule
from sla.rules_loader import FACTS, SERVICE_OPS, rules_from

PRIORITIES = ("P1", "P2")
BASE = {"id": "r1", "quote": "q", "seed": "000:L1"}


def read(when: Any = None, **fields: Any) -> Rule:
    item = {**BASE, **fields, **({"when": when} if when is not None else {})}
    (rule,) = rules_from([item], "acme.toml", PRIORITIES)
    return rule


@pytest.mark.parametrize(("when", "condition"), [
    ({}, Condition((), ())),
    ({"impact": "down"}, Condition((C("impact", "eq", "down"),), ())),
    ({"scope": ["one_site", "some_sites"]}, Condition((C("scope", "in", frozenset({"one_site", "some_sites"})),), ())),
    ({"pct_users_affected": {"gte": 50, "lt": 100}},
     Condition((C("pct_users_affected", "gte", 50), C("pct_users_affected", "lt", 100)), ())),
    ({"scope": {"not_in": ["single_user"]}}, Condition((C("scope", "not_in", frozenset({"single_user"})),), ())),
    ({"failures_per_day": {"known": False}}, Condition((C("failures_per_day", "known", False),), ())),
    ({"risk_event": {"ne": "low"}}, Condition((C("risk_event", "ne", "low"),), ())),
    ({"voice_mos": 2.8}, Condition((C("voice_mos", "eq", 2.8),), ())),
    ({"services_any": ["sip_trunk", "all"]},
     Condition((C("services_affected", "services_any", frozenset({"sip_trunk", "all"})),), ())),
    ({"services_only": ["voicemail"]},
     Condition((C("services_affected", "services_only", frozenset({"voicemail"})),), ())),
    ({"services_none": ["elin"]}, Condition((C("services_affected", "services_none", frozenset({"elin"})),), ())),
    ({"impact": "down", "any": [{"scope": "whole_customer"}, {"pct_users_affected": {"gte": 50}}]},
     Condition((C("impact", "eq", "down"),), (Condition((C("scope", "eq", "whole_customer"),), ()),
                                              Condition((C("pct_users_affected", "gte", 50),), ())))),
    ({"any": [{"any": [{"single_user": True}]}]},
     Condition((), (Condition((), (Condition((C("single_user", "eq", True),), ()),)),))),
])
def test_a_when_table_becomes_comparisons_and_groups(when: dict[str, Any], condition: Condition) -> None:
    assert read(when).when == condition


def test_a_rule_reads_its_fields_and_defaults() -> None:
    assert read() == Rule("r1", "incident", None, "q", "000:L1", Condition((), ()), False)
    assert read(priority="P2", category="service_request", fallback=True) == Rule(
        "r1", "service_request", "P2", "q", "000:L1", Condition((), ()), True)


def test_rules_keep_their_order_and_each_is_named_by_its_index() -> None:
    rules = rules_from([{**BASE, "id": "a"}, {**BASE, "id": "b"}], "acme.toml", PRIORITIES)
    assert [r.id for r in rules] == ["a", "b"]
    with pytest.raises(PolicyError, match=r"^acme\.toml: rules\[1\]\.quote: is required$"):
        rules_from([BASE, {"id": "b", "seed": "s"}], "acme.toml", PRIORITIES)


@pytest.mark.parametrize(("fields", "message"), [
    ({"colour": "red"}, "rules[0].colour: unknown key; expected one of category, fallback, id, priority, quote, "
                        "seed, when"),
    ({"priority": "P9"}, "rules[0].priority: must be one of P1, P2; got 'P9'"),
    ({"priority": 1}, "rules[0].priority: must be text, not 1"),
    ({"category": "fault"}, "rules[0].category: must be one of out_of_scope, not_applicable, service_request, "
                            "help_request, incident, no_priority_scheme; got 'fault'"),
    ({"fallback": "yes"}, "rules[0].fallback: must be true or false, not 'yes'"),
    ({"when": "always"}, "rules[0].when: must be a table"),
    ({"when": {"colour": "red"}},
     f"rules[0].when.colour: unknown fact; known: {', '.join([*FACTS, *SERVICE_OPS, 'any'])}"),
    ({"when": {"services_any": ["phone", "elin", "fax"]}}, "rules[0].when.services_any: unknown service ids "
                                                           "['phone', 'fax']"),
    ({"when": {"services_only": "elin"}}, "rules[0].when.services_only: must be a list, not 'elin'"),
    ({"when": {"any": {"impact": "down"}}}, "rules[0].when.any: must be a list, not {'impact': 'down'}"),
    ({"when": {"any": [{"impact": "down"}, {"impact": "broken"}]}},
     "rules[0].when.any[1].impact: 'broken' is not a value of impact; one of down, degraded, at_risk"),
    ({"when": {"impact": {"is": "down"}}},
     "rules[0].when.impact.is: unknown key; expected one of eq, gt, gte, in, known, lt, lte, ne, not_in"),
    ({"when": {"scope": {"in": "one_site"}}}, "rules[0].when.scope: in / not_in take a list of values"),
    ({"when": {"scope": {"not_in": "one_site"}}}, "rules[0].when.scope: in / not_in take a list of values"),
    ({"when": {"scope": {"eq": "one_site", "not_in": "x"}}}, "rules[0].when.scope: in / not_in take a list of values"),
    ({"when": {"scope": ["one_site", "two_sites", "all_sites"]}},
     "rules[0].when.scope: 'all_sites' is not a value of scope; one of single_user, some_users, one_site, "
     "some_sites, whole_customer, no_users"),
    ({"when": {"risk_event": {"ne": "severe"}}},
     "rules[0].when.risk_event: 'severe' is not a value of risk_event; one of high, medium, low"),
    ({"when": {"equipment_owner": "vendor"}},
     "rules[0].when.equipment_owner: 'vendor' is not a value of equipment_owner; one of provider, customer"),
    ({"when": {"workaround": {"known": "yes"}}}, "rules[0].when.workaround: known takes true or false"),
    ({"when": {"workaround": {"known": 1}}}, "rules[0].when.workaround: known takes true or false"),
])
def test_a_mistake_in_a_rule_is_refused_naming_the_file_and_key(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        rules_from([{**BASE, **fields}], "acme.toml", PRIORITIES)
    assert str(caught.value) == f"acme.toml: {message}"


@pytest.mark.parametrize("when", [{"users_affected": 12345}, {"impact": {"known": True}},
                                  {"total_sites": {"in": [2, 3]}}, {"scope": {"ne": "no_users"}}])
def test_any_value_of_a_fact_without_fixed_values_is_accepted(when: dict[str, Any]) -> None:
    assert read(when).when.comparisons
