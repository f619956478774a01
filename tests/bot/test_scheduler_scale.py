"""The scheduler across replicas and failures: each timer fires once, each message is delivered once."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.core import ConversationState

from bot.config import Config, Escalation, config_from_mapping, load_config
from bot.edge.connector import Connector, NoToken
from bot.reminders.people import GraphManagers, contacts
from bot.reminders.ratelimit import RateLimiter
from bot.reminders.scheduler import Scheduler
from bot.services.context import Services
from bot.settings import Settings
from bot.store.conversations import ConversationStore, DatabaseStorage
from bot.store.db import Database
from bot.store.tickets import NewTicket, TicketStore
from bot.telemetry import Telemetry
from tests.bot.fakes import MSP_TENANT, FakeConnector, SteppableClock
from tests.conftest import drop_schema, make_database

START = __import__("tests.bot.conftest", fromlist=["START"]).START
CONFIG = load_config(None)
MAINTEL = CONFIG.customers[0]
CADENCE_ONLY = """
id = "cadence-only"
name = "Customer updates every hour"
version = "1"
source = "a test contract (seed 000)"
[calendars.24x7]
kind = "elapsed"
[[priorities]]
id = "P1"
name = "Urgent"
definition = "Anything"
seed = "000:L1"
[targets.P1.update]
calendar = "24x7"
minutes = 60
quote = "Every 60 minutes"
seed = "000:L104"
[[rules]]
id = "any"
priority = "P1"
quote = "Anything"
seed = "000:L1"
fallback = true
"""


def scale_config(folder: Path) -> Config:
    """One customer whose contract has only an hourly update, and nobody to escalate to: one message per due."""
    (folder / "cadence-only.toml").write_text(CADENCE_ONLY, encoding="utf-8")
    return config_from_mapping({
        "msp": {"name": "MSP", "tenants": [MSP_TENANT], "admins": []},
        "customers": [{"id": "scale", "name": "Scale Ltd", "reference_prefix": "SCALE", "tenants": ["t-scale"],
                       "policy_file": "cadence-only.toml", "services": ["all"], "engineers": ["e1"]}],
    }, "scale test", folder)


def services(db: Database, clock: SteppableClock, session: aiohttp.ClientSession, config: Config) -> Services:
    return Services(settings=Settings(local=True), config=config, db=db, tickets=TicketStore(db),
                    conversations=ConversationStore(db), state=ConversationState(DatabaseStorage(db, clock)),
                    clock=clock, connector=Connector(session, NoToken(), attempts=1), telemetry=Telemetry())


async def seed(s: Services, count: int, service_url: str, opened: datetime = START, customer: int = 0) -> None:
    """``count`` tickets opened at ``opened``, each with its own channel thread, planned as the product plans them
    (the configuration's first customer's, or the ``customer``-th)."""
    customer_ = s.config.customers[customer]
    scheduler = Scheduler(s)
    for n in range(count):
        ticket = await s.tickets.create(NewTicket(
            customer_id=customer_.id, reference_prefix=customer_.reference_prefix, category="incident",
            priority="P1", channel="chat", policy_id=customer_.policy.id, policy_snapshot=dict(customer_.policy.raw),
            reported_at=opened, started_at=None, report={"description": f"fault {n}"},
            classification={"rules": []}, reporter_id=f"r{n}", reporter_name="R",
            reporter_conversation_id=f"a:{n}"), at=opened)
        thread = f"19:t{customer}-{n}@thread.tacv2;messageid=1"
        await s.tickets.record_messages(ticket.id, at=opened, channel_conversation_id=thread, channel_activity_id="1")
        await s.conversations.remember(conversation_id=thread, tenant_id=MSP_TENANT, customer_id=customer_.id,
                                       user_id=None, reference={"serviceUrl": service_url, "tenant": MSP_TENANT,
                                                                "bot": {"id": "28:bot"}}, at=opened)
        await scheduler.replan(ticket.id)


def outbox_keys(connector: FakeConnector) -> list[str]:
    return [key for body in connector.delivered()
            if (key := (body.get("channelData") or {}).get("faultline", {}).get("outboxKey"))]


@pytest.mark.slow
async def test_two_instances_on_one_postgresql_fire_1000_timers_once_each(tmp_path: Path) -> None:
    created, schema = await make_database("postgresql", tmp_path)  # skips without PostgreSQL
    await created.close()
    # Commits need not wait for the disk in a test whose database is dropped at the end: same work, less waiting.
    quick = {"server_settings": {"search_path": str(schema), "synchronous_commit": "off"}}
    url = created.url.render_as_string(hide_password=False)
    first_db, second_db = Database(url, connect_args=quick), Database(url, connect_args=quick)
    connector = FakeConnector()
    service_url = await connector.start()
    clock = SteppableClock(START)
    config = scale_config(tmp_path)
    try:
        await first_db.migrate()
        async with aiohttp.ClientSession() as session:
            one, two = services(first_db, clock, session, config), services(second_db, clock, session, config)
            await seed(one, 1000, service_url)
            clock.current = START + timedelta(minutes=60, seconds=30)  # 1,000 update reminders are due
            schedulers = [Scheduler(one, instance="replica-a", batch=250), Scheduler(two, instance="replica-b",
                                                                                     batch=250)]
            fired = Counter[str]()
            for _ in range(40):
                results = await asyncio.gather(*(s.tick() for s in schedulers))
                fired.update({s.instance: r.fired for s, r in zip(schedulers, results, strict=True)})
                if len(outbox_keys(connector)) >= 1000:
                    break
                clock.step(seconds=1)
        keys = outbox_keys(connector)
        assert len(keys) == 1000 and len(set(keys)) == 1000  # every reminder once, none twice
        assert all(":reminder_due:" in key for key in keys)
        assert fired["replica-a"] > 0 and fired["replica-b"] > 0  # both replicas did part of the work
    finally:
        await first_db.close()
        await second_db.close()
        await connector.stop()
        if schema:
            await drop_schema(schema)


def test_teams_rate_limits_per_conversation() -> None:
    limiter = RateLimiter()
    allowed = [limiter.acquire("19:a", START) == timedelta(0) for _ in range(10)]
    assert allowed == [True] * 7 + [False] * 3  # 7 per second
    assert limiter.acquire("19:a", START + timedelta(seconds=1)) == timedelta(0)  # the 8th in 2 seconds
    assert limiter.acquire("19:a", START + timedelta(seconds=1.5)) > timedelta(0)
    assert limiter.acquire("19:b", START + timedelta(seconds=1.5)) == timedelta(0)  # each conversation its own


async def test_managers_come_from_graph_when_the_configuration_names_none() -> None:
    asked: list[str] = []

    async def manager(request: web.Request) -> web.Response:
        asked.append(request.match_info["user"])
        assert request.headers["Authorization"] == "Bearer graph-token"
        return web.json_response({"id": f"manager-of-{request.match_info['user']}"})

    graph = web.Application()
    graph.router.add_get("/v1.0/users/{user}/manager", manager)
    server = TestServer(graph, host="127.0.0.1")
    await server.start_server()

    class Token:
        async def token(self) -> str:
            return "graph-token"

    bare = replace(MAINTEL, escalation=Escalation())  # the customer file names no managers
    async with aiohttp.ClientSession() as session:
        managers = GraphManagers(session, Token(), str(server.make_url("/")))
        engineer = min(MAINTEL.engineers)  # an assignee who may still see the customer's tickets
        ticket = await _ticket_assigned_to(engineer)
        assert await contacts("team_lead", bare, ticket, managers) == [f"manager-of-{engineer}"]
        assert await contacts("manager", bare, ticket, managers) == [f"manager-of-manager-of-{engineer}"]
        assert await contacts("team_lead", bare, ticket, managers) == [f"manager-of-{engineer}"]
        dropped = await _ticket_assigned_to("someone-no-longer-on-the-customer")
        assert await contacts("team_lead", bare, dropped, managers) == []  # nobody is asked about them
    assert asked == [engineer, f"manager-of-{engineer}"]  # the second team-lead lookup came from the cache
    await server.close()


async def _ticket_assigned_to(engineer: str):  # type: ignore[no-untyped-def]
    from bot.store.tickets import Ticket

    return Ticket(customer_id=MAINTEL.id, category="incident", priority="P1", channel="chat", policy_id="x",
                  policy_snapshot={}, reported_at=START, started_at=None, report={}, classification={},
                  reporter_id="r", reporter_name="R", reporter_conversation_id="a:1", id=1, reference="X-000001",
                  assignee_id=engineer)




async def test_more_timers_due_than_a_tick_fires_are_fired_by_ticks_one_after_another_not_an_interval_apart(
        tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'backlog.db'}")
    connector = FakeConnector()
    service_url = await connector.start()
    clock = SteppableClock(START)
    try:
        await db.migrate()
        async with aiohttp.ClientSession() as session:
            s = services(db, clock, session, scale_config(tmp_path))
            await seed(s, 5, service_url)
            clock.current = START + timedelta(minutes=60, seconds=30)  # five update reminders are due
            scheduler = Scheduler(s, instance="a", fire_batch=2)
            scheduler.start(interval=3600)  # an hour between quiet ticks: only a backlog ticks sooner
            try:
                for _ in range(200):
                    if len(outbox_keys(connector)) >= 5:
                        break
                    await asyncio.sleep(0.05)
            finally:
                await scheduler.stop()
        keys = outbox_keys(connector)
        assert len(keys) == 5 and len(set(keys)) == 5  # every reminder, once, without waiting an hour between ticks
    finally:
        await db.close()
        await connector.stop()
