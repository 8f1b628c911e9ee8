"""The click parameter type for times people type (``4h``, ``2026-11-01``, a timestamp).

The rules are :func:`incidentkit.timeutil.parse_when`'s, the same as the workflow steps'.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from incidentkit.timeutil import parse_when


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
