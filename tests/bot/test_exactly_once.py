"""Exactly-once intake and messages through the outbox: double clicks, retried confirms, re-deliveries, and
connector failures on the channel post and on customer updates — over real HTTP, with the fake Bot Connector."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adaptive_cards import verbs
from bot.app import SERVICES
from bot.reminders.scheduler import Scheduler
from bot.store.conversations import DONE, TURN_ACTIVITY, ConversationStore, DatabaseStorage, TurnMark
from bot.store.tickets import Ticket, TicketStore
from tests.bot.conftest import START, Running, desk_on
from tests.bot.fakes import FakeConnector, Recorded, activity
from tests.bot.test_ticket_actions import ENGINEER_B, P1_REPORT, invoke, open_ticket

ANSWERS = P1_REPORT[:-1]  # everything up to the confirm
REPORTER_CHAT = "a:personal-1"


@dataclass
class FlakyConnector(FakeConnector):
    """The fake Bot Connector, failing (503) the next n calls of a kind: "reply" (a turn's reply), "channel" (a
    new channel thread) or "chat" (a message into the reporter's chat that is not a reply)."""

    failing: dict[str, int] = field(default_factory=dict)

    def _kind(self, request: web.Request) -> str | None:
        if request.method != "POST" or request.content_type != "application/json":
            return None
        if request.path.rstrip("/") == "/v3/conversations":
            return "channel"
        if request.path.startswith(f"/v3/conversations/{REPORTER_CHAT}/activities/"):
            return "reply"
        return "chat" if request.path == f"/v3/conversations/{REPORTER_CHAT}/activities" else None

    async def _handle(self, request: web.Request) -> web.Response:
        kind = self._kind(request)
        if kind is not None and self.failing.get(kind, 0) > 0:
            self.failing[kind] -= 1
            self.calls.append(Recorded(request.method, request.path, await request.json(), dict(request.headers),
                                       status=503))
            return web.json_response({"error": {"code": "ServiceUnavailable"}}, status=503,
                                     headers={"Retry-After": "0"})
        return await super()._handle(request)


@pytest.fixture(params=["sqlite", "postgresql"])
async def desk(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Running]:
    async with desk_on(request.param, tmp_path, FlakyConnector()) as running:
        yield running


def failing(desk: Running) -> dict[str, int]:
    assert isinstance(desk.connector, FlakyConnector)
    return desk.connector.failing


async def report_until_confirm(desk: Running) -> None:
    for text in ANSWERS:
        assert await desk.say(text) == 200


async def tickets(desk: Running) -> list[Ticket]:
    return await TicketStore(desk.db).open_tickets()


def channel_posts(desk: Running, accepted_only: bool = True) -> list[Recorded]:
    return [c for c in desk.connector.calls if c.method == "POST" and c.path.rstrip("/") == "/v3/conversations"
            and c.body.get("isGroup") and (c.status < 300 or not accepted_only)]


def to_reporter(desk: Running) -> list[dict[str, Any]]:
    """What the reporter's chat received (accepted by the connector)."""
    return [c.body for c in desk.connector.calls if c.method == "POST" and c.status < 300
            and c.path.startswith(f"/v3/conversations/{REPORTER_CHAT}/activities")]


def cards_naming(desk: Running, reference: str) -> list[dict[str, Any]]:
    return [m for m in to_reporter(desk) if m.get("attachments") and reference in json.dumps(m)]


def apologies(desk: Running) -> list[dict[str, Any]]:
    return [m for m in to_reporter(desk) if "Sorry, something went wrong" in str(m.get("text"))]


async def tick_until(desk: Running, done: Any, ticks: int = 10) -> None:
    scheduler: Scheduler = desk.server.app[SERVICES].scheduler
    for _ in range(ticks):
        if await done():
            return
        desk.clock.step(minutes=20)  # past any back-off
        await scheduler.tick()


async def test_two_confirm_clicks_at_once_open_one_ticket_post_it_once_and_never_apologise(desk: Running) -> None:
    await report_until_confirm(desk)
    clicks = [activity(service_url=desk.service_url, value={verbs.ACTION_KEY: verbs.CONFIRM}) for _ in range(2)]
    answers = await asyncio.gather(*(desk.post(click) for click in clicks))
    assert [a.status for a in answers] == [200, 200]
    assert len(await tickets(desk)) == 1
    assert len(channel_posts(desk)) == 1
    assert apologies(desk) == []
    assert "MAINTEL-000002" not in desk.connector.texts()
    assert len(cards_naming(desk, "MAINTEL-000001")) == 1  # one card; the other click is told in words


async def test_confirm_typed_again_after_a_failed_reply_opens_no_second_ticket(desk: Running) -> None:
    await report_until_confirm(desk)
    failing(desk)["reply"] = 5  # every attempt of the confirm turn's reply
    assert await desk.say("confirm") == 200
    assert await desk.say("confirm") == 200  # the reporter saw nothing, so tries again
    assert len(await tickets(desk)) == 1
    assert apologies(desk) == []
    assert len(cards_naming(desk, "MAINTEL-000001")) == 1  # the card came through the outbox instead
    assert len(channel_posts(desk)) == 1


async def test_a_redelivered_confirm_names_its_ticket_again_and_opens_nothing(desk: Running) -> None:
    await report_until_confirm(desk)
    confirm = activity(service_url=desk.service_url, text="confirm")
    assert (await desk.post(confirm)).status == 200
    assert (await desk.post(confirm)).status == 200  # Teams lost our answer and sends the same activity again
    assert len(await tickets(desk)) == 1
    said = [m.get("text", "") for m in to_reporter(desk)]
    assert sum("Ticket MAINTEL-000001 is open" in text for text in said) == 2
    assert len(cards_naming(desk, "MAINTEL-000001")) == 1
    assert len(channel_posts(desk)) == 1


async def test_a_redelivery_whose_first_processing_died_is_processed_again(desk: Running) -> None:
    report = activity(service_url=desk.service_url, text="our phones are down")
    dead = ConversationStore(desk.db)  # the claim a killed process left behind
    assert (await dead.claim(report["id"], REPORTER_CHAT, START - timedelta(minutes=1))).mine
    assert (await desk.post(report)).status == 200
    assert "When did the problem start?" in desk.connector.texts()


async def test_a_redelivery_while_the_first_turn_still_runs_is_asked_to_come_back(desk: Running) -> None:
    report = activity(service_url=desk.service_url, text="our phones are down")
    alive = ConversationStore(desk.db)  # another replica is processing it right now
    await alive.start()
    try:
        assert (await alive.claim(report["id"], REPORTER_CHAT, START)).mine
        answer = await desk.post(report)
    finally:
        await alive.stop()
    assert answer.status == 503 and answer.headers.get("Retry-After")
    assert desk.connector.texts() == ""


async def test_a_failed_channel_post_is_retried_until_it_is_delivered(desk: Running) -> None:
    await report_until_confirm(desk)
    failing(desk)["channel"] = 6  # more attempts than one send makes
    assert await desk.say("confirm") == 200
    assert (await tickets(desk))[0].channel_conversation_id is None

    async def posted() -> bool:
        return (await tickets(desk))[0].channel_conversation_id is not None

    await tick_until(desk, posted)
    assert await posted()
    assert len(channel_posts(desk)) == 1
    assert channel_posts(desk)[0].body["activity"]["text"].startswith("New ticket MAINTEL-000001")


async def test_a_failed_customer_update_is_retried_until_the_reporter_has_it(desk: Running) -> None:
    ticket = await open_ticket(desk)
    failing(desk)["chat"] = 6
    await invoke(desk, ticket, verbs.UPDATE, user=ENGINEER_B, text="Carrier engaged, ETA 30 minutes")

    def updates() -> list[dict[str, Any]]:
        return [m for m in to_reporter(desk) if "Carrier engaged" in str(m.get("text"))]

    async def delivered() -> bool:
        return bool(updates())

    assert not await delivered()
    await tick_until(desk, delivered)
    assert len(updates()) == 1


async def test_a_turns_stored_answer_and_its_activity_being_done_commit_together(desk: Running) -> None:
    """Else a re-delivery after a crash between the two would apply the answer a second time."""
    store = ConversationStore(desk.db)
    assert (await store.claim("answer-1", REPORTER_CHAT, START)).mine
    turn = TURN_ACTIVITY.set(TurnMark("answer-1"))
    try:
        await DatabaseStorage(desk.db, desk.clock).write({"msteams/conversations/a:1/": {"intake": {"step": "x"}}})
    finally:
        TURN_ACTIVITY.reset(turn)
    assert (await ConversationStore(desk.db).claim("answer-1", REPORTER_CHAT, START + timedelta(hours=1))).status \
        == DONE


async def test_on_postgresql_a_turn_left_by_a_dead_process_is_retaken_at_once(desk: Running) -> None:
    if desk.db.is_sqlite:
        pytest.skip("SQLite serves one process: a claim waits for its lease")
    report = activity(service_url=desk.service_url, text="our phones are down")
    dead = ConversationStore(desk.db)
    await dead.start()
    assert (await dead.claim(report["id"], REPORTER_CHAT, START)).mine  # its lease has not run out
    await dead.stop()  # the process dies: PostgreSQL drops its liveness lock
    assert (await desk.post(report)).status == 200
    assert "When did the problem start?" in desk.connector.texts()


async def test_a_p1_ping_fired_before_the_channel_post_waits_for_it_instead_of_failing(desk: Running) -> None:
    await report_until_confirm(desk)
    failing(desk)["channel"] = 2  # the post right after the turn fails; the outbox retries it
    assert await desk.say("confirm") == 200
    scheduler: Scheduler = desk.server.app[SERVICES].scheduler
    await scheduler.tick()  # the P1 ping fires while the channel thread (its service URL) is not known yet

    def pinged() -> bool:
        return any("P1 opened: MAINTEL-000001" in json.dumps(c.body) for c in desk.connector.calls
                   if c.status < 300)

    async def delivered() -> bool:
        return pinged()

    await tick_until(desk, delivered)
    assert pinged()
    assert len(channel_posts(desk)) == 1
    assert "failed" not in await scheduler.outbox.counts()
