"""Reading times people type: ``4h``, ``30m``, ``7d``, ``2w``, ``2026-11-01`` or a full timestamp."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import click

_DURATION = re.compile(r"^(\d+)\s*([smhdw])$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> datetime:
    """A point in time: a duration ago (``4h``), a date (midnight UTC) or an ISO 8601 timestamp.

    Raises:
        ValueError: the text is none of those; the message gives examples.
    """
    value = text.strip()
    match = _DURATION.match(value)
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2).lower()]
        return now() - timedelta(**{unit: amount})
    try:
        return datetime.combine(date.fromisoformat(value), time(0, tzinfo=UTC))
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use a duration ago (30m, 4h, 7d, 2w), a date (2026-11-01) "
            "or a timestamp (2026-11-01T09:30:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class WhenType(click.ParamType[datetime, Any]):
    """A click parameter type for :func:`parse_when`."""

    name = "WHEN"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_when(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)
