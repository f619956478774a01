"""Faultline in a real Teams-like client: the Microsoft 365 Agents Playground in Chromium, fully offline.

What a customer's user sees: a report typed in chat and one by the form both end in the ticket card with its
reference, priority and due times; "Add information" from that card reaches the ticket; a report made in a team
channel is answered there, and every new ticket is posted to the customer's support channel. The Playground shows
no user-specific views (`refresh`), so engineers' views and actions stay covered by the fake-connector tests in
tests/bot/. Screenshots of each step go to test-artefacts/playground/.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, expect

from tests.playground.client import DESCRIPTION, REFERENCE, WAIT_MS, Teams
from tests.playground.conftest import Playground
from tests.playground.harness import USER_TIME_ZONE

pytestmark = pytest.mark.playground

TARGETS = ("First response", "Customer update", "Restoration")


def due_times(text: str) -> list[datetime]:
    """Each target's due time as the card shows it (e.g. "Tue 01 Dec 09:15 GMT", in the user's zone), in order."""
    zone = datetime.now(ZoneInfo(USER_TIME_ZONE)).tzname()
    found = [re.search(rf"{target}\s+(\w{{3}} \d{{2}} \w{{3}} \d{{2}}:\d{{2}}) {zone}\b", text) for target in TARGETS]
    assert all(found), f"a target without a due time in {zone}: {text}"
    return [datetime.strptime(match.group(1), "%a %d %b %H:%M") for match in found if match]


def assert_ticket_card(card: Locator, reference: str, priority: str) -> None:
    """Reference and priority in the title, and each target's due time in the user's zone, in order."""
    text = card.inner_text()
    assert re.search(rf"{reference}\s*·\s*Fault, priority {priority}", text), text
    deadlines = due_times(text)
    assert deadlines == sorted(deadlines) and len(set(deadlines)) == len(TARGETS), text


def test_the_bot_and_the_playground_have_no_network_but_loopback(playground: Playground) -> None:
    assert playground.net.interfaces() == ["lo"]


def test_a_report_typed_in_chat_ends_in_the_ticket_card(teams: Teams) -> None:
    teams.say("cancel")  # whatever an earlier scenario left half done in this chat
    reference = teams.answer_until_ticket("our phones are down")
    card = teams.ticket_card(reference)
    teams.screenshot("ticket-card")
    assert_ticket_card(card, reference, "P1")  # 60% of users: Maintel's P1 "50% or more of users"
    assert "our phones are down" in card.inner_text() or DESCRIPTION in card.inner_text()  # what happens
    expect(card.get_by_role("button", name="Add information")).to_be_visible()


def test_a_report_by_the_form_ends_in_the_ticket_card(teams: Teams) -> None:
    reference = teams.report_by_form(users_share="10", sites=("1", "3"))
    card = teams.ticket_card(reference)
    teams.screenshot("ticket-card")
    text = card.inner_text()
    assert REFERENCE.fullmatch(reference) and "Ada Reporter" in text
    assert_ticket_card(card, reference, re.search(r"priority (P\d)", text).group(1))  # type: ignore[union-attr]
    assert "10% of users" in text and "1 of 3 sites" in text


def test_add_information_from_the_reporters_card_reaches_the_ticket(teams: Teams) -> None:
    reference = teams.report_by_form()
    card = teams.ticket_card(reference)
    card.get_by_role("button", name="Add information").click()
    card.get_by_role("textbox", name="Information").fill("Only the Bath office is affected")
    teams.screenshot("add-information")
    card.get_by_role("button", name="Send").click()
    expect(teams.ticket_card(reference)).to_contain_text("Ada Reporter added information", timeout=WAIT_MS)
    teams.screenshot("information-added")
    teams.open("Customer team - Announcements")  # the support channel's thread of this ticket
    thread = teams.page.get_by_text(re.compile(rf"added information \({reference}\): Only the Bath office"))
    expect(thread.first).to_be_visible(timeout=WAIT_MS)
    teams.screenshot("support-channel-thread")


def test_a_report_in_a_channel_is_answered_there_and_posted_to_the_support_channel(teams: Teams) -> None:
    teams.open("Customer team - General")
    teams.card_with_button("Report a fault").last.wait_for(timeout=WAIT_MS)
    reference = teams.report_by_form()
    teams.screenshot("ticket-in-channel")
    assert_ticket_card(teams.ticket_card(reference), reference, "P1")
    teams.open("Customer team - Announcements")
    expect(teams.page.get_by_text(f"New ticket {reference} from Ada Reporter")).to_be_visible(timeout=WAIT_MS)
    teams.screenshot("support-channel")


def test_the_monthly_report_card_draws_its_charts(teams: Teams) -> None:
    teams.say("cancel")
    teams.answer_until_ticket("our phones are down")  # at least one ticket this month
    teams.say("report this month")
    card = teams.cards().filter(has_text="SLA report: Maintel ICON demo").last
    expect(card).to_be_visible(timeout=WAIT_MS)
    expect(card.get_by_role("alert", name=re.compile(r"^Tickets by priority, Donut chart"))).to_be_visible()
    expect(card.get_by_role("alert", name=re.compile(r"^Tickets reported per day, Line chart"))).to_be_visible()
    expect(card.get_by_role("link", name="Download CSV")).to_be_visible()
    teams.page.set_viewport_size({"width": 1400, "height": 2400})  # the whole card, above the message box
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(teams.shots / "report-card.png"))
