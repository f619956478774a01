"""Structured logs: one JSON object per line, carrying the correlation id of the turn (or timer) at hand.

Every line is bounded (`MAX_LINE` characters): messages, extra fields and each exception's message are cut,
tracebacks keep their first and last frames. Bearer tokens are masked. SQL parameters never get here: the
engine hides them (`Database`), and a stray ``[parameters: …]`` is masked all the same.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9\-._~+/]+=*", re.I)
SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")  # SQLAlchemy writes them on one line
MAX_LINE = 4096
MAX_MESSAGE = 1024
MAX_EXCEPTION_MESSAGE = 300
MAX_TRACEBACK = 2600
MAX_EXTRA = 200
STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "correlation_id",
                                                                        "correlation"}


@contextmanager
def correlated(value: str | None = None) -> Iterator[str]:
    """Run a block under a correlation id (a turn's activity id, a timer's id, or a new one)."""
    chosen = value or uuid.uuid4().hex[:16]
    token = correlation_id.set(chosen)
    try:
        yield chosen
    finally:
        correlation_id.reset(token)


def redact(text: str) -> str:
    """Never let a bearer token or SQL parameters reach a log line."""
    return SQL_PARAMETERS.sub("[parameters: hidden]", BEARER.sub(r"\1***", text))


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    keep = max(limit - 24, 0)
    return f"{text[:keep]}… [{len(text) - keep} more]"


def _middle_cut(text: str, limit: int) -> str:
    """The start and (mostly) the end of ``text``: where a traceback began and where it failed."""
    if len(text) <= limit:
        return text
    head = limit // 4
    return f"{text[:head]}\n… [{len(text) - limit} characters left out] …\n{text[-(limit - head):]}"


def bounded_traceback(exc_info: Any) -> str:
    """A traceback whose exception messages (and their chain) are cut short, then bounded as a whole."""
    info = traceback.TracebackException(*exc_info, limit=20)
    seen: set[int] = set()
    link: traceback.TracebackException | None = info
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        link._str = cut(str(getattr(link, "_str", "")), MAX_EXCEPTION_MESSAGE)  # type: ignore[attr-defined]
        link = link.__cause__ or link.__context__
    return _middle_cut(redact("".join(info.format())), MAX_TRACEBACK)


def _extra(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | None) else cut(redact(str(value)), MAX_EXTRA)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": cut(redact(record.getMessage()), MAX_MESSAGE),
            "correlation_id": _extra(getattr(record, "correlation_id", None) or correlation_id.get()),
        }
        entry |= {k: _extra(v) for k, v in vars(record).items() if k not in STANDARD and not k.startswith("_")}
        if record.exc_info:
            entry["exception"] = bounded_traceback(record.exc_info)
        line = json.dumps(entry, ensure_ascii=False)
        if len(line) > MAX_LINE:  # escaping can still grow it: keep the essentials
            essentials = {k: entry[k] for k in ("time", "level", "logger", "correlation_id")}
            line = json.dumps({**essentials, "message": cut(str(entry["message"]), MAX_LINE // 4),
                               "exception": str(entry.get("exception", ""))[-(MAX_LINE // 4):], "truncated": True},
                              ensure_ascii=False)
        return line


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(correlation)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.correlation = getattr(record, "correlation_id", None) or correlation_id.get() or "-"
        return cut(redact(super().format(record)), MAX_LINE)

    def formatException(self, ei: Any) -> str:
        return bounded_traceback(ei)


_base_factory = logging.getLogRecordFactory()


def _stamped(*args: object, **kwargs: object) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.correlation_id = correlation_id.get()
    return record


def stamp_correlation_ids() -> None:
    """Give every log record the correlation id current where it was made (idempotent)."""
    logging.setLogRecordFactory(_stamped)


def configure_logging(log_format: str = "json", level: str = "INFO") -> None:
    """Route every log record to stderr in the chosen format."""
    stamp_correlation_ids()
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
