"""What a free-text message asks for, before any report is under way (a lookup table, not an if-chain)."""

from __future__ import annotations

import re

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("help", re.compile(r"^(help|\?|what can you do)\W*$")),
    ("fault", re.compile(r"\b(report (a )?(fault|problem|issue|outage)|new (fault|ticket))\b")),
    ("change", re.compile(r"\b(change request|please (add|change|remove|set up|configure|move)|can you "
                          r"(add|change|remove|set up|configure|move)|could you (add|change|remove|set up|"
                          r"configure|move))\b")),
    ("question", re.compile(r"^(how (do|can|should) (i|we)|is it possible|question\b|what is|what's the|"
                            r"where (do|can) (i|we))|\?$")),
    ("fault", re.compile(r"\b(down|not working|isn'?t working|aren'?t working|broken|fault|outage|can'?t "
                         r"(call|dial|hear|ring|log ?in|receive|make)|cannot (call|dial|hear|make|receive)|"
                         r"no dial ?tone|dropping|dropped|failing|failed|not ringing|dead|engaged tone|"
                         r"busy tone|one[- ]way audio|choppy|echo|problem|issue)\b")),
)


def intent_of(text: str) -> str | None:
    """'fault', 'question', 'change', 'help', or None when the text asks for nothing we recognise."""
    cleaned = " ".join(text.lower().split())
    return next((intent for intent, pattern in PATTERNS if pattern.search(cleaned)), None)
