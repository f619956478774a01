"""A small botbuilder adapter: turns run through botbuilder's pipeline, replies go through our `Connector`.

It sidesteps CloudAdapter's per-turn connector client and token fetch, and returns invoke responses as
plain JSON (the 4.17.1 CloudAdapter answers 500 for an invoke response carrying a card).

A turn never waits long for Teams: when the connector asks for a longer wait (Retry-After beyond the connector's
few seconds), that reply and every later one of the turn are handed to ``defer`` — the outbox, which sends them in
order once Teams allows — or, with no ``defer``, raised as `RepliesDeferred` for the caller to queue.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botbuilder.core import BotAdapter, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ConversationReference, ResourceResponse

from bot.clock import Clock
from bot.edge.connector import Connector, SendDeferred
from bot.edge.outgoing import to_json
from bot.reminders.store import PENDING, Outbox

INVOKE_RESPONSE_KEY = "faultline.invoke_response"
DEFERRED_KEY = "faultline.replies_deferred"


@dataclass(frozen=True)
class Unsent:
    """A reply the turn could not send now."""

    service_url: str
    conversation_id: str
    activity: dict[str, Any]
    reply_to: str | None


class RepliesDeferred(Exception):
    """Teams asked for a wait longer than a turn may take; ``unsent`` (in order) must go through the outbox."""

    def __init__(self, unsent: Sequence[Unsent], retry_after: float) -> None:
        self.unsent, self.retry_after = list(unsent), retry_after
        super().__init__(f"{len(self.unsent)} replies deferred for {retry_after:.0f} s")


Defer = Callable[[Sequence[Unsent], float], Awaitable[None]]


class ReplyContext(TurnContext):  # type: ignore[misc]
    """botbuilder's TurnContext, less its deep copy of every reply (cards included) before addressing it: a
    shallow copy is enough, since addressing only replaces the copy's top-level fields. (Teams never asks for
    expectReplies, which the edge does not let through, so replies always go to the adapter.)"""

    async def send_activities(self, activities: list[Activity]) -> list[ResourceResponse]:
        reference = TurnContext.get_conversation_reference(self.activity)
        output = [_addressed(copy(activity), reference) for activity in activities]

        async def logic() -> list[ResourceResponse]:
            responses: list[ResourceResponse] = await self.adapter.send_activities(self, output)
            if any(activity.type != ActivityTypes.trace for activity in output):
                self.responded = True
            return responses

        sent: list[ResourceResponse] = await self._emit(self._on_send_activities, output, logic())
        return sent


def _addressed(activity: Activity, reference: ConversationReference) -> Activity:
    """What botbuilder's send_activities does to each reply: addressed to the conversation, a message by default."""
    TurnContext.apply_conversation_reference(activity, reference)
    activity.type = activity.type or ActivityTypes.message
    activity.input_hint = activity.input_hint or "acceptingInput"
    activity.id = None
    return activity


class FaultlineAdapter(BotAdapter):  # type: ignore[misc]
    def __init__(self, connector: Connector, defer: Defer | None = None) -> None:
        super().__init__()
        self.connector, self.defer = connector, defer

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        responses = []
        unsent: list[Unsent] = []
        retry_after: float = context.turn_state.get(DEFERRED_KEY, 0.0)
        for activity in activities:
            if activity.type == "invokeResponse":
                context.turn_state[INVOKE_RESPONSE_KEY] = activity.value
                responses.append(ResourceResponse(id=""))
                continue
            reply = Unsent(activity.service_url, activity.conversation.id, to_json(activity), activity.reply_to_id)
            if unsent or DEFERRED_KEY in context.turn_state:  # once one waits, the rest of the turn's replies follow
                unsent.append(reply)
                responses.append(ResourceResponse(id=""))
                continue
            try:
                sent = await self.connector.send(reply.service_url, reply.conversation_id, reply.activity,
                                                 reply_to=reply.reply_to)
            except SendDeferred as exc:
                unsent.append(reply)
                retry_after = exc.retry_after or 0.0
                sent = None
            responses.append(ResourceResponse(id=sent.activity_id or "" if sent else ""))
        if unsent:
            await self._hand_over(context, unsent, retry_after)
        return responses

    async def _hand_over(self, context: TurnContext, unsent: Sequence[Unsent], retry_after: float) -> None:
        if self.defer is None:
            raise RepliesDeferred(unsent, retry_after)
        await self.defer(unsent, retry_after)
        context.turn_state[DEFERRED_KEY] = retry_after

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        sent = await self.connector.update(activity.service_url, activity.conversation.id, activity.id,
                                           to_json(activity))
        return ResourceResponse(id=sent.activity_id or activity.id)

    async def delete_activity(self, context: TurnContext, reference: Any) -> None:
        await self.connector.delete(reference.service_url, reference.conversation.id, reference.activity_id)

    async def process(self, activity: Activity,
                      logic: Callable[[TurnContext], Awaitable[None]]) -> InvokeResponse | None:
        """Run one turn; an invoke's response (if any) is returned for the HTTP answer."""
        context = ReplyContext(self, activity)
        await self.run_pipeline(context, logic)
        if activity.type == ActivityTypes.invoke:
            return context.turn_state.get(INVOKE_RESPONSE_KEY) or InvokeResponse(status=200)
        return None


def outbox_defer(outbox: Outbox, clock: Clock) -> Defer:
    """Deferred replies become outbox messages, due when Teams said it would take them, in the turn's order."""
    async def defer(unsent: Sequence[Unsent], retry_after: float) -> None:
        now = clock.now()
        await outbox.enqueue(reply_rows(unsent, now, now + timedelta(seconds=retry_after)))

    return defer


def reply_rows(unsent: Sequence[Unsent], now: datetime, due: datetime) -> Iterable[dict[str, Any]]:
    for reply in unsent:
        digest = hashlib.sha256(json.dumps([reply.conversation_id, reply.reply_to, reply.activity], sort_keys=True,
                                           default=str).encode()).hexdigest()[:32]
        tenant = (reply.activity.get("conversation") or {}).get("tenantId")
        yield {"key": f"reply:{digest}", "ticket_id": None, "timer_id": None, "purpose": "reply",
               "recipient": f"conversation:{reply.conversation_id}", "tenant_id": tenant, "status": PENDING,
               "attempts": 0, "not_before": due, "created_at": now,
               "payload": {"activity": reply.activity, "service_url": reply.service_url, "reply_to": reply.reply_to,
                           "bot": (reply.activity.get("from") or {}).get("id"), "due_at": due.isoformat()}}
