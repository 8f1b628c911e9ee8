"""Output for people and for scripts: a table on a terminal, JSON otherwise.

``--json``, ``--jsonl``, ``--csv`` and ``--table`` choose explicitly. JSON output is the API's
objects as the API returns them, so scripts can rely on it (indented on a terminal, compact
otherwise); tables pick a few readable columns. Rich is imported only when a table is printed.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "jsonl", "csv")


def output_options(function: F) -> F:
    """Add ``--json/--jsonl/--csv/--table`` to a command, as its ``output_format`` argument."""
    for name, help_text in reversed(
        [
            ("table", "Print a table (the default on a terminal)."),
            ("json", "Print JSON: the API's objects (the default when not on a terminal)."),
            ("jsonl", "Print one JSON object per line."),
            ("csv", "Print CSV with a header row."),
        ]
    ):
        function = click.option(f"--{name}", "output_format", flag_value=name, default=None, help=help_text)(
            function
        )
    return function


@dataclass(frozen=True)
class Column:
    """One column of a table or CSV: a header and how to get its text from an object."""

    header: str
    get: Callable[[dict[str, Any]], Any]


def column(header: str, *path: str) -> Column:
    """A column reading a nested key path, such as ``column("Severity", "severity", "name")``."""

    def get(obj: dict[str, Any]) -> Any:
        value: Any = obj
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return Column(header, get)


def choose_format(requested: str | None) -> str:
    """The format to use: the one asked for, else a table on a terminal and JSON otherwise."""
    if requested:
        return requested
    return "table" if sys.stdout.isatty() else "json"


def emit_list(objects: Iterable[dict[str, Any]], columns: Sequence[Column], requested: str | None) -> None:
    """Print a list of API objects in the chosen format."""
    fmt = choose_format(requested)
    if fmt == "json":
        click.echo(json.dumps(list(objects), indent=_json_indent(), ensure_ascii=False))
    elif fmt == "jsonl":
        for obj in objects:
            click.echo(json.dumps(obj, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow([c.header for c in columns])
        for obj in objects:
            writer.writerow([_text(c.get(obj)) for c in columns])
    else:
        _print_table(list(objects), columns)


def emit_object(obj: dict[str, Any], fields: Sequence[Column], requested: str | None) -> None:
    """Print one API object: JSON for scripts, a two-column table for people."""
    fmt = choose_format(requested)
    if fmt in ("json", "jsonl"):
        click.echo(json.dumps(obj, indent=_json_indent() if fmt == "json" else None, ensure_ascii=False))
    elif fmt == "csv":
        emit_list([obj], fields, "csv")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        for field in fields:
            table.add_row(field.header, _text(field.get(obj)))
        Console().print(table)


def _json_indent() -> int | None:
    """Indented JSON for a person at a terminal; compact for programs, which Python writes far faster."""
    return 2 if sys.stdout.isatty() else None


def _print_table(objects: list[dict[str, Any]], columns: Sequence[Column]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*[c.header for c in columns])
    for obj in objects:
        table.add_row(*[_text(c.get(obj)) for c in columns])
    Console().print(table)
    if not objects:
        click.echo("(nothing to show)", err=True)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
