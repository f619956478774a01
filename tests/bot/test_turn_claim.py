"""What a turn's claim covers: a card's refresh changes nothing, so a re-delivered one is drawn afresh."""

from __future__ import annotations

import json
from typing import Any

from adaptive_cards import verbs as v
from tests.bot.conftest import Running
from tests.bot.fakes import MSP_TENANT, activity
from tests.bot.test_ticket_actions import ENGINEER_A, invoke, open_ticket, shown


def refresh(faultline: Running, ticket_id: int, conversation: str) -> dict[str, Any]:
    return activity("invoke", service_url=faultline.service_url, tenant=MSP_TENANT, user=ENGINEER_A,
                    user_name="Eng Alpha", name="adaptiveCard/action", activity_id="refresh-once",
                    conversation=conversation, conversation_type="channel",
                    value={"action": {"type": "Action.Execute", "verb": v.REFRESH, "data": {"ticket": ticket_id}},
                           "trigger": "automatic"})


async def test_a_redelivered_refresh_shows_the_ticket_as_it_is_now(faultline: Running) -> None:
    ticket = await open_ticket(faultline)
    body = refresh(faultline, ticket.id, ticket.channel_conversation_id or "19:support@thread.tacv2")
    first = json.loads(await (await faultline.post(body)).text())
    assert "Being worked on" not in shown(first)
    await invoke(faultline, ticket, v.ACKNOWLEDGE)
    again = json.loads(await (await faultline.post(body)).text())  # the same activity id: Teams re-delivering it
    assert "Being worked on" in shown(again)
