"""Teams' published send limits, as sliding windows on the injected clock.

Per conversation: 7 per second, 8 per 2 seconds, 60 per 30 seconds, 1800 per hour; per tenant: 50 per second.

The windows count the sends it starts; Teams counts them as they arrive. A conversation's messages go one after
another, but a tenant's go side by side, so sends started in one second can land together with those still in
flight from the second before: a tenant's allowance is therefore cut by the sends that may be in flight at once
(``in_flight``, the sender's concurrency), and what arrives in any second stays within Teams' 50.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta

Limits = tuple[tuple[int, timedelta], ...]
CONVERSATION_LIMITS: Limits = ((7, timedelta(seconds=1)), (8, timedelta(seconds=2)), (60, timedelta(seconds=30)),
                       (1800, timedelta(hours=1)))
TENANT_LIMITS: Limits = ((50, timedelta(seconds=1)),)


class RateLimiter:
    """Answers "may I send now?" and, when not, how long to wait; records the sends it allows."""

    def __init__(self, in_flight: int = 0) -> None:
        self._sent: dict[str, deque[datetime]] = defaultdict(deque)
        self._tenant_limits: Limits = tuple((max(1, count - in_flight), window) for count, window in TENANT_LIMITS)

    def __len__(self) -> int:
        return len(self._sent)

    def forget_idle(self, now: datetime) -> None:
        """Drop the history of conversations and tenants that sent nothing within the longest window."""
        longest = max(window for limits in (CONVERSATION_LIMITS, TENANT_LIMITS) for _, window in limits)
        for key in [k for k, history in self._sent.items() if not history or now - history[-1] >= longest]:
            del self._sent[key]

    def _wait(self, key: str, limits: Limits, now: datetime) -> timedelta:
        history = self._sent[key]
        longest = max(window for _, window in limits)
        while history and now - history[0] >= longest:
            history.popleft()
        wait = timedelta(0)
        for count, window in limits:
            recent = [t for t in history if now - t < window]
            if len(recent) >= count:
                wait = max(wait, recent[-count] + window - now)
        return wait

    def acquire(self, conversation: str, tenant: str | None, now: datetime) -> timedelta:
        """Zero (and the send is recorded) when allowed; otherwise how long until it would be."""
        keys: list[tuple[str, Limits]] = [(f"conversation:{conversation}", CONVERSATION_LIMITS)]
        if tenant:
            keys.append((f"tenant:{tenant}", self._tenant_limits))
        wait = max(self._wait(key, limits, now) for key, limits in keys)
        if wait > timedelta(0):
            return wait
        for key, _ in keys:
            self._sent[key].append(now)
        return timedelta(0)
