"""Logs carry ids and error classes: never users' text, names or SQL parameters, and no line over a few KB."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from bot.logs import MAX_LINE, JsonFormatter, TextFormatter
from tests.bot.conftest import Running
from tests.bot.edge_fixtures import running_fixture  # noqa: F401 - provides `running`
from tests.bot.fakes import activity

SECRET_TEXT = "our phones are down since Priya Raman-Quist left the building"
SECRET_NAME = "Priya Raman-Quist"

REFUSE = {
    "sqlite": ["CREATE TRIGGER refuse_{t} BEFORE INSERT ON {t} BEGIN SELECT RAISE(ABORT, 'refused by test'); END"],
    "postgresql": ["CREATE FUNCTION refuse_{t}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by test'; "
                   "END $$ LANGUAGE plpgsql",
                   "CREATE TRIGGER refuse_{t} BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION refuse_{t}()"],
}


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged, as the service would write it (JSON lines)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield out
    root.removeHandler(handler)


@pytest.mark.expect_turn_failure  # a trigger makes the database refuse the write: the turn fails on purpose
@pytest.mark.parametrize("table", ["dialog_state", "users"])
async def test_a_database_error_logs_neither_the_users_text_nor_name(
        running: Running, json_lines: io.StringIO, table: str) -> None:
    kind = "sqlite" if running.db.is_sqlite else "postgresql"
    async with running.db.write() as conn:
        for statement in REFUSE[kind]:
            await conn.execute(text(statement.format(t=table)))
    assert await running.say(SECRET_TEXT, user_name=SECRET_NAME) == 200
    assert "went wrong on our side" in running.connector.texts()  # the failure did happen, and was answered
    logged = json_lines.getvalue()
    assert "turn failed" in logged and "refused by test" in logged
    assert "Raman-Quist" not in logged and "left the building" not in logged
    assert all(len(line) <= MAX_LINE for line in logged.splitlines())


def _record(message: str, exc_info: object = None, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("faultline.test", logging.ERROR, __file__, 1, message, None, exc_info)  # type: ignore[arg-type]
    record.__dict__.update(extra)
    return record


def _huge_failure() -> object:
    try:
        try:
            raise ValueError("inner " + "x" * 50_000)
        except ValueError as inner:
            raise RuntimeError("outer " + "y" * 50_000 + " [parameters: ('" + SECRET_NAME + "',)]") from inner
    except RuntimeError:
        return sys.exc_info()


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
def test_no_log_line_exceeds_the_bound_whatever_is_logged(formatter: logging.Formatter) -> None:
    record = _record("m" * 70_000, _huge_failure(), route="r" * 10_000, ids=["a"] * 5_000)
    line = formatter.format(record)
    assert len(line) <= MAX_LINE
    assert SECRET_NAME not in line
    if isinstance(formatter, JsonFormatter):
        entry = json.loads(line)
        assert entry["level"] == "ERROR" and entry["message"].startswith("mmm")


def test_a_long_traceback_keeps_where_it_failed_and_says_what_was_cut() -> None:
    entry = json.loads(JsonFormatter().format(_record("turn failed", _huge_failure())))
    assert "RuntimeError: outer yyy" in entry["exception"] and "more]" in entry["exception"]
    assert SECRET_NAME not in entry["exception"]


def test_stray_sql_parameters_are_masked_but_the_rest_of_the_error_kept() -> None:
    error = ("(sqlite3.IntegrityError) refused\n[SQL: INSERT INTO users (name) VALUES (?)]\n"
             f"[parameters: ('{SECRET_NAME}', 'x]y')]\n(Background on this error at: https://sqlalche.me/e/21/gkpj)")
    line = JsonFormatter().format(_record(error))
    assert SECRET_NAME not in line and "[parameters: hidden]" in line and "Background on this error" in line


async def test_a_malformed_activity_is_logged_with_ids_only(running: Running, json_lines: io.StringIO) -> None:
    body = activity(service_url=running.service_url, text=SECRET_TEXT, user_name=SECRET_NAME)
    body["from"]["id"] = ["29:not-a-string"]
    assert (await running.post(body)).status == 400
    logged = json_lines.getvalue()
    assert "from.id" in logged and "Raman-Quist" not in logged and "left the building" not in logged
