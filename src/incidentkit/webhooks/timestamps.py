"""Reading the API's timestamps out of webhook payloads and incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp from the API, or ``None`` for anything that is not one (never a guess).

    A value without a time zone is not a timestamp the API sends, so it is ``None`` too rather
    than a naive datetime that would compare wrongly with aware ones.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
