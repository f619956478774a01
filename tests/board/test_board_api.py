"""The board's API over real HTTP: Teams SSO tokens checked with real RS256 signatures against each tenant's keys,
and every viewer shown exactly the tickets the bot's own authorisation lets them see."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.app import create_app
from bot.config import load_config
from bot.settings import Secret, Settings
from bot.store.db import Database
from bot.store.tickets import Ticket
from tests.board.keys import APP_ID, HOST, TenantKeys, serving
from tests.board.seed import ENGINEER, seed
from tests.bot.fakes import SteppableClock

MSP = "00000000-0000-0000-0000-0000000000aa"
MAINTEL = "00000000-0000-0000-0000-000000000001"
VODAFONE = "00000000-0000-0000-0000-000000000002"
STRANGER = "00000000-0000-0000-0000-0000000000ff"  # a tenant no customer has
NOW = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)


@dataclass
class Board:
    url: str
    keys: TenantKeys
    clock: SteppableClock
    tickets: dict[str, Ticket]
    session: aiohttp.ClientSession

    async def get(self, path: str, token: str | None, **headers: str) -> aiohttp.ClientResponse:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = await self.session.get(f"{self.url}{path}", headers=headers)
        await response.read()
        return response

    async def refs(self, token: str) -> list[str]:
        response = await self.get("board/api/tickets", token)
        assert response.status == 200
        return [row["reference"] for row in (await response.json())["tickets"]]


@pytest.fixture(scope="module")
def keys() -> Iterator[TenantKeys]:
    with serving(TenantKeys([MSP, MAINTEL, VODAFONE, STRANGER])) as served:
        yield served


@pytest.fixture
async def board(tmp_path: Path, keys: TenantKeys) -> AsyncIterator[Board]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'board.db'}")
    await db.migrate()
    config = load_config(None)
    tickets = await seed(db, config, NOW)
    clock = SteppableClock(NOW)
    settings = Settings(app_id=APP_ID, app_password=Secret("x"), public_url=f"https://{HOST}",
                        tab_openid_metadata_url=keys.metadata_url(), scheduler_interval=0,
                        report_link_secret=Secret("test-signing-key"), token_endpoint=f"{keys.url}/token",
                        graph_url="", openid_metadata_url=f"{keys.url}/none",
                        emulator_openid_metadata_url=f"{keys.url}/none")
    server = TestServer(create_app(settings, db=db, clock=clock, config=config), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield Board(str(server.make_url("/")), keys, clock, tickets, session)
    await server.close()
    await db.close()


def ref(board: Board, *names: str) -> list[str]:
    return [board.tickets[n].reference for n in names]


async def test_an_engineer_sees_the_open_tickets_of_their_customers_soonest_deadline_first(board: Board) -> None:
    token = board.keys.token(MSP, ENGINEER, "Eng Alpha")
    assert await board.refs(token) == ref(board, "maintel_p1", "vodafone_p2", "maintel_hold")


async def test_a_customers_user_sees_their_own_customers_tickets_only(board: Board) -> None:
    assert await board.refs(board.keys.token(MAINTEL, "user-m")) == ref(board, "maintel_p1", "maintel_hold")
    assert await board.refs(board.keys.token(VODAFONE, "user-v")) == ref(board, "vodafone_p2")


async def test_msp_staff_who_are_no_customers_engineers_see_nothing(board: Board) -> None:
    assert await board.refs(board.keys.token(MSP, "00000000-0000-0000-0000-00000000bad1")) == []


def forged(board: Board) -> dict[str, str]:
    keys, stranger_key = board.keys, rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "signed by another key": keys.token(MAINTEL, "user-m", key=stranger_key),
        "signed by another tenant's key": keys.token(MAINTEL, "user-m", signer=VODAFONE),
        "a tenant no customer has": keys.token(STRANGER, "someone"),
        "another audience": keys.token(MAINTEL, "user-m", aud=f"api://{HOST}/another-app"),
        "the bot's audience": keys.token(MAINTEL, "user-m", aud=APP_ID),
        "expired": keys.token(MAINTEL, "user-m", exp=int(datetime.now(UTC).timestamp()) - 3600),
        "another issuer": keys.token(MAINTEL, "user-m", iss=f"https://login.microsoftonline.com/{VODAFONE}/v2.0"),
        "no person": keys.token(MAINTEL, None),  # type: ignore[arg-type]
        "not a token": "not-a-token",
    }


@pytest.mark.parametrize("case", [
    "signed by another key", "signed by another tenant's key", "a tenant no customer has", "another audience",
    "the bot's audience", "expired", "another issuer", "no person", "not a token"])
async def test_a_forged_or_foreign_token_gets_401_and_nothing(board: Board, case: str) -> None:
    for path in ("board/api/tickets", "board/api/me", f"board/api/tickets/{board.tickets['maintel_p1'].id}",
                 "board/api/report?customer=maintel-demo&month=2025-10"):
        response = await board.get(path, forged(board)[case])
        assert response.status == 401, path
        assert board.tickets["maintel_p1"].reference not in await response.text()


async def test_no_token_gets_401(board: Board) -> None:
    assert (await board.get("board/api/tickets", None)).status == 401
    assert (await board.get("board/api/dev/personas", None)).status == 404  # no development sign-in here


async def test_the_board_answers_304_while_nothing_changed(board: Board) -> None:
    token = board.keys.token(MSP, ENGINEER)
    first = await board.get("board/api/tickets", token)
    tag = first.headers["ETag"]
    assert (await board.get("board/api/tickets", token, **{"If-None-Match": tag})).status == 304
    board.clock.step(minutes=20)  # the P1's first response is now late: the rows change
    again = await board.get("board/api/tickets", token, **{"If-None-Match": tag})
    assert again.status == 200 and again.headers["ETag"] != tag


async def test_countdowns_carry_the_deadline_and_the_75_percent_mark(board: Board) -> None:
    response = await board.get("board/api/tickets", board.keys.token(MSP, ENGINEER))
    p1 = next(r for r in (await response.json())["tickets"] if r["reference"] == ref(board, "maintel_p1")[0])
    first = next(t for t in p1["targets"] if t["name"] == "first_response")
    due, warn = datetime.fromisoformat(first["due_at"]), datetime.fromisoformat(first["warn_at"])
    started = board.tickets["maintel_p1"].reported_at
    assert warn - started == (due - started) * 0.75  # a 24x7 target: three quarters of its wall time
    hold = next(r for r in (await response.json())["tickets"] if r["reference"] == ref(board, "maintel_hold")[0])
    assert {t["status"] for t in hold["targets"]} == {"paused"}


async def test_the_ticket_page_has_the_timeline_and_the_clocks_paused_spans(board: Board) -> None:
    ticket = board.tickets["maintel_hold"]
    response = await board.get(f"board/api/tickets/{ticket.id}", board.keys.token(MAINTEL, "user-m"))
    page: dict[str, Any] = await response.json()
    assert [e["kind"] for e in page["timeline"]] == ["opened", "acknowledged", "paused"]
    assert "awaiting the customer's site access" in page["timeline"][-1]["details"]
    restoration = next(c for c in page["clocks"] if c["name"] == "restoration")
    assert restoration["paused"] == [[(NOW - timedelta(hours=2)).isoformat(), None]]
    other = await board.get(f"board/api/tickets/{ticket.id}", board.keys.token(VODAFONE, "user-v"))
    missing = await board.get("board/api/tickets/999999", board.keys.token(VODAFONE, "user-v"))
    assert (other.status, await other.text()) == (missing.status, await missing.text()) == (
        404, '{"error": "no such ticket"}')


async def test_the_report_api_matches_the_engine_and_hides_other_customers(board: Board) -> None:
    token = board.keys.token(MSP, ENGINEER)
    response = await board.get("board/api/report?customer=maintel-demo&month=2025-10", token)
    report = await response.json()
    assert report["tickets"] == 3 and report["by_priority"] == {"P1": 1, "P2": 1, "P3": 1}
    user_v = board.keys.token(VODAFONE, "user-v")
    hidden = await board.get("board/api/report?customer=maintel-demo&month=2025-10", user_v)
    unknown = await board.get("board/api/report?customer=nosuch&month=2025-10", user_v)
    assert (hidden.status, await hidden.text()) == (unknown.status, await unknown.text())
    csv = await board.session.get(report["csv_url"].replace(f"https://{HOST}/", board.url))
    assert csv.status == 200 and "by_priority,P1" in await csv.text()


async def test_local_mode_offers_a_marked_development_sign_in(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'local.db'}")
    await db.migrate()
    config = load_config(None)
    tickets = await seed(db, config, NOW)
    app = create_app(Settings(local=True, scheduler_interval=0), db=db, clock=SteppableClock(NOW), config=config)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        base = str(server.make_url("/board/api/"))
        people = await (await session.get(f"{base}dev/personas")).json()
        assert {"key": "user:vodafone-demo", "label": "A user of Vodafone VONE-M demo"} in people
        login = await session.post(f"{base}dev/login", json={"persona": "user:vodafone-demo"})
        token = (await login.json())["token"]
        answer = await session.get(f"{base}tickets", headers={"Authorization": f"Dev {token}"})
        assert [r["reference"] for r in (await answer.json())["tickets"]] == [tickets["vodafone_p2"].reference]
        forged = token[:-1] + ("0" if token[-1] != "0" else "1")
        assert (await session.get(f"{base}tickets", headers={"Authorization": f"Dev {forged}"})).status == 401
        refused = await session.post(f"{base}dev/login", json={"persona": "staff:nobody"})
        assert refused.status == 400
    await server.close()
    await db.close()
    page = (Path(__file__).resolve().parents[2] / "bot" / "board" / "static" / "index.html").read_text()
    assert "Development sign-in (local mode): not Teams single sign-on." in page


async def test_a_development_token_is_refused_outside_local_mode(board: Board) -> None:
    response = await board.session.get(f"{board.url}board/api/tickets", headers={"Authorization": "Dev x.y"})
    assert response.status == 401


async def test_vodafones_availability_runs_from_its_commencement_date(board: Board) -> None:
    response = await board.get("board/api/report?customer=vodafone-demo&month=2025-11", board.keys.token(
        MSP, ENGINEER))
    availability = (await response.json())["availability"]
    assert availability["note"] == ""
    london = ZoneInfo("Europe/London")
    assert [datetime.fromisoformat(f["start"]).astimezone(london).date().isoformat()
            for f in availability["figures"]] == ["2025-04-01"]  # local midnight, 23:00 UTC in summer time


async def test_an_at_risk_board_still_answers_304_while_nothing_changed(board: Board) -> None:
    token = board.keys.token(MSP, ENGINEER)
    board.clock.step(minutes=15)  # the P1 reported 25 min ago: its 30-minute first response is past 75 %
    first = await board.get("board/api/tickets", token)
    rows = {r["reference"]: r for r in (await first.json())["tickets"]}
    target = rows[ref(board, "maintel_p1")[0]]["targets"][0]
    assert (target["name"], target["status"]) == ("first_response", "at_risk")
    board.clock.step(seconds=30)
    assert (await board.get("board/api/tickets", token, **{"If-None-Match": first.headers["ETag"]})).status == 304


async def test_a_bad_month_is_a_400_saying_how_to_write_one(board: Board) -> None:
    response = await board.get("board/api/report?customer=maintel-demo&month=2025-13", board.keys.token(MSP, ENGINEER))
    assert response.status == 400
    assert (await response.json())["error"].endswith("write it as 2025-11, “November 2025” or “last month”")
