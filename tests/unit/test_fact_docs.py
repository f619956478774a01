"""sla/fact_docs.py: the facts' help text `python -m sla classify --help` prints, read in-process."""

from __future__ import annotations

import re

from sla.fact_docs import DERIVED_DOCS, FACT_DOCS, facts_help


def shown() -> list[str]:
    """The help as printed, built inside each test (mutmut maps a test only to the code it calls while running)."""
    return facts_help().split("\n")


def test_the_facts_help_opens_with_how_facts_are_sent_and_closes_with_what_comes_back() -> None:
    printed = shown()
    assert printed[0] == "report facts (JSON on stdin; every fact may be null = not known):"
    assert printed[-2:] == [
        "result: category, priority, rules (exactly the deciding ones, each with its quote and seed line) and",
        "  undecided: the facts not given whose value would change the answer (ask for these)."]


def test_each_fact_opens_a_help_entry_in_order_and_the_derived_ones_come_after_their_heading() -> None:
    printed = shown()
    openings = [line for line in printed if re.match(r"  \S", line)]
    names = [line.split(" (", 1)[0].strip() for line in openings if not line.startswith("  undecided:")]
    assert names == [d.name for d in (*FACT_DOCS, *DERIVED_DOCS)]
    heading = printed.index("derived (rules read them; do not send):")
    assert printed[heading + 1] == f"  scope ({DERIVED_DOCS[0].kind}): HOW WIDELY,"
    assert printed[-3] == "  single_user (boolean): derived: users_affected = 1"
    assert all(not line.startswith("  scope (") for line in printed[:heading])


def test_long_help_entries_wrap_at_100_columns_with_continuations_indented_under_the_entry() -> None:
    printed = shown()
    assert max(len(line) for line in printed) <= 100
    assert max(len(line) for line in printed) >= 95  # the wrapping width is used, not a narrower one
    body = printed[1:-2]
    entries: list[str] = []
    for line in body:
        if line.startswith("      "):
            entries[-1] += " " + line.strip()
        elif line.startswith("  "):
            entries.append(line.strip())
    impact = next(d for d in FACT_DOCS if d.name == "impact")
    assert f"{impact.name} ({impact.kind}): {impact.meaning}" in entries
    assert sum(line.startswith("      ") for line in body) >= len(FACT_DOCS) // 2
    assert all(re.match(r"( {2}| {6})\S", line) for line in body if line != "derived (rules read them; do not send):")
