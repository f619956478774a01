"""Guided intake end to end: real HTTP into create_app, replies recorded by the fake Bot Connector."""

from __future__ import annotations

import json

from dialogs.questions import PROMPTS
from tests.bot.conftest import Running
from tests.bot.test_intake_extract_http import ANSWERS, _asked, _last_text, _summary_shown, report


async def test_a_full_report_by_text_opens_a_ticket_and_posts_both_cards(faultline: Running) -> None:
    await report(faultline, "our phones are down", {"users": "60%"})
    sent = faultline.connector.texts()
    assert "Fault, priority P1" in sent
    assert "Ticket MAINTEL-000001 is open" in sent
    channel = [m for m in faultline.connector.messages() if "_new_conversation" in m]
    assert len(channel) == 1
    assert channel[0]["_new_conversation"]["channelData"]["channel"]["id"] == \
        "19:demo-support-maintel-demo@thread.tacv2"
    assert "New ticket MAINTEL-000001 from Ada Reporter" in channel[0]["text"]
    card = json.dumps(channel[0]["attachments"][0]["content"], ensure_ascii=False)
    assert "MAINTEL-000001 · Fault, priority P1" in card and "Ada Reporter" in card


async def _ticket_count(faultline: Running) -> int:
    from bot.store.tickets import TicketStore

    return await TicketStore(faultline.db).count()


async def test_a_full_report_by_the_card_form(faultline: Running) -> None:
    from adaptive_cards import verbs

    await faultline.say(value={verbs.ACTION_KEY: verbs.START_REPORT})
    form = {verbs.ACTION_KEY: verbs.INTAKE_FORM, "started_date": "2025-11-24", "started_time": "09:40",
            "services": "inbound_calls", "users_affected": "30", "sites_affected": "2", "total_sites": "4",
            "mission_critical_site": "false", "workaround": "false", "description": "No inbound calls"}
    assert await faultline.say(value=form) == 200
    assert "Call delivery to more than one site" in faultline.connector.texts()
    await faultline.say(value={verbs.ACTION_KEY: verbs.CONFIRM})
    assert "Ticket MAINTEL-000001 is open" in faultline.connector.texts()
    assert await _ticket_count(faultline) == 1


async def test_invalid_answers_are_asked_again_over_http(faultline: Running) -> None:
    from adaptive_cards import verbs

    await faultline.say("report a fault")
    await faultline.say("the phones are dead")
    await faultline.say("in a bit")
    assert "couldn't read “in a bit” as a time" in faultline.connector.texts()
    await faultline.say(value={verbs.ACTION_KEY: verbs.INTAKE_FORM, "started_date": "2025-11-24",
                               "started_time": "23:00", "services": "", "description": ""})
    sent = faultline.connector.texts()
    assert "That's in the future" in sent and "Choose at least one affected service" in sent
    assert await _ticket_count(faultline) == 0


async def test_cancel_opens_nothing(faultline: Running) -> None:
    await faultline.say("our phones are down")
    await faultline.say("10 minutes ago")
    await faultline.say("cancel")
    assert "Cancelled: nothing was opened" in faultline.connector.texts()
    await faultline.say("confirm")  # no report in progress any more
    assert await _ticket_count(faultline) == 0


async def test_a_query_in_the_middle_of_a_report_is_answered_and_the_report_goes_on(faultline: Running) -> None:
    from bot.store.tickets import TicketStore

    await report(faultline, "our phones are down", {"users": "60%"})  # MAINTEL-000001
    await faultline.say("the voicemail box is not working")
    for query, answer in (("my tickets", "MAINTEL-000001"), ("status MAINTEL-000001", "MAINTEL-000001 · Fault")):
        before = len(faultline.connector.messages("a:personal-1"))
        await faultline.say(query)
        said = faultline.connector.messages("a:personal-1")[before:]
        assert len(said) == 2 and answer in json.dumps(said[0], ensure_ascii=False)
        assert said[1]["text"] == "Your report is kept, nothing lost.\n\n" + PROMPTS["started_at"]
    await faultline.say("10 minutes ago")
    while not _summary_shown(faultline):
        await faultline.say(ANSWERS[str(_asked(_last_text(faultline)))])
    await faultline.say("confirm")
    second = await TicketStore(faultline.db).by_reference("MAINTEL-000002")
    assert second is not None and second.report["description"] == "the voicemail box is not working"
    assert "couldn't read" not in faultline.connector.texts()


async def test_a_question_becomes_a_help_request(faultline: Running) -> None:
    await faultline.say("how do I change my voicemail greeting?")
    await faultline.say("confirm")
    assert "Help request, priority P5" in faultline.connector.texts()
    assert "Ticket MAINTEL-000001 is open" in faultline.connector.texts()


async def test_times_are_read_and_shown_in_the_users_own_zone(faultline: Running) -> None:
    from bot.store.tickets import TicketStore

    # 10:00 UTC is 05:00 in New York
    await report(faultline, "our phones are down for everyone", {"started_at": "04:40"},
                 localTimezone="America/New_York")
    ticket = await TicketStore(faultline.db).by_reference("MAINTEL-000001")
    assert ticket is not None and ticket.started_at is not None
    assert ticket.started_at.isoformat() == "2025-11-24T09:40:00+00:00"
    assert "Mon 24 Nov 05:30 EST" in faultline.connector.texts()  # P1 first response due, in the reporter's zone


async def test_an_out_of_scope_report_can_still_be_logged_without_a_clock(faultline: Running) -> None:
    for text in ["Teams will not start", "10 minutes ago", "teams client", "confirm"]:
        assert await faultline.say(text) == 200
    sent = faultline.connector.texts()
    assert "Outside the support contract" in sent and "Ticket MAINTEL-000001 is open" in sent
    assert "something went wrong" not in sent
