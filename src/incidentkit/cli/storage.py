"""The ``--store URL`` option shared by every command that reads or writes the durable store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from incidentkit.cli.errors import USAGE_ERROR

if TYPE_CHECKING:
    from incidentkit.store import Store

F = TypeVar("F", bound=Callable[..., Any])


class StoreChoiceError(click.ClickException):
    """A store URL that cannot be read, or names no store: the user's input, so exit 2, in one line."""

    exit_code = USAGE_ERROR


def store_option(function: F) -> F:
    """Add ``--store URL`` to a command, as its ``store_url`` argument."""
    return click.option(
        "--store",
        "store_url",
        metavar="URL",
        help="sqlite:///path or postgresql://... (default: INCIDENTKIT_STORE, else a SQLite file in "
        "the data directory).",
    )(function)


def open_store(url: str | None, *, create: bool = False, filled_by: str = "incidentkit serve") -> Store:
    """Open the store, turning a bad URL or a database that cannot be reached into a clear message.

    Only the commands that fill the store (``serve``, ``worker``, ``workflows run``, ``sync``) pass
    ``create=True``; every other command reads or changes what is already there, so a mistyped
    path fails with "no store at ..." instead of creating an empty store and showing nothing.
    ``filled_by`` names, in that message, the command that would have made it.

    Raises:
        StoreChoiceError: the URL cannot be read, or there is no store at it (exit 2; the message
            never shows a password).
        click.ClickException: the database cannot be opened.
    """
    import sqlalchemy.exc

    from incidentkit.api.config import without_password
    from incidentkit.store import Store, StoreURLError, default_store_url
    from incidentkit.store.db import describe_url

    given = url or default_store_url()
    option = "--store" if url else "INCIDENTKIT_STORE"
    try:
        parsed = sqlalchemy.engine.make_url(given)
    except (sqlalchemy.exc.ArgumentError, ValueError) as error:
        reason = "its port is not a number" if "int()" in str(error) else "it is not a store URL"
        raise StoreChoiceError(
            f"invalid {option} {without_password(given)!r}: {reason}; expected sqlite:///path/to/file.db "
            "or postgresql://user@host:5432/db"
        ) from None
    where = describe_url(given)
    if not create and parsed.get_backend_name() == "sqlite" and parsed.database:
        path = Path(parsed.database).expanduser()
        if not path.is_file():
            raise StoreChoiceError(
                f"no store at {where}: check --store (or INCIDENTKIT_STORE); `{filled_by}` creates it"
            )
    try:
        return Store.open(given)
    except StoreURLError as error:
        raise StoreChoiceError(f"invalid {option} {where!r}: {error}") from None
    except sqlalchemy.exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else "unreachable"
        raise click.ClickException(f"cannot open the store {where}: {reason}") from None
