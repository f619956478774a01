"""The pure rules of one outage with many reporters: which open ticket a report repeats, and what joined
reporters add to its impact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.rules.impact import contribution, joined_impact, scope
from dialogs.matching import Candidate, answer_of, best_match, offer_text

NOW = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)


def open_ticket(n: int, services: tuple[str, ...], site: str | None = None, minutes_ago: int = 30) -> Candidate:
    return Candidate(n, f"ACME-{n:06d}", "P2", services, site, NOW - timedelta(minutes=minutes_ago), n % 2 == 0)


LEEDS_CALLS = open_ticket(1, ("inbound_calls",), "Leeds")
BOTH = open_ticket(2, ("inbound_calls", "outbound_calls"), None, 10)
OLD = open_ticket(3, ("inbound_calls",), "Leeds", 5 * 60)
VOICEMAIL = open_ticket(4, ("voicemail",))


@pytest.mark.parametrize(("services", "site", "window_h", "expected"), [
    (["inbound_calls"], "Leeds", 4, 2),  # both overlap by one; the newer wins
    (["inbound_calls", "outbound_calls"], None, 4, 2),  # the larger overlap
    (["inbound_calls"], "leeds ", 4, 2),
    (["inbound_calls"], "Bristol", 4, 2),  # BOTH has no site: it still may be the same
    (["voicemail"], None, 4, 4),
    (["call_recording"], None, 4, None),  # no service in common
    (["inbound_calls"], "Leeds", 6, 2),
    (["inbound_calls"], "Leeds", 0, None),  # a window of 0: nothing is offered
])
def test_the_best_match(services: list[str], site: str | None, window_h: int, expected: int | None) -> None:
    found = best_match([LEEDS_CALLS, BOTH, OLD, VOICEMAIL], services, site, NOW, timedelta(hours=window_h))
    assert (found.ticket_id if found else None) == expected


def test_a_known_other_site_and_an_old_ticket_do_not_match() -> None:
    assert best_match([LEEDS_CALLS], ["inbound_calls"], "Bristol", NOW) is None
    assert best_match([OLD], ["inbound_calls"], "Leeds", NOW) is None
    assert best_match([OLD], ["inbound_calls"], "Leeds", NOW, timedelta(hours=6)) == OLD


@pytest.mark.parametrize(("words", "said"), [
    ("Yes, same problem", True), ("yes", True), ("same problem.", True), ("No, something else", False),
    ("no", False), ("something else!", False), ("maybe", None), ("", None),
])
def test_answers_to_the_offer(words: str, said: bool | None) -> None:
    assert answer_of(words) is said


def test_the_offer_says_what_the_ticket_covers() -> None:
    from zoneinfo import ZoneInfo

    text = offer_text(LEEDS_CALLS, {"inbound_calls": "Inbound calls"}, ZoneInfo("Europe/London"))
    assert text == ("This looks like ACME-000001 — P2, inbound calls at Leeds, opened 09:30, the engineers have it. "
                    "Same problem?")


REPORT: dict[str, Any] = {"services": ["inbound_calls"], "users_affected": 10, "sites_affected": 1,
                          "site_name": "Leeds", "impact": "degraded", "description": "free text"}


@pytest.mark.parametrize(("joined", "expected"), [
    ([], {"users_affected": 10, "sites_affected": 1, "impact": "degraded"}),
    ([{"users_affected": 2, "site_name": "Bristol", "sites_affected": 1}], {"users_affected": 12,
                                                                              "sites_affected": 2}),
    ([{"site_name": "LEEDS"}], {"sites_affected": 1}),
    ([{"sites_affected": 3, "total_sites": 2}], {"sites_affected": 3}),
    ([{"impact": "down", "services": ["outbound_calls"]}], {"impact": "down",
                                                             "services": ["inbound_calls", "outbound_calls"]}),
    ([{"pct_users_affected": 60}, {"pct_users_affected": 30}], {"pct_users_affected": 60}),
])
def test_joined_impact_widens(joined: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    facts = joined_impact(REPORT, joined)
    assert {k: facts.get(k) for k in expected} == expected
    assert "description" not in facts and "total_sites" not in facts


def test_a_contribution_is_facts_only() -> None:
    assert contribution({**REPORT, "started_at": "x", "services": []}) == {
        "users_affected": 10, "sites_affected": 1, "site_name": "Leeds", "impact": "degraded"}


@pytest.mark.parametrize(("facts", "said"), [
    ({"users_affected": 12, "sites_affected": 3}, "12 users at 3 sites"),
    ({"users_affected": 1, "sites_affected": 1}, "1 user at 1 site"),
    ({"pct_users_affected": 60}, "60% of users"), ({}, "the joined reports"),
])
def test_the_scope_in_words(facts: dict[str, Any], said: str) -> None:
    assert scope(facts) == said
