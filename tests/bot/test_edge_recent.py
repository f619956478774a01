"""The bounded memory that lets the service skip re-storing an unchanged conversation reference or user."""

from __future__ import annotations

from bot.store.recent import Recent


def test_it_remembers_the_last_value_noted_under_a_key() -> None:
    recent = Recent(3)
    recent.note("a:1", "reference one")
    assert recent.holds("a:1", "reference one")
    assert not recent.holds("a:1", "reference two") and not recent.holds("a:2", "reference one")
    recent.note("a:1", "reference two")
    assert recent.holds("a:1", "reference two") and not recent.holds("a:1", "reference one")


def test_it_never_holds_more_than_its_size_and_forgets_the_least_recently_used() -> None:
    recent = Recent(3)
    for n in range(3):
        recent.note(f"a:{n}", "same")
    assert recent.holds("a:0", "same")  # a:0 is now the most recently used
    for n in range(3, 10_000):
        recent.note(f"a:{n}", "x" * 1000)
        assert len(recent) <= 3
    assert not recent.holds("a:1", "same")
    recent = Recent(3)
    for n in range(3):
        recent.note(f"a:{n}", "same")
    recent.holds("a:0", "same")
    recent.note("a:3", "same")
    assert recent.holds("a:0", "same") and not recent.holds("a:1", "same")


def test_odd_text_is_remembered_too() -> None:
    recent = Recent(2)
    recent.note("a:\ud800", "name \udfff")
    assert recent.holds("a:\ud800", "name \udfff")
