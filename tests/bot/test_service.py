"""The service's edges: restart, tenants, authentication, duplicates, concurrency, limits, errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import REFUSAL
from bot.settings import Settings, SettingsError, settings_from_env
from bot.store.db import Database, head_revision
from bot.store.schema import conversation_refs, dialog_state, processed_activities
from bot.store.tickets import TicketStore
from tests.bot.conftest import START, Running, start_faultline
from tests.bot.fakes import (
    ADMIN,
    APP_ID,
    MSP_TENANT,
    FakeConnector,
    FakeIssuer,
    SteppableClock,
    activity,
)

FULL = ["10 minutes ago", "1, 2", "60%", "1 of 3", "no", "no", "Callers hear a busy tone"]


async def test_health_and_readiness(faultline: Running) -> None:
    async with faultline.session.get(f"{faultline.url}healthz") as r:
        assert r.status == 200 and (await r.json())["status"] == "alive"
    async with faultline.session.get(f"{faultline.url}readyz") as r:
        body = await r.json()
        assert r.status == 200 and body["status"] == "ready" and f"schema {head_revision()}" in body["reason"]


async def test_a_restart_in_the_middle_of_a_report_continues_where_it_stopped(tmp_path: Path) -> None:
    connector = FakeConnector()
    service_url = await connector.start()
    url_db = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    clock = SteppableClock(START)
    async with aiohttp.ClientSession() as session:
        first_db = Database(url_db)
        quiet = Settings(local=True, scheduler_interval=0)
        server, url = await start_faultline(quiet, first_db, connector, service_url, clock)
        for text in ["our phones are down", *FULL[:3]]:
            await session.post(f"{url}api/messages", json=activity(service_url=service_url, text=text))
        await server.close()
        await first_db.close()
        second_db = Database(url_db)  # a new process: new app, same database
        server, url = await start_faultline(quiet, second_db, connector, service_url, clock)
        for text in [*FULL[3:], "confirm"]:
            async with session.post(f"{url}api/messages", json=activity(service_url=service_url, text=text)) as r:
                assert r.status == 200
        assert "Ticket MAINTEL-000001 is open" in connector.texts()
        ticket = await TicketStore(second_db).by_reference("MAINTEL-000001")  # answers from before the restart
        assert ticket is not None and ticket.report["pct_users_affected"] == 60
        assert ticket.started_at is not None and ticket.started_at.isoformat() == "2025-11-24T09:50:00+00:00"
        await server.close()
        await second_db.close()
    await connector.stop()


async def _rows(db: Database, table: object) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_an_unknown_tenant_is_refused_politely_and_nothing_is_stored(faultline: Running) -> None:
    body = activity(service_url=faultline.service_url, text="our phones are down", activity_id="stranger-1",
                    tenant="99999999-9999-9999-9999-999999999999")
    assert (await faultline.post(body)).status == 200
    assert [(m["text"], m["replyToId"], m["conversation"]["id"]) for m in faultline.connector.messages()] == [
        (REFUSAL, "stranger-1", "a:personal-1")]  # one reply, to that message, and nothing else
    for table in (conversation_refs, dialog_state, processed_activities):
        assert await _rows(faultline.db, table) == 0


async def test_a_duplicate_activity_is_processed_once(faultline: Running) -> None:
    body = activity(service_url=faultline.service_url, text="our phones are down", activity_id="dup-1")
    first, second = await asyncio.gather(faultline.post(body), faultline.post(body))
    assert first.status == second.status == 200
    intros = [m for m in faultline.connector.messages() if "Sorry to hear that" in json.dumps(m)]
    assert len(intros) == 1


async def test_twenty_reports_created_concurrently_get_twenty_references(faultline: Running) -> None:
    async def report(n: int) -> None:
        conversation = f"a:personal-{n}"
        user = f"00000000-0000-0000-0000-0000000{n:05d}"
        for text in ["our phones are down", *FULL, "confirm"]:
            status = await faultline.say(text, conversation=conversation, user=user)
            assert status == 200

    await asyncio.gather(*(report(n) for n in range(20)))
    references = {f"MAINTEL-{n:06d}" for n in range(1, 21)}
    sent = faultline.connector.texts()
    assert all(f"Ticket {ref} is open" in sent for ref in references)
    assert await TicketStore(faultline.db).count() == 20


async def test_install_in_personal_chat_shows_the_welcome_card(faultline: Running) -> None:
    body = activity("conversationUpdate", service_url=faultline.service_url,
                    membersAdded=[{"id": "28:faultline-bot"}])
    assert (await faultline.post(body)).status == 200
    assert "Report a fault" in faultline.connector.texts()


async def test_in_a_channel_only_mentions_are_answered(faultline: Running) -> None:
    channel = {"channel": {"id": "19:general@thread.tacv2"}, "team": {"id": "19:team@thread.tacv2"}}
    await faultline.say("our phones are down", conversation="19:general@thread.tacv2;messageid=1",
                        conversation_type="channel", channel_data=channel)
    assert faultline.connector.calls == []
    mention = [{"type": "mention", "mentioned": {"id": "28:faultline-bot", "name": "Faultline"},
                "text": "<at>Faultline</at>"}]
    await faultline.say("<at>Faultline</at> our phones are down", conversation="19:general@thread.tacv2;messageid=1",
                        conversation_type="channel", channel_data=channel, entities=mention)
    assert "Sorry to hear that" in faultline.connector.texts()


async def test_bind_is_for_msp_admins_in_a_channel(faultline: Running) -> None:
    channel = {"channel": {"id": "19:new-support@thread.tacv2"}, "team": {"id": "19:msp@thread.tacv2"}}
    mention = [{"type": "mention", "mentioned": {"id": "28:faultline-bot"}, "text": "<at>Faultline</at>"}]
    common = {"tenant": MSP_TENANT, "conversation": "19:new-support@thread.tacv2;messageid=9",
              "conversation_type": "channel", "channel_data": channel, "entities": mention}
    await faultline.say("<at>Faultline</at> bind maintel-demo", user="00000000-0000-0000-0000-00000000e001", **common)
    assert "Only an MSP admin can bind" in faultline.connector.texts()
    await faultline.say("<at>Faultline</at> bind maintel-demo", user=ADMIN, **common)
    assert "Bound Maintel ICON demo to this channel" in faultline.connector.texts()
    for text in ["our phones are down", *FULL, "confirm"]:
        await faultline.say(text)
    posted = [m for m in faultline.connector.messages() if "_new_conversation" in m]
    assert posted[-1]["_new_conversation"]["channelData"]["channel"]["id"] == "19:new-support@thread.tacv2"


async def test_a_body_over_256_kb_is_refused(faultline: Running) -> None:
    body = activity(service_url=faultline.service_url, text="x" * (300 * 1024))
    assert (await faultline.post(body)).status == 413


async def test_not_json_is_a_400(faultline: Running) -> None:
    async with faultline.session.post(f"{faultline.url}api/messages", data=b"{nope",
                                      headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400


@pytest.mark.expect_turn_failure  # the connector fails for good on purpose
async def test_an_unhandled_error_is_logged_with_a_reference_and_the_user_told_politely(
        faultline: Running, caplog: pytest.LogCaptureFixture) -> None:
    faultline.connector.fail_with = [500]  # the first reply fails for good (500 is not retried)
    assert await faultline.say("our phones are down") == 200
    sent = faultline.connector.texts()
    assert "something went wrong on our side" in sent and "Traceback" not in sent
    reference = next(r for r in caplog.records if "turn failed, reference" in r.getMessage())
    assert reference.exc_info is not None
    assert reference.getMessage().split("reference ")[1][:8] in sent


# -- authentication ---------------------------------------------------------------------------------
@pytest.fixture
async def secured(tmp_path: Path):  # type: ignore[no-untyped-def]
    issuer = FakeIssuer()
    metadata = await issuer.start()
    connector = FakeConnector()
    service_url = await connector.start()
    token_server = FakeConnector()  # answers the client-credentials call
    token_url = await token_server.start()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}")
    settings = Settings(app_id=APP_ID, app_password=__import__("bot.settings").settings.Secret("s3cret"),
                        openid_metadata_url=metadata, emulator_openid_metadata_url=metadata,
                        token_endpoint=f"{token_url}token", scheduler_interval=0, graph_url="")
    server, url = await start_faultline(settings, db, connector, service_url, SteppableClock(START))
    async with aiohttp.ClientSession() as session:
        yield issuer, url, service_url, session, connector, token_server
    await server.close()
    await db.close()
    for fake in (issuer, connector, token_server):
        await fake.stop()


@pytest.mark.parametrize(("header", "why"), [
    (None, "missing"),
    ("Bearer not-a-jwt", "malformed"),
    ("Basic dXNlcjpwYXNz", "not bearer"),
])
async def test_missing_or_malformed_tokens_get_401(secured, header: str | None, why: str) -> None:  # type: ignore[no-untyped-def]
    _, url, service_url, session, connector, _ = secured
    headers = {"Authorization": header} if header else {}
    async with session.post(f"{url}api/messages", json=activity(service_url=service_url, text="hi"),
                            headers=headers) as r:
        assert r.status == 401, why
    assert connector.calls == []


async def test_tokens_for_another_bot_or_service_url_or_from_an_untrusted_issuer_get_401(secured) -> None:  # type: ignore[no-untyped-def]
    issuer, url, service_url, session, connector, _ = secured
    bad = [issuer.token(service_url, aud="someone-else"), issuer.token("https://evil.example/"),
           issuer.token(service_url, iss="https://sts.windows.net/attacker/"), issuer.token(service_url, exp=1)]
    for token in bad:
        async with session.post(f"{url}api/messages", json=activity(service_url=service_url, text="hi"),
                                headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 401
    assert connector.calls == []


async def test_a_valid_channel_token_is_accepted_and_replies_carry_a_bot_token(secured) -> None:  # type: ignore[no-untyped-def]
    issuer, url, service_url, session, connector, token_server = secured
    token = issuer.token(service_url)
    for text in ["our phones are down", "10 minutes ago"]:
        async with session.post(f"{url}api/messages", json=activity(service_url=service_url, text=text),
                                headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200
    assert connector.calls
    assert {c.headers.get("Authorization") for c in connector.calls} == {f"Bearer bot-token-for-{APP_ID}"}
    assert len(token_server.calls) == 1  # the token is cached across turns
    assert token_server.calls[0].body["client_secret"] == "s3cret"


def test_without_an_app_id_and_without_local_mode_it_refuses_to_start() -> None:
    with pytest.raises(SettingsError, match=r"set MicrosoftAppId .* or set FAULTLINE_LOCAL=1"):
        settings_from_env({})
    assert settings_from_env({"FAULTLINE_LOCAL": "1"}).bind_host() == "127.0.0.1"


@pytest.mark.parametrize(("pool", "message"), [
    ("-1", r"FAULTLINE_DATABASE_POOL must be 0 \(the default\) or more; got -1"),
    ("many", "FAULTLINE_DATABASE_POOL must be a whole number; got 'many'")])
def test_a_database_pool_below_zero_or_not_a_number_is_refused_with_what_to_set(pool: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings_from_env({"FAULTLINE_LOCAL": "1", "FAULTLINE_DATABASE_POOL": pool})


def test_secrets_never_show_in_settings_repr() -> None:
    settings = settings_from_env({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "hunter2"})
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)


async def test_local_mode_serves_the_emulator_which_sends_no_tenant(faultline: Running) -> None:
    body = activity(service_url=faultline.service_url, text="our phones are down")
    body["channelData"] = {}
    del body["conversation"]["tenantId"]
    assert (await faultline.post(body)).status == 200
    replies = faultline.connector.messages("a:personal-1")
    assert replies and replies[0]["text"].startswith("Sorry to hear that. I'll take what the contract needs")
    assert "When did the problem start?" in replies[-1]["text"]  # the first message was read: the next question


def test_the_service_refuses_to_start_without_an_identity_and_says_what_to_set() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "FAULTLINE_"))}
    done = subprocess.run([sys.executable, "-m", "bot"], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 2
    assert "set MicrosoftAppId" in done.stderr and "FAULTLINE_LOCAL=1" in done.stderr
    assert "Traceback" not in done.stderr
