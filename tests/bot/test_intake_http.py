"""Guided intake end to end: real HTTP into create_app, replies recorded by the fake Bot Connector."""

from __future__ import annotations

import json

from tests.bot.conftest import Running

FULL = ["10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no", "Callers hear a busy tone on the main number"]


async def test_a_full_report_by_text_opens_a_ticket_and_posts_both_cards(faultline: Running) -> None:
    assert await faultline.say("our phones are down") == 200
    for text in FULL:
        assert await faultline.say(text) == 200
    assert await faultline.say("confirm") == 200
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
