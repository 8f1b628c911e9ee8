"""Client-side rate limiting: a token bucket shared by every request of one client.

incident.io limits each API key with a token bucket of 1,200 requests that refills at 20 a
second. Holding the same bucket on our side means a burst never reaches the server's limit:
a request that would overdraw the bucket waits for its token instead of earning a 429.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_REQUESTS_PER_MINUTE = 1200


class TokenBucket:
    """A thread-safe token bucket that hands out reservations.

    :meth:`reserve` takes one token and returns how long the caller must wait before using it,
    so the same bucket serves a sync driver (which sleeps) and an async one (which awaits).

    Args:
        capacity: how many requests may be made at once.
        refill_per_second: how many tokens come back each second.
        clock: monotonic seconds; injectable so tests need no real time.
    """

    def __init__(
        self,
        capacity: float = DEFAULT_REQUESTS_PER_MINUTE,
        refill_per_second: float = DEFAULT_REQUESTS_PER_MINUTE / 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1 or refill_per_second <= 0:
            raise ValueError("a rate limit needs a capacity of at least 1 and a positive refill rate")
        self.capacity = float(capacity)
        self.refill_per_second = float(refill_per_second)
        self._clock = clock
        self._tokens = float(capacity)
        self._updated = clock()
        self._lock = threading.Lock()

    @classmethod
    def per_minute(cls, requests: float, clock: Callable[[], float] = time.monotonic) -> TokenBucket:
        """A bucket of ``requests`` tokens refilling continuously over a minute, like incident.io's."""
        return cls(capacity=requests, refill_per_second=requests / 60, clock=clock)

    def hold(self, seconds: float) -> None:
        """Make every caller wait at least ``seconds`` from now (the server answered 429, ``Retry-After``).

        The bucket is emptied to the point where the next reservation waits that long, so every
        thread sharing the client waits with the one that was told to.
        """
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_second)
            self._updated = now
            self._tokens = min(self._tokens, 1 - seconds * self.refill_per_second)

    def reserve(self) -> float:
        """Take a token and return the seconds to wait before it may be used (0 when free)."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_second)
            self._updated = now
            self._tokens -= 1
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.refill_per_second
