"""Times and durations for the whole package: reading what people type and the API sends, writing RFC 3339.

Standard library only, so every room may import it, the emulator included (it must not import the
client). The rules, the same for every caller:

- a duration is ``30s``, ``5m``, ``1h30m``, ``2d``, ``2w`` (units may be combined, largest first,
  any case, spaces allowed) or a number of seconds;
- a point in time people type is an age (a duration ago: ``4h``), a date (midnight UTC) or an
  ISO 8601 timestamp; a timestamp without a zone is read as UTC;
- a timestamp the API sends must carry its zone: anything else is not one (never a guess).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, overload

DURATION_PATTERN = (
    r"^\s*(?:(\d+)\s*[wW])?\s*(?:(\d+)\s*[dD])?\s*(?:(\d+)\s*[hH])?\s*(?:(\d+)\s*[mM])?"
    r"\s*(?:(\d+(?:\.\d+)?)\s*[sS])?\s*$"
)
"""The text form of a duration, as a regular expression (also the workflow JSON Schema's pattern)."""

_DURATION = re.compile(DURATION_PATTERN)
_DURATION_EXAMPLES = "30s, 5m, 1h30m, 2d or 2w"
_WHEN_EXAMPLES = "use an age (30m, 4h, 7d, 2w), a date (2026-11-01) or a timestamp (2026-11-01T09:30:00Z)"


def utc_now() -> datetime:
    """The current time, aware, in UTC (the default clock)."""
    return datetime.now(UTC)


def parse_duration(value: Any) -> timedelta:
    """A duration: ``30s``, ``5m``, ``1h30m``, ``2d``, ``2w``, a number of seconds, or a ``timedelta``.

    Raises:
        ValueError: anything else, or a negative duration; the message gives the value and examples.
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a duration such as {_DURATION_EXAMPLES}, not {value!r}")
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not value.strip() or match is None:
            raise ValueError(f"expected a duration such as {_DURATION_EXAMPLES}, not {value!r}")
        weeks, days, hours, minutes, secs = match.groups()
        seconds = (
            int(weeks or 0) * 604800
            + int(days or 0) * 86400
            + int(hours or 0) * 3600
            + int(minutes or 0) * 60
            + float(secs or 0)
        )
    else:
        seconds = float(value)
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, not {value!r}")
    return timedelta(seconds=seconds)


def parse_iso(text: str, *, assume_utc: bool = False) -> datetime:
    """An ISO 8601 timestamp or a bare date (``2026-11-01``, taken as midnight UTC), aware.

    Args:
        text: the text.
        assume_utc: read a timestamp without a zone as UTC; otherwise such a timestamp is refused.

    Raises:
        ValueError: not a date or timestamp, or a timestamp without a zone when that is refused.
    """
    value = text.strip()
    if len(value) == 10:
        try:
            return datetime.combine(date.fromisoformat(value), time(0, tzinfo=UTC))
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date or an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        if not assume_utc:
            raise ValueError(f"timestamp {text!r} has no time zone")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_when(text: str, now: Callable[[], datetime] = utc_now) -> datetime:
    """A time people type: an age (``4h`` ago), a date (midnight UTC) or a timestamp (UTC if no zone).

    Args:
        text: the text.
        now: the clock an age counts back from.

    Raises:
        ValueError: the text is none of those; the message gives the text and examples.
    """
    if _DURATION.match(text) and text.strip():
        return now() - parse_duration(text)
    try:
        return parse_iso(text, assume_utc=True)
    except ValueError:
        raise ValueError(f"{text!r} is not a time: {_WHEN_EXAMPLES}") from None


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp the API sent, or ``None`` for anything that is not one (never a guess).

    A value without a time zone is not a timestamp the API sends, so it is ``None`` too rather
    than a naive datetime that would compare wrongly with aware ones; so is a bare date.
    """
    if not isinstance(value, str) or len(value.strip()) <= 10:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None


@overload
def iso(value: datetime) -> str: ...
@overload
def iso(value: None) -> None: ...
def iso(value: datetime | None) -> str | None:
    """``2026-11-01T09:30:00Z``: RFC 3339, UTC written as ``Z``; ``None`` stays ``None``.

    Raises:
        ValueError: a naive datetime (it names no instant).
    """
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"datetime {value.isoformat()} has no time zone; give an aware datetime")
    return value.isoformat().replace("+00:00", "Z")
