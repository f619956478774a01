"""Operations: structured logs with correlation ids, /metrics, the configuration reference, the container."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from bot.logs import JsonFormatter, correlated, stamp_correlation_ids
from bot.settings import reference_table
from tests.bot.conftest import Running

ROOT = Path(__file__).resolve().parents[2]


def test_json_log_lines_carry_the_correlation_id_and_never_a_token() -> None:
    stamp_correlation_ids()
    with correlated("turn-42"):
        record = logging.getLogRecordFactory()("faultline.turn", logging.INFO, __file__, 1,
                                               "calling with Authorization: Bearer eyJhbGciOi.secret.sig", None, None)
    record.route = "start_fault"
    line = json.loads(JsonFormatter().format(record))
    assert line["correlation_id"] == "turn-42" and line["route"] == "start_fault" and line["level"] == "INFO"
    assert "eyJhbGciOi" not in line["message"] and "Bearer ***" in line["message"]


async def test_every_log_record_of_a_turn_has_the_activitys_correlation_id(
        faultline: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await faultline.say("our phones are down", activity_id="act-123")
    turn_records = [r for r in caplog.records if r.name.startswith("faultline.turn")]
    assert turn_records and {getattr(r, "correlation_id", None) for r in turn_records} == {"act-123"}


def samples(body: str) -> list[tuple[str, dict[str, str], float]]:
    """(name, labels, value) for every sample line of a Prometheus text exposition."""
    found = []
    for line in body.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
            found.append((match[1], labels, float(match[3])))
    return found


def value(body: str, name: str, **labels: str) -> float:
    return sum(v for n, found, v in samples(body) if n == name and labels.items() <= found.items())


async def test_metrics_in_prometheus_format(faultline: Running) -> None:
    for text in ["our phones are down", "10 minutes ago", "60%", "1 of 3", "no", "no", "confirm"]:
        await faultline.say(text)
    async with faultline.session.get(f"{faultline.url}metrics") as response:
        assert response.status == 200 and response.content_type == "text/plain"
        body = await response.text()
    assert value(body, "faultline_turns_total", route="start_fault") == 1
    assert value(body, "faultline_turns_total", route="intake") == 6
    assert value(body, "faultline_open_tickets", priority="P1") == 1
    assert value(body, "faultline_sends_total", outcome="ok") >= 9


@pytest.mark.expect_turn_failure  # the connector fails for good on purpose
async def test_retries_and_errors_are_counted(faultline: Running) -> None:
    faultline.connector.fail_with = [429, 500]  # one throttled attempt, then a permanent error
    await faultline.say("our phones are down")
    async with faultline.session.get(f"{faultline.url}metrics") as response:
        body = await response.text()
    assert value(body, "faultline_sends_total", outcome="retry") == 1
    assert value(body, "faultline_sends_total", outcome="failed") == 1
    assert value(body, "faultline_send_retries_total") == 1
    assert value(body, "faultline_turn_errors_total") == 1


def test_the_readme_configuration_reference_is_generated_from_the_settings() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- configuration-reference:start -->")
    end = readme.index("<!-- configuration-reference:end -->")
    assert readme[start:end].split("-->", 1)[1].strip() == reference_table(), \
        "README is out of date: paste the output of `python -m bot config-reference`"
