"""A bounded memory of what was last stored under a key, so an unchanged write can be skipped."""

from __future__ import annotations

import hashlib
from collections import OrderedDict


def _digest(value: str) -> bytes:
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class Recent:
    """The ``size`` most recently noted keys, each with a 16-byte digest of its value (least recent dropped)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._digests: OrderedDict[str, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._digests)

    def holds(self, key: str, value: str) -> bool:
        """Was ``value`` the last thing noted under ``key`` (and is the key still remembered)?"""
        if self._digests.get(key) != _digest(value):
            return False
        self._digests.move_to_end(key)
        return True

    def note(self, key: str, value: str) -> None:
        self._digests[key] = _digest(value)
        self._digests.move_to_end(key)
        while len(self._digests) > self.size:
            self._digests.popitem(last=False)
