"""How deeply a JSON document nests, measured on the raw bytes before anything parses it."""

from __future__ import annotations

import re

# A string literal (skipped whole, escapes included; an unterminated one runs to the end, so the scan stays
# linear whatever the input) or one structural bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


def nests_deeper_than(raw: bytes, limit: int) -> bool:
    """True when some array/object in ``raw`` sits more than ``limit`` levels deep (stops at the first)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # too few brackets to nest that deep: the usual activity stops here
    depth = 0
    for match in _TOKENS.finditer(raw):
        first = match.group()[0]
        if first in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif first != 0x22:  # a closing bracket (0x22 is the quote of a string literal)
            depth -= 1
    return False
