"""sla/model.py: what a policy answers about its priorities and targets."""

from __future__ import annotations

import pytest

from sla.model import TargetSpec
from tests.unit.synthetic import policy, target

THREE = policy(priorities=("P1", "P2", "P3"))


@pytest.mark.parametrize(("priority", "rank"), [("P1", 0), ("P2", 1), ("P3", 2), ("P9", 3), (None, 3)])
def test_the_most_urgent_priority_ranks_first_and_an_unknown_or_missing_one_last(priority: str | None,
                                                                                  rank: int) -> None:
    assert THREE.rank(priority) == rank


def test_a_priority_is_found_by_its_id_in_the_policys_order() -> None:
    assert THREE.priority_ids == ("P1", "P2", "P3")
    assert THREE.priority("P2").name == "Priority P2"


@pytest.mark.parametrize(("key", "shown"), [("update", "first_update"), ("resolution", "resolution"),
                                            ("response", "response")])
def test_a_cadence_target_is_shown_by_its_first_due_point(key: str, shown: str) -> None:
    assert target(key, 60).output_name == shown


@pytest.mark.parametrize(("rule", "has"), [("none", False), ("duration", True), ("business_days", True)])
def test_only_a_target_with_no_rule_has_no_due_time(rule: str, has: bool) -> None:
    assert TargetSpec(key="resolution", rule=rule, quote="q", seed="s").has_target is has
