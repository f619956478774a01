"""Reports an outside tester fed as structured facts, each judged against the contract text before classifying.

The first group are the reports that were graded wrong; the rest pin the neighbours they were checked against.
"""

from __future__ import annotations

from typing import Any

import pytest

from sla import PolicyLibrary
from sla.classify import classify, facts_from_mapping

LIB = PolicyLibrary.load()
DOWN = {"impact": "down"}

CASES: list[tuple[str, str, dict[str, Any], str, list[str]]] = [
    # Vodafone 004:L47 P2 c) "total loss of resilience (platform and/or network connectivity)": one of two SIP
    # trunks lost while every call still works was read as P3 b) "impacting 0%".
    ("vodafone-vone-m", "one of our two SIP trunks is down, calls still fine",
     {"services_affected": ["sip_trunk"], "impact": "at_risk", "pct_users_affected": 0}, "P2",
     ["vodafone.p2.c.resilience"]),
    ("vodafone-vone-m", "one of three PBX connector links lost, two still up",
     {"services_affected": ["pbx_connector"], "impact": "at_risk", "pct_users_affected": 0,
      "redundancy_left": True}, "P3", ["vodafone.p3.a.resilience", "vodafone.p3.b.no_users"]),
    # Vodafone 004:L47 P3 c) "High / medium risk event/s identified ... but currently non-impacting": a named risk
    # event was read as the component being down (P2 b).
    ("vodafone-vone-m", "the SBC certificate expires in three days (high risk)",
     {"services_affected": ["certificate"], "risk_event": "high"}, "P3", ["vodafone.p3.c.risk"]),
    ("vodafone-vone-m", "firmware two versions behind (low risk)",
     {"services_affected": ["firmware"], "risk_event": "low"}, "P4", ["vodafone.p4.b.low_risk"]),
    # CloudCTI 001:L43 P1 "Unavailability of the entire service at one or more user locations" carries no
    # "without a timely solution": that is only in the Click2Dial / CRM example.
    ("cloudcti", "the whole CTI service is down everywhere, we dial by hand meanwhile",
     {"services_affected": ["all"], **DOWN, "pct_users_affected": 100, "workaround": True}, "P1",
     ["cloudcti.p1.entire_service"]),
    ("cloudcti", "Click2Dial down at Utrecht, the web dialler works meanwhile",
     {"services_affected": ["click2dial"], **DOWN, "sites_affected": 1, "total_sites": 2, "workaround": True},
     "P2", ["cloudcti.p2.unavailable_for_users"]),
    # Neighbours checked in the same run (answered right before and after).
    ("maintel-icon", "Leeds (1 of 3 sites) gets no incoming calls",
     {"services_affected": ["inbound_calls"], **DOWN, "sites_affected": 1, "total_sites": 3}, "P2",
     ["maintel.p2.site"]),
    ("maintel-icon", "one of our two SIP trunks is down, calls still fine",
     {"services_affected": ["sip_trunk"], "impact": "at_risk", "pct_users_affected": 0}, "P3",
     ["maintel.p3.minor"]),
    ("maintel-icon", "calls drop for everyone again, getting worse each time",
     {"services_affected": ["inbound_calls", "outbound_calls"], "impact": "degraded", "pct_users_affected": 100,
      "recurring": True, "risk_event": "high"}, "P2", ["maintel.p2.recurrence"]),
    ("maintel-icon", "nobody can call in, it has happened before and could get worse",
     {"services_affected": ["inbound_calls"], **DOWN, "pct_users_affected": 100, "recurring": True,
      "risk_event": "high"}, "P1", ["maintel.p1.users"]),
    ("vodafone-vone-m", "everything is broken for me", {"services_affected": ["all"], **DOWN, "users_affected": 1},
     "P4", ["vodafone.p4.a.single_user"]),
    ("duocall-legacy-protect", "contact centre down for all agents",
     {"services_affected": ["contact_centre"], **DOWN, "pct_users_affected": 100}, "P2",
     ["duocall.p2.major_application"]),
]


@pytest.mark.parametrize(("policy", "report", "facts", "priority", "rules"), CASES, ids=[c[1] for c in CASES])
def test_audited_report_gets_the_contracts_priority(policy: str, report: str, facts: dict[str, Any],
                                                    priority: str, rules: list[str]) -> None:
    result = classify(LIB.get(policy), facts_from_mapping(facts))
    assert (result.priority, [r.id for r in result.rules]) == (priority, rules)


@pytest.mark.parametrize("policy", ["maintel-icon", "vodafone-vone-m", "cloudcti", "duocall-standard"])
def test_a_report_naming_nothing_asks_what_is_affected(policy: str) -> None:
    """"Phones are broken": what is affected (and then how widely) decides between P1 and the lowest answer."""
    result = classify(LIB.get(policy), facts_from_mapping({"impact": "down"}))
    assert result.undecided[0] == "services_affected"


def test_a_trunk_lost_with_nothing_failing_asks_whether_redundancy_remains() -> None:
    facts = {"services_affected": ["sip_trunk"], "impact": "at_risk", "pct_users_affected": 0}
    assert "redundancy_left" in classify(LIB.get("vodafone-vone-m"), facts_from_mapping(facts)).undecided
