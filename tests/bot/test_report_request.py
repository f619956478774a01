"""`report [customer] [month]` as typed: which customer words and which month."""

from __future__ import annotations

from datetime import date

import pytest

from bot.rules.report_request import Month, MonthError, default_month, is_own_report, parse_report

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(("text", "customer", "month"), [
    ("report", "", None),
    ("report acme", "acme", None),
    ("Report ACME Ltd 2025-11", "ACME Ltd", Month(2025, 11)),
    ("report acme november 2025", "acme", Month(2025, 11)),
    ("report acme nov", "acme", Month(2025, 11)),  # a bare month name: its latest past one
    ("report feb", "", Month(2026, 2)),
    ("report March", "", Month(2026, 3)),
    ("report acme last month", "acme", Month(2026, 2)),
    ("report this month", "", Month(2026, 3)),
    ("report 2026-1", "", Month(2026, 1)),
])
def test_customer_words_and_month(text: str, customer: str, month: Month | None) -> None:
    request = parse_report(text, TODAY)
    assert request is not None and (request.customer, request.month) == (customer, month)


@pytest.mark.parametrize("text", ["reports", "status", "", "my report"])
def test_other_messages_are_no_report(text: str) -> None:
    assert parse_report(text, TODAY) is None


def test_an_impossible_month_says_how_to_write_one() -> None:
    with pytest.raises(MonthError, match="write it as 2025-11"):
        parse_report("report acme 2025-13", TODAY)


@pytest.mark.parametrize(("text", "own"), [("report", True), ("report 2025-11", True), ("report last month", True),
                                           ("report a fault", False), ("report acme", False), ("hello", False)])
def test_what_a_customers_user_types_for_their_own_report(text: str, own: bool) -> None:
    assert is_own_report(text) is own


def test_the_default_is_the_last_full_month_across_a_new_year() -> None:
    assert default_month(date(2026, 1, 5)) == Month(2025, 12)
    assert Month(2025, 12).shifted(1) == Month(2026, 1) and Month(2025, 12).key == "2025-12"
