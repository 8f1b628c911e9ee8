"""Output for people and for scripts: a table on a terminal, JSON otherwise.

``--json``, ``--jsonl``, ``--csv`` and ``--table`` (or ``-o FORMAT``, as ``kubectl`` and ``gh`` spell it)
choose explicitly. JSON output is the API's objects as the API returns them, so scripts can rely on it
(indented on a terminal, compact otherwise); tables pick a few readable columns, show times short, local and
relative ("3h ago"), and colour severities and statuses. Rich is imported only when a table is printed.
"""

from __future__ import annotations

import csv
import functools
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "jsonl", "csv")


def output_options(function: F) -> F:
    """Add ``-o FORMAT`` and ``--json/--jsonl/--csv/--table`` to a command, as its ``output_format`` argument.

    Raises:
        click.UsageError: (when the command runs) ``-o`` and a format flag disagree.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, output_flag: str | None, output_choice: str | None, **kwargs: Any) -> Any:
        if output_flag and output_choice and output_flag != output_choice:
            raise click.UsageError(f"-o {output_choice} and --{output_flag} disagree: give one format")
        return function(*args, output_format=output_choice or output_flag, **kwargs)

    decorated: Callable[..., Any] = wrapper
    for name, help_text in reversed(
        [
            ("table", "Print a table (the default on a terminal)."),
            ("json", "Print JSON: the API's objects (the default when not on a terminal)."),
            ("jsonl", "Print one JSON object per line."),
            ("csv", "Print CSV with a header row."),
        ]
    ):
        decorated = click.option(f"--{name}", "output_flag", flag_value=name, default=None, help=help_text)(
            decorated
        )
    decorated = click.option(
        "-o",
        "--output",
        "output_choice",
        type=click.Choice(FORMATS),
        help="Output format: table, json, jsonl or csv (the same as --table, --json, ...).",
    )(decorated)
    return decorated  # type: ignore[return-value]


@dataclass(frozen=True)
class Column:
    """One column of a table or CSV: a header and how to get its text from an object.

    Attributes:
        header: the column's title.
        get: the value of the column for one API object.
        is_time: the value is an ISO 8601 timestamp, shown short, local and relative in tables
            (CSV and JSON keep it exactly as the API sent it).
        style: the Rich style of a cell in a table on a terminal, from the whole object, if any.
    """

    header: str
    get: Callable[[dict[str, Any]], Any]
    is_time: bool = False
    style: Callable[[dict[str, Any]], str | None] | None = None


def path_getter(*path: str) -> Callable[[dict[str, Any]], Any]:
    """A function reading a nested key path of an object (``None`` where a key is missing)."""

    def get(obj: dict[str, Any]) -> Any:
        value: Any = obj
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return get


def column(
    header: str,
    *path: str,
    is_time: bool = False,
    style: Callable[[dict[str, Any]], str | None] | None = None,
) -> Column:
    """A column reading a nested key path, such as ``column("Severity", "severity", "name")``."""
    return Column(header, path_getter(*path), is_time=is_time, style=style)


def time_column(header: str, *path: str) -> Column:
    """A column holding a timestamp (short, local and relative in tables)."""
    return column(header, *path, is_time=True)


def short_time(value: Any, now: datetime | None = None) -> str:
    """An ISO 8601 timestamp for a person: relative within two days ("3h ago"), else local and short.

    Anything that is not a timestamp is returned as text, unchanged.
    """
    if not isinstance(value, str) or not value:
        return _text(value)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if 0 <= seconds < 60:
        return "just now"
    if 0 <= seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if 0 <= seconds < 48 * 3600:
        return f"{int(seconds // 3600)}h ago"
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


# Status categories a person must act on are red, those in hand yellow, the finished ones green.
CATEGORY_STYLES = {
    "triage": "yellow",
    "live": "bold red",
    "paused": "yellow",
    "learning": "green",
    "closed": "green",
    "declined": "dim",
    "merged": "dim",
    "canceled": "dim",
}


def category_style(*path: str) -> Callable[[dict[str, Any]], str | None]:
    """A cell style from the status category found at ``path`` (for status columns)."""
    get = path_getter(*path)
    return lambda obj: CATEGORY_STYLES.get(str(get(obj) or "").lower())


def severity_style(*path: str) -> Callable[[dict[str, Any]], str | None]:
    """A cell style from the rank of the severity found at ``path``: the higher, the redder.

    incident.io ranks its default severities Minor 0, Major 1, Critical 2.
    """
    get = path_getter(*path)

    def style(obj: dict[str, Any]) -> str | None:
        rank = get(obj)
        if not isinstance(rank, int | float):
            return None
        return "bold red" if rank >= 2 else "red" if rank >= 1 else "yellow"

    return style


def choose_format(requested: str | None) -> str:
    """The format to use: the one asked for, else a table on a terminal and JSON otherwise."""
    if requested:
        return requested
    return "table" if sys.stdout.isatty() else "json"


def emit_list(objects: Iterable[dict[str, Any]], columns: Sequence[Column], requested: str | None) -> None:
    """Print a list of API objects in the chosen format.

    Nothing is written before the first object (so the first page) has arrived: a request that
    fails leaves no header-only CSV or half a JSON document behind.
    """
    fmt = choose_format(requested)
    objects = _after_first(objects)
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


def _after_first(objects: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The same objects, with the first one already fetched (so its errors raise here, before output)."""
    iterator = iter(objects)
    first = list(itertools.islice(iterator, 1))
    return itertools.chain(first, iterator)


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
            table.add_row(field.header, _cell(field, obj))
        Console().print(table)


def _json_indent() -> int | None:
    """Indented JSON for a person at a terminal; compact for programs, which Python writes far faster."""
    return 2 if sys.stdout.isatty() else None


def _print_table(objects: list[dict[str, Any]], columns: Sequence[Column]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*[c.header for c in columns])
    for obj in objects:
        table.add_row(*[_cell(c, obj) for c in columns])
    Console().print(table)
    if not objects:
        click.echo("(nothing to show)", err=True)


def _cell(column: Column, obj: dict[str, Any]) -> Any:
    """One table cell: times short and relative, and styled where the column says (Rich drops
    the style when the output is not a terminal)."""
    from rich.text import Text

    value = column.get(obj)
    text = short_time(value) if column.is_time else _text(value)
    style = column.style(obj) if column.style is not None else None
    return Text(text, style=style or "")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
