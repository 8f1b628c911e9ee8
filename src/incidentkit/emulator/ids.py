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
    """``2021-08-17T13:28:57.801578Z``: UTC, microseconds, a ``Z`` suffix, the year in four digits.

    (``strftime("%Y")`` writes year 30 as ``30``, which breaks both the format and the sort.)
    """
    when = datetime.fromtimestamp(epoch_seconds, UTC)
    return f"{when.year:04d}-" + when.strftime("%m-%dT%H:%M:%S.%fZ")
