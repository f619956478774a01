"""A reporter's update against the ticket's report: merging facts and deciding what changes (pure, milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.rules.reclassify import decide, merged, reconsider
from sla import Policy
from sla.loader import PolicyLibrary

LIBRARY = PolicyLibrary.load()
MAINTEL = LIBRARY.get("maintel-icon")
CATALOGUE = {s: s.replace("_", " ") for s in ("inbound_calls", "outbound_calls", "internal_calls", "voicemail",
                                               "handset", "all")}
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
ONE_USER_VOICEMAIL = {"services": ["voicemail"], "impact": "down", "users_affected": 1, "description": "vm light"}


def read(update: str, known: dict[str, Any], ticket: tuple[str, str | None] = ("incident", "P3"),
         policy: Policy = MAINTEL, vocabulary: dict[str, tuple[str, ...]] | None = None) -> Any:
    return reconsider(policy, ticket, known, update, catalogue=CATALOGUE, vocabulary=vocabulary, now=NOW,
                      tz=ZoneInfo("Europe/London"))


# -- merging ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("known", "found", "expected"), [
    ({"users_affected": 5}, {"users_affected": 2}, {"users_affected": 5}),  # scope never narrows
    ({"users_affected": 2}, {"users_affected": 9}, {"users_affected": 9}),
    ({"sites_affected": 1, "total_sites": 3}, {"sites_affected": 3}, {"sites_affected": 3, "total_sites": 3}),
    ({"pct_users_affected": 60.0}, {"pct_users_affected": 30.0}, {"pct_users_affected": 60.0}),
    ({"impact": "down"}, {"impact": "degraded"}, {"impact": "degraded"}),  # newer facts override
    ({"workaround": False}, {"workaround": True}, {"workaround": True}),
    ({"services": ["voicemail"]}, {"services": ["outbound_calls", "voicemail"]},
     {"services": ["voicemail", "outbound_calls"]}),  # services add up
    ({"users_affected": 1}, {"pct_users_affected": 100.0}, {"users_affected": None, "pct_users_affected": 100.0}),
    ({"users_affected": 1, "pct_users_affected": 5.0}, {"users_affected": 1}, {"users_affected": 1,
                                                                               "pct_users_affected": 5.0}),
])
def test_merge_rules(known: dict[str, Any], found: dict[str, Any], expected: dict[str, Any]) -> None:
    assert merged(known, found) == expected


def test_merge_keeps_no_free_text() -> None:
    facts = merged({**ONE_USER_VOICEMAIL, "site_name": "Leeds"}, {"started_at": "2026-12-01T09:00:00+00:00",
                                                                  "site_name": "Hull"})
    assert set(facts) == {"services", "impact", "users_affected"}


# -- deciding --------------------------------------------------------------------------------------------
def test_nobody_can_call_now_upgrades_a_one_user_report_to_p1_with_the_rule() -> None:
    reading = read("now nobody in the office can make calls", ONE_USER_VOICEMAIL)
    assert (reading.kind, reading.priority) == ("upgrade", "P1")
    assert [r.id for r in reading.rules] == ["maintel.p1.users"]
    assert reading.because == "'50% or more of users, trunks, or voicemail boxes not available' (000:L33)"
    assert reading.facts is not None and reading.facts["pct_users_affected"] == 100.0


def test_an_update_that_says_nothing_new_changes_nothing() -> None:
    assert read("any news? thanks", ONE_USER_VOICEMAIL).kind == "same"
    assert read("still just me", ONE_USER_VOICEMAIL).kind == "same"


def test_an_update_matching_the_current_priority_changes_nothing() -> None:
    p1 = {"services": ["outbound_calls"], "impact": "down", "pct_users_affected": 100.0}
    assert read("nobody can make calls", p1, ("incident", "P1")).kind == "same"


def test_a_lower_priority_is_only_suggested() -> None:
    p1 = {"services": ["outbound_calls"], "pct_users_affected": 100.0}
    reading = read("calls do connect, the audio is just choppy and robotic", p1, ("incident", "P1"))
    assert reading.kind == "suggest" and reading.priority == "P3"
    assert [r.id for r in reading.rules] == ["maintel.p3.partial"]


def test_a_different_category_is_left_to_the_engineers() -> None:
    assert decide(MAINTEL, ("help_request", "P4"), {"services": ["outbound_calls"], "impact": "down",
                                                    "pct_users_affected": 100.0}).kind == "same"


def test_the_customers_own_words_are_read() -> None:
    reading = read("now the blue line is down for everyone", {"users_affected": 1, "impact": "down"},
                   vocabulary={"outbound_calls": ("blue line",)})
    assert (reading.kind, reading.priority) == ("upgrade", "P1")
    assert reading.facts is not None and reading.facts["services"] == ["outbound_calls"]
