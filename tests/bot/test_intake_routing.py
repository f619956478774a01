"""Which route a customer's user's message takes: a pure table, tested with no adapter and no network."""

from __future__ import annotations

import pytest

from adaptive_cards import verbs
from bot.rules.routing import Incoming, route


def message(text: str = "", *, action: str | None = None, active: bool = False, msp: bool = False,
            kind: str = "message", added: bool = False) -> Incoming:
    return Incoming(type=kind, name=None, conversation_type="personal", from_msp=msp, mentioned=False, text=text,
                    action=action, bot_added=added, intake_active=active)


@pytest.mark.parametrize(("text", "expected"), [
    ("Leeds isn't getting any incoming calls", "start_fault"),
    ("voicemail has stopped working for everyone", "start_fault"),
    ("the CRM popup stopped working for me", "start_fault"),
    ("no emails being delivered", "start_fault"),
    ("hello", "start_fault"), ("report a fault", "start_fault"), ("thanks!", "start_fault"),
    ("how do I change my voicemail greeting?", "start_question"),
    ("please add a new starter to the sales queue", "start_change"),
    ("help", "help"), ("status", "ticket_command"), ("my tickets", "ticket_command"), ("", "welcome"),
])
def test_anything_that_is_not_a_command_starts_a_report(text: str, expected: str) -> None:
    assert route(message(text)) == expected


def test_the_welcome_card_answers_an_install_or_an_empty_message_only() -> None:
    assert route(message(kind="conversationUpdate", added=True)) == "installed"
    assert route(message("")) == "welcome"
    assert route(message("", active=True)) == "intake"
    assert route(message("our phones are down", active=True)) == "intake"


def test_a_report_under_way_takes_every_message_and_card_but_a_query_alone() -> None:
    for answer in ("status page shows everything down", "tickets won't print", "status: down", "my tickets are gone",
                   "status ACME-12", "10 minutes ago", "confirm", "help"):
        assert route(message(answer, active=True)) == "intake", answer
    for query in ("status", "Status  MAINTEL-000001", "tickets", "My tickets"):
        assert route(message(query, active=True)) == "query_in_report", query
    assert route(message(action=verbs.CONFIRM, active=True)) == "intake"
    assert route(message(action=verbs.CONFIRM)) == "stale_card"
