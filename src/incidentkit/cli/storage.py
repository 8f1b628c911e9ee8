"""The ``--store URL`` option shared by every command that reads or writes the durable store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from incidentkit.store import Store

F = TypeVar("F", bound=Callable[..., Any])


def store_option(function: F) -> F:
    """Add ``--store URL`` to a command, as its ``store_url`` argument."""
    return click.option(
        "--store",
        "store_url",
        metavar="URL",
        help="sqlite:///path or postgresql://... (default: INCIDENTKIT_STORE, else a SQLite file in "
        "the data directory).",
    )(function)


def open_store(url: str | None) -> Store:
    """Open the store, turning a database that cannot be reached into a clear message.

    Raises:
        click.ClickException: the database cannot be opened (the message never shows a password).
    """
    import sqlalchemy.exc

    from incidentkit.store import Store, default_store_url
    from incidentkit.store.engine import describe_url

    try:
        return Store.open(url)
    except sqlalchemy.exc.OperationalError as error:
        where = describe_url(url or default_store_url())
        reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else "unreachable"
        raise click.ClickException(f"cannot open the store {where}: {reason}") from None
