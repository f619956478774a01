"""The intake's remembered classification answers exactly as sla/ does, whichever contract asked last."""

from __future__ import annotations

import pytest

from dialogs.classifying import classify_remembered
from sla import Policy
from sla.classify import Facts as F
from sla.classify import classify
from sla.model import Comparison, Condition, Rule
from tests.unit.synthetic import policy


def contract(priority_at_half: str) -> Policy:
    """A contract (always called "synthetic") where half the users affected is ``priority_at_half``, else P4."""
    half = Rule("half", "incident", priority_at_half, "half quote", "seed-half",
                Condition((Comparison("pct_users_affected", "gte", 50),)))
    rest = Rule("rest", "incident", "P4", "rest quote", "seed-rest", Condition(()), True)
    return policy(rules=(half, rest))


@pytest.mark.parametrize("facts", [F(pct_users_affected=80), F(pct_users_affected=10), F()])
def test_two_contracts_with_the_same_facts_each_get_their_own_answer(facts: F) -> None:
    strict, lenient = contract("P1"), contract("P3")
    for asked in (strict, lenient, strict, lenient):  # remembered answers are never the other contract's
        assert classify_remembered(asked, facts) == classify(asked, facts)

