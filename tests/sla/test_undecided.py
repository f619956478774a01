"""`undecided`: the unknown facts whose value would change the answer, so the intake asks exactly those."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla import PolicyError, PolicyLibrary
from sla.classify import FACT_NAMES, classify, facts_from_mapping
from sla.loader import load_policy_file
from sla.undecided import UNDECIDED_FACTS

LIB = PolicyLibrary.load()
SHIPPED = Path(__file__).resolve().parents[2] / "sla" / "policies"

UNDECIDED: list[tuple[str, dict[str, Any], str | None, list[str]]] = [
    # policy, facts, priority given, undecided
    ("maintel-icon", {"services_affected": ["inbound_calls"], "pct_users_affected": 60}, "P1", ["impact"]),
    ("maintel-icon", {"services_affected": ["inbound_calls"], "impact": "down", "pct_users_affected": 60}, "P1", []),
    ("maintel-icon", {"services_affected": ["inbound_calls"]}, "P3",
     ["pct_users_affected", "sites_affected", "mission_critical_site"]),
    ("maintel-icon", {"services_affected": ["outbound_calls"], "impact": "down", "sites_affected": 1,
                      "total_sites": 3}, "P2", ["pct_users_affected", "mission_critical_site"]),
    ("maintel-icon", {"services_affected": ["outbound_calls"], "impact": "down", "sites_affected": 1}, "P2",
     ["pct_users_affected", "mission_critical_site"]),
    ("maintel-icon", {"services_affected": ["outbound_calls"], "impact": "down", "sites_affected": 1,
                      "total_sites": 1, "users_affected": 3}, "P2", ["pct_users_affected", "mission_critical_site"]),
    ("duocall-standard", {"services_affected": ["all"], "impact": "down", "sites_affected": 2}, "P2",
     ["pct_users_affected", "total_sites"]),
    ("maintel-icon", {"services_affected": ["capacity"]}, "P3", ["capacity_loss_pct"]),
    ("maintel-icon", {"services_affected": ["inbound_calls"], "impact": "degraded", "users_affected": 3,
                      "recurring": True}, "P3", ["risk_event"]),
    ("maintel-icon", {"services_affected": ["inbound_calls"], "impact": "degraded", "users_affected": 3,
                      "risk_event": "high"}, "P3", ["recurring"]),
    ("maintel-icon", {"is_question": True}, "P5", []),
    ("maintel-icon", {"impact": "down", "pct_users_affected": 60}, "P3", ["services_affected"]),
    ("vodafone-vone-m", {"impact": "down", "pct_users_affected": 60, "workaround": False}, "P2",
     ["services_affected"]),
    ("vodafone-vone-m", {"services_affected": ["voice_quality"], "pct_users_affected": 100}, "P3", ["voice_mos"]),
    ("vodafone-vone-m", {"services_affected": ["latency"], "pct_users_affected": 100}, "P3", ["latency_ms_rtt"]),
    ("vodafone-vone-m", {"services_affected": ["capacity"], "pct_users_affected": 100}, "P3",
     ["capacity_loss_pct"]),
    ("vodafone-vone-m", {"services_affected": ["handset"], "users_affected": 1}, None, ["equipment_owner"]),
    ("vodafone-vone-m", {"services_affected": ["resilience"], "pct_users_affected": 0}, "P2", ["redundancy_left"]),
    ("vodafone-vone-m", {"services_affected": ["elin"]}, "P1", ["impact", "users_affected"]),
    ("vodafone-vone-m", {"services_affected": ["messaging"], "impact": "degraded", "users_affected": 40}, "P3",
     ["email_delivery_minutes"]),
    ("cloudcti", {"services_affected": ["call_recognition"], "impact": "degraded", "pct_users_affected": 100}, "P2",
     ["failures_per_day"]),
    ("cloudcti", {"services_affected": ["click2dial"], "sites_affected": 1, "total_sites": 3}, "P1",
     ["impact", "workaround"]),
    ("duocall-standard", {"services_affected": ["all"]}, "P2", ["impact", "users_affected", "pct_users_affected"]),
    ("duocall-legacy-protect", {"services_affected": ["all"], "impact": "down", "pct_users_affected": 100}, "P1", []),
    ("voip-cat1", {"services_affected": ["all"]}, None, []),
]


@pytest.mark.parametrize(("policy", "facts", "priority", "undecided"), UNDECIDED,
                         ids=[f"{u[0]}-{'+'.join(u[3]) or 'decided'}" for u in UNDECIDED])
def test_the_answer_names_what_would_change_it(policy: str, facts: dict[str, Any], priority: str | None,
                                               undecided: list[str]) -> None:
    result = classify(LIB.get(policy), facts_from_mapping(facts))
    assert result.priority == priority
    assert list(result.undecided) == undecided


def test_saying_the_impact_settles_it_and_can_lower_the_priority() -> None:
    asked = classify(LIB.get("vodafone-vone-m"), facts_from_mapping({"services_affected": ["elin"]}))
    told = classify(LIB.get("vodafone-vone-m"), facts_from_mapping({"services_affected": ["elin"],
                                                                     "impact": "at_risk"}))
    assert "impact" in asked.undecided and "impact" not in told.undecided
    assert (asked.priority, told.priority) == ("P1", "P2")


REPORTS = st.fixed_dictionaries({}, optional={
    "services_affected": st.lists(st.sampled_from(["inbound_calls", "voicemail", "all", "click2dial", "voice_quality",
                                                   "resilience", "capacity", "elin", "handset"]), max_size=3),
    "impact": st.sampled_from(["down", "degraded", "at_risk"]),
    "users_affected": st.integers(0, 50), "pct_users_affected": st.sampled_from([0, 10, 25, 50, 100]),
    "sites_affected": st.integers(1, 3), "voice_mos": st.sampled_from([2.5, 2.8, 2.9, 4.0]),
    "capacity_loss_pct": st.sampled_from([4, 5, 24, 25, 50]), "recurring": st.booleans(),
    "risk_event": st.sampled_from(["high", "medium", "low"]), "workaround": st.booleans(),
})


@settings(max_examples=300, deadline=None)
@given(report=REPORTS, pid=st.sampled_from(LIB.ids()))
def test_undecided_lists_only_facts_the_report_left_unknown(
        report: dict[str, Any], pid: str) -> None:
    result = classify(LIB.get(pid), facts_from_mapping(report))
    assert set(result.undecided) <= set(UNDECIDED_FACTS) <= FACT_NAMES
    assert not set(result.undecided) & {name for name, value in report.items() if value != []}


@pytest.mark.parametrize(("old", "new", "problem"), [
    ('scope = "single_user"', 'scope = "one_user"', "'one_user' is not a value of scope"),
    ('when = { impact = "degraded" }', 'when = { impact = "choppy" }', "'choppy' is not a value of impact"),
    ('recurring = true, risk_event = "high"', 'recurring = true, risk_event = "severe"', "not a value of risk_event"),
    ('scope = { not_in = ["single_user", "no_users"] }', 'scope = { not_in = "single_user" }',
     "in / not_in take a list"),
])
def test_a_rule_testing_a_value_that_cannot_occur_is_refused(tmp_path: Path, old: str, new: str,
                                                             problem: str) -> None:
    text = (SHIPPED / "maintel-icon.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "maintel-icon.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError, match=problem):
        load_policy_file(path)


FIVE = ("maintel-icon", "vodafone-vone-m", "cloudcti", "duocall-standard", "duocall-legacy-protect")


@settings(max_examples=400, deadline=None)
@given(report=REPORTS, pid=st.sampled_from(FIVE))
def test_working_badly_never_outranks_the_same_report_down(report: dict[str, Any], pid: str) -> None:
    policy = LIB.get(pid)
    down = classify(policy, facts_from_mapping({**report, "impact": "down"}))
    degraded = classify(policy, facts_from_mapping({**report, "impact": "degraded"}))
    if (down.category, degraded.category) == ("incident", "incident"):
        assert policy.rank(degraded.priority) >= policy.rank(down.priority)


@settings(max_examples=400, deadline=None)
@given(report=REPORTS, pid=st.sampled_from(FIVE))
def test_one_user_never_outranks_the_whole_customer(report: dict[str, Any], pid: str) -> None:
    policy = LIB.get(pid)
    base = {k: v for k, v in report.items() if k not in ("users_affected", "pct_users_affected", "sites_affected")}
    one = classify(policy, facts_from_mapping({**base, "users_affected": 1}))
    everyone = classify(policy, facts_from_mapping({**base, "pct_users_affected": 100}))
    if (one.category, everyone.category) == ("incident", "incident"):
        assert policy.rank(one.priority) >= policy.rank(everyone.priority)
