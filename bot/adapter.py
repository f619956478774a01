"""A small botbuilder adapter: turns run through botbuilder's pipeline, replies go through our `Connector`.

It sidesteps CloudAdapter's per-turn connector client and token fetch, and returns invoke responses as
plain JSON (the 4.17.1 CloudAdapter answers 500 for an invoke response carrying a card).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import BotAdapter, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse

from bot.connector import Connector
from bot.wire import to_json

INVOKE_RESPONSE_KEY = "faultline.invoke_response"


class FaultlineAdapter(BotAdapter):  # type: ignore[misc]
    def __init__(self, connector: Connector) -> None:
        super().__init__()
        self.connector = connector

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        responses = []
        for activity in activities:
            if activity.type == "invokeResponse":
                context.turn_state[INVOKE_RESPONSE_KEY] = activity.value
                responses.append(ResourceResponse(id=""))
                continue
            body = to_json(activity)
            sent = await self.connector.send(activity.service_url, activity.conversation.id, body,
                                             reply_to=activity.reply_to_id)
            responses.append(ResourceResponse(id=sent.activity_id or ""))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        sent = await self.connector.update(activity.service_url, activity.conversation.id, activity.id,
                                           to_json(activity))
        return ResourceResponse(id=sent.activity_id or activity.id)

    async def delete_activity(self, context: TurnContext, reference: Any) -> None:
        await self.connector.delete(reference.service_url, reference.conversation.id, reference.activity_id)

    async def process(self, activity: Activity,
                      logic: Callable[[TurnContext], Awaitable[None]]) -> InvokeResponse | None:
        """Run one turn; an invoke's response (if any) is returned for the HTTP answer."""
        context = TurnContext(self, activity)
        await self.run_pipeline(context, logic)
        if activity.type == ActivityTypes.invoke:
            return context.turn_state.get(INVOKE_RESPONSE_KEY) or InvokeResponse(status=200)
        return None
