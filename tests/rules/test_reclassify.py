"""A reporter's update against the ticket's report: merging facts and deciding what changes (pure, milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.rules.reclassify import (
    Reading,
    decide,
    merged,
    reconsider,
    record,
    suggestion_card,
    suggestion_text,
    upgrade_change,
    upgrade_text,
)
from bot.rules.verbs import Change
from bot.store.tickets import Ticket
from sla import Policy
from sla.classify import RuleMatch
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
    ({"users_affected": 1}, {"impact": "degraded"}, {"users_affected": 1, "impact": "degraded"}),  # no share said
    ({"users_affected": 1}, {"pct_users_affected": 1.0}, {"users_affected": None, "pct_users_affected": 1.0}),
    ({"impact": "down"}, {"description": "it got worse", "site_name": "Hull", "workaround": False},
     {"impact": "down", "workaround": False}),  # free text skipped, the facts after it still read
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


def test_an_update_that_gives_a_time_is_read_in_the_customers_zone() -> None:
    reading = read("since 9am nobody can make calls", ONE_USER_VOICEMAIL)
    assert (reading.kind, reading.priority) == ("upgrade", "P1")
    assert reading.facts is not None and "started_at" not in reading.facts  # a time is not a fact kept


def test_the_customers_own_words_are_read() -> None:
    reading = read("now the blue line is down for everyone", {"users_affected": 1, "impact": "down"},
                   vocabulary={"outbound_calls": ("blue line",)})
    assert (reading.kind, reading.priority) == ("upgrade", "P1")
    assert reading.facts is not None and reading.facts["services"] == ["outbound_calls"]


# -- what the engineers are told -------------------------------------------------------------------------
TICKET = Ticket(customer_id="contoso", category="incident", priority="P3", channel="chat", policy_id="maintel-icon",
                policy_snapshot={}, reported_at=NOW, started_at=None, report={}, classification={},
                reporter_id="user-1", reporter_name="Ann", reporter_conversation_id="conv-1", id=42,
                reference="CON-0042", version=7)
RULES = (RuleMatch("r.p1", "50% or more of users", "000:L33"), RuleMatch("r.p1b", "all trunks down", "000:L34"))
UPGRADE = Reading("upgrade", "P1", RULES, {"pct_users_affected": 100.0})
SUGGESTION = Reading("suggest", "P4", RULES[:1], {"impact": "at_risk"})


def test_an_upgrade_is_recorded_like_an_engineers_reclassify_with_the_contracts_words() -> None:
    assert record(UPGRADE, "incident") == {
        "category": "incident", "priority": "P1", "facts": {"pct_users_affected": 100.0},
        "rules": [{"id": "r.p1", "quote": "50% or more of users", "seed": "000:L33"},
                  {"id": "r.p1b", "quote": "all trunks down", "seed": "000:L34"}]}
    assert record(Reading("upgrade", "P2"), "incident")["facts"] == {}
    reason = "reporter's update: '50% or more of users' (000:L33); 'all trunks down' (000:L34)"
    assert upgrade_change(TICKET, UPGRADE, "Ann") == Change(
        "reclassified", {"priority": "P1", "classification": record(UPGRADE, "incident")},
        {"priority": "P1", "reason": reason}, "Reclassified from P3 to P1 (Ann's update).")
    assert upgrade_text(TICKET, UPGRADE) == (
        "Now P1: '50% or more of users' (000:L33); 'all trunks down' (000:L34) — from the reporter's update "
        "(CON-0042).")


def test_a_lower_priority_reaches_the_engineers_as_a_one_click_suggestion() -> None:
    words = ("P4 suggested for CON-0042 (now P3): '50% or more of users' (000:L33) — from the reporter's update. "
             "A lower priority is your decision; nothing was changed.")
    assert suggestion_text(TICKET, SUGGESTION) == words
    assert suggestion_card(TICKET, SUGGESTION) == {
        "type": "AdaptiveCard", "version": "1.5",
        "body": [{"type": "TextBlock", "text": words, "wrap": True}],
        "actions": [{"type": "Action.Execute", "title": "Reclassify to P4", "verb": "ticket.reclassify",
                     "data": {"ticket": 42, "version": 7, "priority": "P4",
                              "reason": "reporter's update: '50% or more of users' (000:L33)"}}]}
