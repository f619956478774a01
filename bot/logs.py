"""Structured logs: one JSON object per line, carrying the correlation id of the turn (or timer) at hand."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9\-._~+/]+=*", re.I)
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
    """Never let a bearer token reach a log line."""
    return BEARER.sub(r"\1***", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "correlation_id": getattr(record, "correlation_id", None) or correlation_id.get(),
        }
        entry |= {k: v for k, v in vars(record).items() if k not in STANDARD and not k.startswith("_")}
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(correlation)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.correlation = getattr(record, "correlation_id", None) or correlation_id.get() or "-"
        return redact(super().format(record))


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
