"""sla/facts.py: how widely a report reaches (scope) and the view of facts every rule reads."""

from __future__ import annotations

import pytest

from sla.facts import Facts, report_view, scope_of


@pytest.mark.parametrize(("facts", "scope"), [
    (Facts(pct_users_affected=100), "whole_customer"),
    (Facts(pct_users_affected=100, users_affected=1), "whole_customer"),  # everyone, though only one is named
    (Facts(users_affected=1, sites_affected=2), "single_user"),
    (Facts(users_affected=0), "no_users"),
    (Facts(pct_users_affected=0), "no_users"),
    (Facts(sites_affected=3, total_sites=3), "whole_customer"),
    (Facts(sites_affected=1, total_sites=1), "one_site"),  # a one-site customer's site is one site
    (Facts(sites_affected=1), "one_site"),
    (Facts(sites_affected=2), "some_sites"),
    (Facts(sites_affected=2, total_sites=5), "some_sites"),
    (Facts(users_affected=2), "some_users"),
    (Facts(users_affected=40), "some_users"),
    (Facts(pct_users_affected=0.5), "some_users"),
    (Facts(pct_users_affected=99.5), "some_users"),
    (Facts(), None),
    (Facts(total_sites=4), None),
])
def test_scope_is_the_first_reading_the_counts_support(facts: Facts, scope: str | None) -> None:
    assert scope_of(facts) == scope


@pytest.mark.parametrize(("facts", "single_user"), [
    (Facts(users_affected=1), True),
    (Facts(users_affected=2), False),
    (Facts(), False),
])
def test_the_view_rules_read_says_whether_one_user_is_affected(facts: Facts, single_user: bool) -> None:
    view = report_view(facts)
    assert view["single_user"] is single_user
    assert (view["impact"], view["users_affected"]) == ("down", facts.users_affected)
