"""The watch in tests/conftest.py that fails a test whose turn failed: what it counts as a failure."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from bot.app import REFUSAL, SORRY
from tests.bot.fakes import Recorded
from tests.conftest import UnhandledErrors, _apologies


def test_an_error_with_a_traceback_or_a_failed_turn_is_seen_and_a_handled_error_is_not() -> None:
    watch = UnhandledErrors()
    log = logging.getLogger("watch-test")  # outside "faultline", which this very test's own watch observes
    log.addHandler(watch)
    try:
        log.error("could not reply: %s", "503")  # handled, no traceback
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("scheduler tick failed")
        log.error("turn failed, reference %s", "abc")
    finally:
        log.removeHandler(watch)
    assert watch.seen == ["watch-test: scheduler tick failed (ValueError: boom)",
                          "watch-test: turn failed, reference abc (NoneType: None)"]


def test_the_apology_is_found_among_what_the_connectors_received() -> None:
    sent = [Recorded("POST", "/v3/conversations/a/activities", {"text": text}, {})
            for text in ("Sorry to hear that.", REFUSAL, SORRY.format(ref="1234abcd"))]
    assert _apologies([SimpleNamespace(calls=sent)]) == [SORRY.format(ref="1234abcd")]
    assert _apologies([SimpleNamespace(calls=sent[:2])]) == []
    assert _apologies([]) == []
