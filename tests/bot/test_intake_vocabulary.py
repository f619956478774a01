"""A customer's own words for its services: read from the customer file, used when reading a report."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from tests.bot.conftest import Running
from tests.bot.test_config import GOOD, write


def test_the_customer_file_carries_its_own_words(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD + '\n[customers.vocabulary]\nvoicemail = ["Mailbox Line "]\n'))
    assert config.customers[0].vocabulary == {"voicemail": ("mailbox line",)}
    assert load_config(write(tmp_path, GOOD)).customers[0].vocabulary == {}


@pytest.mark.parametrize(("table", "problem"), [
    ('fax = ["fax"]', "vocabulary.fax: is not one of this customer's services"),
    ("voicemail = []", "vocabulary.voicemail: must be a list of words or phrases"),
    ('voicemail = "vm"', "vocabulary.voicemail"),
    ('voicemail = ["", "vm"]', "vocabulary.voicemail: must be a list of words or phrases"),
])
def test_a_wrong_vocabulary_names_the_key_and_the_problem(tmp_path: Path, table: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, GOOD + f"\n[customers.vocabulary]\n{table}\n"))
    assert problem in str(raised.value)


async def test_a_report_in_the_customers_own_words_names_the_service(faultline: Running) -> None:
    await faultline.say("zeus is blank for everyone since 9:30", tenant="00000000-0000-0000-0000-000000000003")
    sent = faultline.connector.texts()
    assert "Services: CRM integration (“zeus”)" in sent and "something went wrong" not in sent
