"""From the raw request body to a checked activity, or `Malformed` with a short reason safe to log and return."""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import ValidationError

from bot.edge.depth import nests_deeper_than
from bot.edge.limits import MAX_DEPTH
from bot.edge.wire import Activity

MAX_REASONS = 3
OWN_ERRORS = frozenset({"opaque_id", "service_url", "card_invoke", "card_submit", "mention"})


class Malformed(Exception):
    """The body is not an activity Faultline can use; ``reason`` names fields and error kinds, never values."""

    def __init__(self, reason: str, about: str = "unparsed body") -> None:
        super().__init__(reason)
        self.reason = reason
        self.about = about


def _finite(raw: str) -> float:
    number = float(raw)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    return number


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode(raw: bytes) -> Any:
    """Parse JSON whose nesting was bounded first; NaN, Infinity and overflowing numbers are refused."""
    if nests_deeper_than(raw, MAX_DEPTH):
        raise Malformed(f"JSON nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(raw, parse_float=_finite, parse_constant=_no_constants)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError and huge integers are ValueErrors
        raise Malformed("body is not valid JSON (UTF-8)") from None


def _reason(error: ValidationError) -> str:
    parts = []
    for problem in error.errors(include_input=False, include_url=False)[:MAX_REASONS]:
        where = ".".join(str(part) for part in problem["loc"]) or "activity"
        own = problem["type"] in OWN_ERRORS  # our own messages quote no input; pydantic's are not relied on
        parts.append(f"{where}: {problem['msg'] if own else problem['type']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def parse_activity(raw: bytes) -> Activity:
    """The checked activity in ``raw``; Malformed for anything else."""
    body = decode(raw)
    if not isinstance(body, dict):
        raise Malformed("body is not a JSON object")
    try:
        return Activity.model_validate(body)
    except ValidationError as exc:
        raise Malformed(_reason(exc), summary(body)) from None


def summary(raw: Any) -> str:
    """Type and ids of a body that may be malformed, for a log line: bounded, escaped, never text."""
    body = raw if isinstance(raw, dict) else {}
    conversation = body.get("conversation")
    return (f"type={_short(body.get('type'))} id={_short(body.get('id'))} "
            f"conversation={_short(conversation.get('id') if isinstance(conversation, dict) else None)}")


def _short(value: Any) -> str:
    return ascii(value)[:80] if isinstance(value, str) else type(value).__name__


def refusal_invoke(text: str) -> dict[str, Any]:
    """The body of an invoke response that shows ``text`` to the user instead of acting."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}

