"""Conversation bugs seen in a real client (issue 13), each over real HTTP with the fake Bot Connector."""

from __future__ import annotations

import json

from adaptive_cards import verbs
from tests.bot.conftest import Running

SORRY = "something went wrong"
ANSWERS = ["10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no", "Callers hear a busy tone on the main number"]


def _cards(faultline: Running) -> list[str]:
    return [json.dumps(m.get("attachments", []), ensure_ascii=False) for m in faultline.connector.messages()]


async def _reach_confirmation(faultline: Running) -> None:
    await faultline.say(value={verbs.ACTION_KEY: verbs.START_REPORT})
    await faultline.say(value={
        verbs.ACTION_KEY: verbs.INTAKE_FORM, "started_date": "2025-11-24", "started_time": "09:40",
        "services": "inbound_calls", "users_affected": "30", "sites_affected": "2", "total_sites": "4",
        "mission_critical_site": "false", "workaround": "false", "description": "No inbound calls"})
    assert "Open the ticket" in faultline.connector.texts()


async def test_open_the_ticket_while_choosing_an_answer_to_change_is_handled_politely(faultline: Running) -> None:
    from bot.store.tickets import TicketStore

    await _reach_confirmation(faultline)
    await faultline.say(value={verbs.ACTION_KEY: verbs.CHANGE})
    assert "Which answer would you like to change?" in faultline.connector.texts()
    assert await faultline.say(value={verbs.ACTION_KEY: verbs.CONFIRM}) == 200
    sent = faultline.connector.texts()
    assert SORRY not in sent
    assert "Ticket MAINTEL-000001 is open" in sent  # the summary pressed was complete: it opens as shown
    assert await TicketStore(faultline.db).count() == 1


async def test_report_a_fault_is_not_taken_as_the_description(faultline: Running) -> None:
    await faultline.say("report a fault")
    sent = faultline.connector.texts()
    assert "What's wrong?" in sent
    assert '"id": "description", "label": "What happens?"' in sent
    assert '"value": "report a fault"' not in sent  # the form is not pre-filled with it
    await faultline.say("Leeds can't make outbound calls since 9:40")
    assert "Outbound calls" in faultline.connector.texts()


async def test_someone_explaining_their_fault_never_gets_the_welcome_card(faultline: Running) -> None:
    for text in ["Leeds isn't getting any incoming calls", "voicemail has stopped working for everyone",
                 "the CRM popup stopped working for me", "no emails being delivered"]:
        faultline.connector.calls.clear()
        await faultline.say("cancel")  # any report under way from the previous line
        faultline.connector.calls.clear()
        await faultline.say(text)
        assert "Fault desk" not in "\n".join(_cards(faultline)), text
        assert "What I understood" in faultline.connector.texts() or "What's wrong" in faultline.connector.texts()


async def test_the_welcome_card_is_shown_on_install_and_never_twice_in_a_row(faultline: Running) -> None:
    from tests.bot.fakes import BOT_ID

    await faultline.say(kind="conversationUpdate", membersAdded=[{"id": BOT_ID}])
    assert sum("Fault desk" in c for c in _cards(faultline)) == 1
    await faultline.say("hello")
    await faultline.say("hello?")
    assert sum("Fault desk" in c for c in _cards(faultline)) == 1
    assert "What's wrong?" in faultline.connector.texts()
