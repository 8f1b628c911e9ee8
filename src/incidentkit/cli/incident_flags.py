"""The incident options people give by name: ``--lead``, ``--field NAME=VALUE``, ``--timestamp NAME=WHEN``.

Custom fields and timestamps are named as the organisation names them (``--field "Affected
service=search"``, ``--timestamp "Impact started at=2h"``); the client turns the names into ids.
A field given twice gets both values (for multi-select fields); WHEN is what ``--since`` takes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from incidentkit.timeutil import parse_when

F = TypeVar("F", bound=Callable[..., Any])


def _pair(text: str, what: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator or not name.strip():
        raise click.BadParameter(f"{text!r} is not {what}: give NAME={what.split('=')[1]}")
    return name.strip(), value.strip()


def fields_from(given: tuple[str, ...]) -> dict[str, list[str]] | None:
    """``("Service=search", "Service=auth")`` -> ``{"Service": ["search", "auth"]}``; None for none given."""
    fields: dict[str, list[str]] = {}
    for text in given:
        name, value = _pair(text, "NAME=VALUE")
        fields.setdefault(name, []).append(value)
    return fields or None


def timestamps_from(
    given: tuple[str, ...], cleared: tuple[str, ...] = ()
) -> dict[str, datetime | None] | None:
    """``("Impact started at=2h",)`` -> ``{"Impact started at": <2h ago>}``; cleared names map to None."""
    timestamps: dict[str, datetime | None] = {}
    for text in given:
        name, value = _pair(text, "NAME=WHEN")
        try:
            timestamps[name] = parse_when(value)
        except ValueError as error:
            raise click.BadParameter(f"--timestamp {text!r}: {error}") from None
    for name in cleared:
        timestamps[name.strip()] = None
    return timestamps or None


def field_option(help_text: str) -> Callable[[F], F]:
    """``--field NAME=VALUE``, repeatable, as the command's ``field`` argument."""
    return click.option("--field", "field", multiple=True, metavar="NAME=VALUE", help=help_text)


def timestamp_option(function: F) -> F:
    """``--timestamp NAME=WHEN``, repeatable, as the command's ``timestamp`` argument."""
    return click.option(
        "--timestamp",
        "timestamp",
        multiple=True,
        metavar="NAME=WHEN",
        help='Set an incident timestamp by name: "Impact started at=2h", a date or a timestamp (repeatable).',
    )(function)


def lead_option(help_text: str, *, multiple: bool = False) -> Callable[[F], F]:
    """``--lead USER``: a user's email, id or Slack user id."""
    return click.option("--lead", "lead", multiple=multiple, metavar="USER", help=help_text)
