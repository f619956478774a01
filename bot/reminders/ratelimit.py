"""Teams' published limits per conversation, as sliding windows on the injected clock: 7 per second, 8 per 2
seconds, 60 per 30 seconds, 1800 per hour.

A conversation's messages go one after another, and a person's alerts go through one replica at a time
(bot/reminders/gate.py), so the sends a process starts are the ones Teams counts for that conversation. The
tenant's allowance (50 calls a second, counted as they arrive, over every replica) is kept in the database by
bot/reminders/gate.py.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta

Limits = tuple[tuple[int, timedelta], ...]
CONVERSATION_LIMITS: Limits = ((7, timedelta(seconds=1)), (8, timedelta(seconds=2)), (60, timedelta(seconds=30)),
                       (1800, timedelta(hours=1)))


class RateLimiter:
    """Answers "may I send now?" and, when not, how long to wait; records the sends it allows."""

    def __init__(self) -> None:
        self._sent: dict[str, deque[datetime]] = defaultdict(deque)

    def __len__(self) -> int:
        return len(self._sent)

    def forget_idle(self, now: datetime) -> None:
        """Drop the history of conversations that sent nothing within the longest window."""
        longest = max(window for _, window in CONVERSATION_LIMITS)
        for key in [k for k, history in self._sent.items() if not history or now - history[-1] >= longest]:
            del self._sent[key]

    def acquire(self, conversation: str, now: datetime) -> timedelta:
        """Zero (and the send is recorded) when allowed; otherwise how long until it would be."""
        history = self._sent[conversation]
        longest = max(window for _, window in CONVERSATION_LIMITS)
        while history and now - history[0] >= longest:
            history.popleft()
        wait = timedelta(0)
        for count, window in CONVERSATION_LIMITS:
            recent = [t for t in history if now - t < window]
            if len(recent) >= count:
                wait = max(wait, recent[-count] + window - now)
        if wait == timedelta(0):
            history.append(now)
        return wait
