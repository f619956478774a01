"""The SLA board in a real browser: Debian's Chromium driven by Playwright, against a real `python -m bot` with
seeded tickets and Teams SSO tokens signed by a local Entra (tests/board/keys.py).

The token reaches the page as Teams would hand it to the tab's requests; the page itself is the shipped one.
Screenshots go to test-artefacts/board/. Missing Chromium skips these tests, except in CI, where it fails them.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from bot.config import load_config
from bot.services.views import policy_of
from bot.store.db import Database
from bot.store.tickets import Ticket, TicketStore
from reports import SlaReport, build_report, from_store, month_period
from reports.export import report_csv
from tests.board.keys import TenantKeys
from tests.board.seed import ENGINEER, seed
from tests.board.served import ARTEFACTS, CHROMIUM, CHROMIUM_FLAGS, TENANTS, missing_prerequisites, running_bot


@dataclass
class Served:
    url: str
    keys: TenantKeys
    tickets: dict[str, Ticket]
    browser: Browser
    database: str
    requests: list[str] = field(default_factory=list)

    def page(self, token: str | None, **options: Any) -> tuple[BrowserContext, Page]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        context = self.browser.new_context(extra_http_headers=headers, viewport={"width": 1300, "height": 800},
                                           accept_downloads=True, **options)
        page = context.new_page()
        page.on("request", lambda request: self.requests.append(request.url))
        return context, page

    def refs(self, *names: str) -> list[str]:
        return [self.tickets[n].reference for n in names]


@pytest.fixture(scope="module")  # Playwright's sync loop must stop before any later async test runs
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    missing = missing_prerequisites()
    if missing:
        if os.environ.get("CI"):
            pytest.fail("the board's browser tests need " + "; ".join(missing))
        pytest.skip("the board's browser tests need " + "; ".join(missing))
    workdir = tmp_path_factory.mktemp("board")
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    ARTEFACTS.mkdir(parents=True)
    try:
        with running_bot(workdir, seed) as (url, keys, tickets), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            assert isinstance(tickets, dict)
            yield Served(url, keys, tickets, browser, f"sqlite+aiosqlite:///{workdir / 'board.db'}")
            browser.close()
    finally:
        if (workdir / "bot.log").exists():
            shutil.copy(workdir / "bot.log", ARTEFACTS / "bot.log")


def engineer(served: Served) -> str:
    return served.keys.token(TENANTS["msp"], ENGINEER, "Eng Alpha")


def board_refs(page: Page) -> list[str]:
    page.locator("#board tbody tr").first.wait_for()
    return [str(r) for r in page.locator("#board tbody tr").evaluate_all("rows => rows.map(r => r.dataset.ref)")]


@pytest.mark.parametrize(("viewer", "expected"), [
    ("engineer", ("maintel_p1", "vodafone_p2", "maintel_hold")),
    ("maintel user", ("maintel_p1", "maintel_hold")),
    ("vodafone user", ("vodafone_p2",)),
])
def test_the_board_shows_each_viewer_their_tickets_soonest_first(served: Served, viewer: str,
                                                                 expected: tuple[str, ...]) -> None:
    token = {"engineer": engineer(served), "maintel user": served.keys.token(TENANTS["maintel"], "user-m", "Mia"),
             "vodafone user": served.keys.token(TENANTS["vodafone"], "user-v", "Vic")}[viewer]
    context, page = served.page(token, color_scheme="dark")
    page.goto(f"{served.url}/board/")
    assert board_refs(page) == served.refs(*expected)
    expect(page.locator("#board-status")).to_have_text(f"{len(expected)} of {len(expected)} open tickets shown")
    if viewer == "engineer":
        page.locator("#filters").get_by_label("Customer").select_option("Vodafone VONE-M demo")
        assert board_refs(page) == served.refs("vodafone_p2")
        page.locator("#filters").get_by_label("Customer").select_option("")
        page.screenshot(path=str(ARTEFACTS / "board-dark.png"), full_page=True)
    context.close()


def test_a_countdown_turns_amber_at_75_percent_and_red_at_breach(served: Served) -> None:
    context, page = served.page(engineer(served))
    page.clock.install(time=datetime.now(UTC))
    page.goto(f"{served.url}/board/")
    row = page.locator(f"#board tr[data-ref='{served.refs('maintel_p1')[0]}']")
    first = row.locator(".cd", has_text="First response")
    expect(first).to_have_attribute("data-state", "ok")
    target = next(t for t in api_rows(page, served)["maintel_p1"]["targets"] if t["name"] == "first_response")
    warn, due = datetime.fromisoformat(target["warn_at"]), datetime.fromisoformat(target["due_at"])
    page.clock.run_for(int((warn - datetime.now(UTC)).total_seconds() * 1000) + 2000)
    expect(first).to_have_attribute("data-state", "warn")
    expect(first).to_contain_text("at risk")
    page.clock.run_for(int((due - warn).total_seconds() * 1000) + 1000)
    expect(first).to_have_attribute("data-state", "late")
    expect(first).to_contain_text("breached")
    late = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--late').trim()")
    assert first.evaluate("e => getComputedStyle(e).color") == hex_to_rgb(late)
    page.screenshot(path=str(ARTEFACTS / "board-breach.png"), full_page=True)
    context.close()


def hex_to_rgb(value: str) -> str:
    value = value.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


def api_rows(page: Page, served: Served) -> dict[str, dict[str, Any]]:
    answer = page.request.get(f"{served.url}/board/api/tickets")
    by_ref = {row["reference"]: row for row in answer.json()["tickets"]}
    return {name: by_ref[t.reference] for name, t in served.tickets.items() if t.reference in by_ref}


def test_the_ticket_page_shows_the_timeline_and_the_paused_span(served: Served) -> None:
    context, page = served.page(engineer(served))
    page.goto(f"{served.url}/board/")
    page.get_by_role("link", name=served.refs("maintel_hold")[0]).click()
    expect(page.locator("#ticket-title")).to_have_text(served.refs("maintel_hold")[0])
    expect(page.locator("#ticket-timeline li")).to_have_count(3)
    expect(page.locator("#ticket-timeline li").last).to_contain_text("awaiting the customer's site access")
    expect(page.locator("#ticket-clocks .track .hold").first).to_be_visible()
    page.screenshot(path=str(ARTEFACTS / "ticket.png"), full_page=True)
    context.close()


async def engine_report(served: Served, customer_id: str, month: tuple[int, int]) -> SlaReport:
    """The report engine's own figures over the same stored tickets."""
    db = Database(served.database)
    try:
        store = TicketStore(db)
        customer = load_config(None).customer(customer_id)
        assert customer is not None
        tickets = [from_store(t, await store.events(t.id), policy_of(t))
                   for t in await store.customer_tickets(customer_id)]
        return build_report(customer.name, customer.policy, tickets, month_period(*month, customer.timezone),
                            datetime.now(UTC), commencement=customer.service_commencement)
    finally:
        await db.close()


def last_month() -> tuple[int, int]:
    first = datetime.now(UTC).replace(day=1) - timedelta(days=1)
    return first.year, first.month


def shown_targets(page: Page) -> list[list[str]]:
    return [list(map(str, row)) for row in page.locator("#report-targets tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))")]


def engine_targets(report: SlaReport) -> list[list[str]]:
    def number(value: Any) -> str:
        return "—" if value is None else str(int(float(value)) if float(value).is_integer() else float(value))

    rows = []
    for row in csv.DictReader(io.StringIO(report_csv(report))):
        if row["section"] == "target":
            percent = "—" if not row["percent_met"] else f"{float(row['percent_met']):.1f}"
            rows.append([row["item"], row["priority"], row["met"], row["breached"], row["running"], percent,
                         number(row["median_minutes"] or None), number(row["p90_minutes"] or None)])
    return rows


def test_the_reports_page_shows_the_engines_numbers_and_downloads_its_csv(served: Served) -> None:
    context, page = served.page(engineer(served), color_scheme="dark")
    page.goto(f"{served.url}/board/#/reports")
    year, month = last_month()
    form = page.locator("#report-form")
    form.get_by_label("Customer").select_option("maintel-demo")
    form.get_by_label("Month").fill(f"{year:04d}-{month:02d}")
    page.get_by_role("button", name="Show report").click()
    expect(page.locator("#report-title")).to_contain_text("SLA report: Maintel ICON demo")
    with ThreadPoolExecutor(1) as aside:  # Playwright's own loop runs in this thread
        report = aside.submit(asyncio.run, engine_report(served, "maintel-demo", (year, month))).result()
    assert shown_targets(page) == engine_targets(report)
    expect(page.locator("#report-figures tr[data-figure='Tickets'] td")).to_have_text(str(report.tickets))
    expect(page.locator("#report-figures tr[data-figure='Reopened tickets'] td")).to_have_text(
        str(report.reopened_tickets))
    assert page.evaluate("document.querySelectorAll('canvas').length") == 3
    assert page.evaluate("!!window.Chart && Chart.getChart('chart-targets') !== undefined")
    page.screenshot(path=str(ARTEFACTS / "report-page-dark.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    shown = [r for r in rows if r["section"] in ("target", "by_priority", "changes")]
    expected = [r for r in csv.DictReader(io.StringIO(report_csv(report)))
                if r["section"] in ("target", "by_priority", "changes")]
    assert shown == expected and shown
    context.close()


@pytest.mark.parametrize("token", ["another tenant's key", "a tenant no customer has", "none"])
def test_a_forged_or_foreign_token_gets_401_and_the_page_shows_nothing(served: Served, token: str) -> None:
    bearer = {"another tenant's key": served.keys.token(TENANTS["maintel"], "user-m", signer=TENANTS["vodafone"]),
              "a tenant no customer has": served.keys.token(TENANTS["stranger"], "someone"), "none": None}[token]
    context, page = served.page(bearer)
    page.goto(f"{served.url}/board/")
    expect(page.locator("#signin-page")).to_be_visible()
    expect(page.locator("#signin-text")).to_have_text("Open this tab in Microsoft Teams to sign in with your work "
                                                      "account.")
    assert page.request.get(f"{served.url}/board/api/tickets").status == 401
    content = page.content()
    assert not any(t.reference in content for t in served.tickets.values())
    context.close()


def test_the_page_requests_nothing_from_elsewhere(served: Served) -> None:
    context, page = served.page(engineer(served))
    page.goto(f"{served.url}/board/#/reports")
    page.get_by_role("button", name="Show report").click()
    expect(page.locator("#report-title")).to_contain_text("SLA report")
    context.close()
    assert served.requests and all(url.startswith(served.url + "/") for url in served.requests), {
        url for url in served.requests if not url.startswith(served.url + "/")}
