"""Driving the Agents Playground's web client as a person would: chats, the message box and Adaptive Cards.

Scenarios wait for what a person would look for (a card with a given button, a ticket reference) rather than for
exact prompt wording, so a reworded intake question does not break them; typed answers are chosen by what the
question is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

REFERENCE = re.compile(r"\b[A-Z]+-\d{6}\b")
SAME_PROBLEM = re.compile(r"same problem\?|\bIs it [A-Z]+-\d{6}\?", re.IGNORECASE)
WAIT_MS = 30_000  # two loaded cores: a turn usually answers in well under a second, but not always
DESCRIPTION = "Callers hear a busy tone on the main number"
CHECK = "Check priority and deadlines"  # the form's submit button
OPEN = "Open the ticket"  # the summary card's confirm button

# What a reporter answers, by what the bot's last question is about (first match wins; order matters:
# the mission-critical question mentions a site, the sites question says "how many" like the users one).
TYPED_ANSWERS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.IGNORECASE), a) for p, a in (
    (r"\bconfirm\b", "confirm"),
    (r"mission.critical", "no"),
    (r"workaround", "no"),
    (r"describe|what happens", DESCRIPTION),
    (r"when did|start", "10 minutes ago"),
    (r"service", "1"),
    (r"\bsites?\b", "1 of 3"),
    (r"\busers?\b|people|how many", "60%"),
))


@dataclass
class Teams:
    """One browser page on the Playground, signed in as the configured current user."""

    page: Page
    shots: Path
    test_name: str
    step: int = 0

    def screenshot(self, label: str) -> Path:
        self.step += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self.test_name}-{self.step:02d}-{label}.png"
        self.page.screenshot(path=str(path))
        return path

    def open(self, conversation: str) -> None:
        """Open a conversation from the left rail: "Personal Chat", "Customer team - General", …"""
        self.page.get_by_role("treeitem", name=conversation).click()

    # -- cards ----------------------------------------------------------------------------------------------
    def cards(self) -> Locator:
        return self.page.locator(".ac-adaptiveCard")

    def card_with_button(self, name: str) -> Locator:
        return self.cards().filter(has=self.page.get_by_role("button", name=name, exact=True))

    def click_new(self, button: str) -> None:
        """Click ``button`` on the newest card that has it."""
        self.card_with_button(button).last.get_by_role("button", name=button, exact=True).click()

    def wait_for_new_card_with(self, button: str, before: int) -> Locator:
        cards = self.card_with_button(button)
        expect(cards).to_have_count(before + 1, timeout=WAIT_MS)
        return cards.last

    def ticket_card(self, reference: str | None = None) -> Locator:
        """The newest card showing a ticket reference (or this one)."""
        pattern = re.compile(re.escape(reference)) if reference else REFERENCE
        card = self.cards().filter(has_text=pattern).last
        expect(card).to_be_visible(timeout=WAIT_MS)
        return card

    # -- the report form ----------------------------------------------------------------------------------
    def report_by_form(self, users_share: str = "60", sites: tuple[str, str] = ("1", "3")) -> str:
        """From the welcome card: fill the form, check the priority, open the ticket; return its reference."""
        forms = self.card_with_button(CHECK).count()
        self.click_new("Report a fault")
        form = self.wait_for_new_card_with(CHECK, forms)
        form.get_by_role("checkbox").first.check()  # the first service of the customer's catalogue
        form.get_by_label(re.compile(r"share of users", re.IGNORECASE)).fill(users_share)
        form.get_by_label(re.compile(r"^sites affected", re.IGNORECASE)).fill(sites[0])
        form.get_by_label(re.compile(r"of how many sites", re.IGNORECASE)).fill(sites[1])
        form.get_by_label(re.compile(r"what happens|describe", re.IGNORECASE)).fill(DESCRIPTION)
        self.screenshot("form-filled")
        summaries = self.card_with_button(OPEN).count()
        form.get_by_role("button", name=CHECK).click()
        summary = self.wait_for_new_card_with(OPEN, summaries)
        self.screenshot("summary")
        summary.get_by_role("button", name=OPEN).click()
        return self.newest_reference()

    def newest_reference(self) -> str:
        found = REFERENCE.search(self.ticket_card().inner_text())
        assert found, "no ticket reference on the ticket card"
        return found.group(0)

    # -- typing in a chat -------------------------------------------------------------------------------------
    def bot_messages(self) -> Locator:
        return self.page.locator(".fai-OutputCard")

    def say(self, text: str) -> str:
        """Type ``text`` in the chat's message box, send it, and return the bot's last reply once it settles."""
        before = self.bot_messages().count()
        self.page.locator('[data-lexical-editor="true"]').last.click()
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")
        return self.reply_after(before)

    def reply_after(self, before: int) -> str:
        """Wait for a bot message beyond the first ``before``; return the last one once no other follows soon."""
        self.page.wait_for_function(f"document.querySelectorAll('.fai-OutputCard').length > {before}",
                                    timeout=WAIT_MS)
        count = -1
        while count != self.bot_messages().count():
            count = self.bot_messages().count()
            self.page.wait_for_timeout(700)
        return self.bot_messages().last.inner_text()

    def answer_until_ticket(self, first: str, max_turns: int = 15) -> str:
        """Report by typing ``first``, answer each question by its topic, confirm; return the ticket reference."""
        reply = self.say(first)
        offered: set[str] = set()
        for _ in range(max_turns):
            if SAME_PROBLEM.search(reply):  # an earlier scenario's ticket is offered: this report is its own
                offered.update(REFERENCE.findall(reply))
                reply = self.say("no, something else")
                continue
            if found := [r for r in REFERENCE.findall(reply) if r not in offered]:
                return found[0]
            answer = next((a for pattern, a in TYPED_ANSWERS if pattern.search(reply)), None)
            if answer is None:  # not a question (yet): the bot may still be sending its next message
                try:
                    reply = self.reply_after(self.bot_messages().count())
                except PlaywrightTimeout:
                    raise AssertionError(f"no answer known for the bot's last message: {reply!r}") from None
                continue
            reply = self.say(answer)
        raise AssertionError(f"no ticket after {max_turns} answers; last reply: {reply!r}")
