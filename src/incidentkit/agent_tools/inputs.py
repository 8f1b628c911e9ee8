"""Checking what an agent passed to a tool, with errors it can act on.

A model reads the error and calls the tool again, so every message names the argument, the value it
gave and what is allowed (``time_range: '3 days' is not a duration; use a number and a unit, such as
30m, 4h or 7d``). The JSON Schema of each tool already states types and enums; these checks are for
what a schema cannot say.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from incidentkit.errors import IncidentKitError
from incidentkit.timeutil import parse_duration, parse_iso

__all__ = ["ToolInputError", "duration", "optional_text", "required_text", "timestamp"]

MAX_TEXT = 10_000
"""The longest free text a tool takes (an update, a description); the API's own limits are larger."""


class ToolInputError(IncidentKitError, ValueError):
    """An argument the agent must change: the message names it, what was given and what is allowed."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


def duration(argument: str, value: str, *, at_most: timedelta | None = None) -> timedelta:
    """A duration such as ``30m``, ``4h``, ``1h30m``, ``7d`` or ``2w``.

    Raises:
        ToolInputError: not such a duration, zero, or longer than ``at_most``.
    """
    try:
        length = parse_duration(value)
    except ValueError:
        raise ToolInputError(
            argument, f"{value!r} is not a duration; use a number and a unit, such as 30m, 4h, 7d or 2w"
        ) from None
    if length <= timedelta(0):
        raise ToolInputError(argument, f"{value!r} is empty; give a positive duration such as 4h")
    if at_most is not None and length > at_most:
        raise ToolInputError(argument, f"{value!r} is too long; at most {at_most.days}d")
    return length


def timestamp(argument: str, value: str | None) -> datetime | None:
    """An RFC 3339 timestamp with its zone (``2026-03-01T12:00:00Z``), or None when not given.

    Raises:
        ToolInputError: not such a timestamp.
    """
    if value is None or not value.strip():
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise ToolInputError(
            argument, f"{value!r} is not an RFC 3339 timestamp with a zone, such as 2026-03-01T12:00:00Z"
        ) from None


def required_text(argument: str, value: str | None, *, limit: int = MAX_TEXT) -> str:
    """Non-blank text, stripped, at most ``limit`` characters.

    Raises:
        ToolInputError: missing, blank or too long.
    """
    text = (value or "").strip()
    if not text:
        raise ToolInputError(argument, "is required and cannot be blank")
    if len(text) > limit:
        raise ToolInputError(argument, f"is {len(text)} characters long; at most {limit}")
    return text


def optional_text(argument: str, value: str | None, *, limit: int = MAX_TEXT) -> str | None:
    """Text stripped, or None when not given or blank.

    Raises:
        ToolInputError: too long.
    """
    if value is None or not value.strip():
        return None
    return required_text(argument, value, limit=limit)
