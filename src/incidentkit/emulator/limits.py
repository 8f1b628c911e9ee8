"""The API's rate limit: a token bucket per API key, refilling continuously, and the headers it sends."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Decision:
    """What the limiter decided for one request, and the ``X-RateLimit-*`` headers that describe it."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the bucket is full again
    retry_after: int  # whole seconds until a token is back (0 when allowed)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": f"{self.limit}, {self.limit};window=60",
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Used": str(self.limit - self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }


class RateLimiter:
    """``per_minute`` requests per key, refilling at ``per_minute / 60`` a second, like incident.io's limit.

    The limiter is not thread-safe by itself: the emulator calls it under its own lock.
    """

    def __init__(self, per_minute: int) -> None:
        if per_minute < 1:
            raise ValueError("the rate limit must allow at least one request a minute")
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, when counted)

    @property
    def refill_per_second(self) -> float:
        return self.per_minute / 60

    def take(self, key_id: str, now: float) -> Decision:
        """Take a token for ``key_id`` at ``now`` (epoch seconds), if one is there."""
        tokens, counted = self._buckets.get(key_id, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + max(0.0, now - counted) * self.refill_per_second)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._buckets[key_id] = (tokens, now)
        reset_at = now + (self.per_minute - tokens) / self.refill_per_second
        retry_after = 0 if allowed else max(1, math.ceil((1 - tokens) / self.refill_per_second))
        return Decision(allowed, self.per_minute, math.floor(tokens), reset_at, retry_after)
