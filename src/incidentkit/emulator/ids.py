"""ULIDs and RFC 3339 timestamps, as the API writes them."""

from __future__ import annotations

import random
from datetime import UTC, datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(epoch_seconds: float, rng: random.Random) -> str:
    """A ULID: 48 bits of milliseconds since the epoch, then 80 random bits, in Crockford base32."""
    value = (int(epoch_seconds * 1000) << 80) | rng.getrandbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def rfc3339(epoch_seconds: float) -> str:
    """``2021-08-17T13:28:57.801578Z``: UTC, microseconds, a ``Z`` suffix."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(value: str) -> datetime:
    """Parse a timestamp or a bare date (``2024-05-01``, taken as midnight UTC).

    Raises:
        ValueError: not a date or timestamp.
    """
    text = value.strip()
    if len(text) == 10:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no time zone")
    return parsed
