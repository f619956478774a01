"""The Playground session: one bot, one Playground and one Chromium for all scenarios, all offline.

Prerequisites missing (not root, no Chromium, no Playground): the scenarios are skipped with what is missing and how
to get it, except in CI (CI=true), where that is a failure: CI must show a real client working.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.playground import harness
from tests.playground.client import Teams

ARTEFACTS = harness.ROOT / "test-artefacts" / "playground"


@dataclass(frozen=True)
class Playground:
    url: str
    browser: Browser
    net: harness.Namespace
    workdir: Path


@pytest.fixture(scope="module")  # Playwright's sync loop must stop before any later async test runs
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playground]:
    missing = harness.missing_prerequisites()
    if missing:
        message = "the Playground tests need " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    workdir = tmp_path_factory.mktemp("playground")
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    ARTEFACTS.mkdir(parents=True)
    try:
        with harness.namespace() as net, harness.faultline_and_playground(net, workdir) as url, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(harness.chromium_in(net, workdir)),
                                                 args=harness.CHROMIUM_FLAGS)
            yield Playground(url, browser, net, workdir)
            browser.close()
    finally:
        for log in ("bot.log", "playground.log"):
            if (workdir / log).exists():
                shutil.copy(workdir / log, ARTEFACTS / log)


@pytest.fixture
def teams(playground: Playground, request: pytest.FixtureRequest) -> Iterator[Teams]:
    """A fresh page on the Playground, at the personal chat with the welcome card shown, the log panel closed."""
    page = playground.browser.new_page(viewport={"width": 1400, "height": 1000})
    client = Teams(page, ARTEFACTS, request.node.name)
    page.goto(playground.url)
    client.card_with_button("Report a fault").last.wait_for(timeout=60_000)
    page.get_by_title("Toggle Log Panel").click()  # it echoes messages' text: assertions must see the chat only
    expect(page.get_by_text("Log Panel", exact=True)).to_be_hidden()
    yield client
    client.screenshot("end")
    page.close()
