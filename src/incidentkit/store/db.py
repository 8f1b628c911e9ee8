"""Store URLs and the SQLAlchemy engines behind them.

``sqlite:///path/to/file.db`` (the embedded default, in WAL mode) or ``postgresql://user@host/db``
(several processes). Without a URL the store is ``INCIDENTKIT_STORE`` or, failing that, a SQLite file
in the user's data directory.
"""

from __future__ import annotations

import os
import weakref
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from incidentkit.store.errors import StoreURLError

STORE_ENV = "INCIDENTKIT_STORE"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY_OPTION = "incidentkit_read_only"
"""Execution option marking a connection that only reads (on SQLite it then skips the write lock)."""


def reading(engine: sa.Engine) -> sa.Connection:
    """A connection for reads only: on SQLite a snapshot that never waits for the write lock."""
    return engine.connect().execution_options(**{READ_ONLY_OPTION: True})


def insert_ignoring_duplicates(engine: sa.Engine | sa.Connection, table: sa.Table) -> Any:
    """An ``INSERT`` into ``table`` that skips rows whose key is already there, in the engine's dialect."""
    if engine.dialect.name == "postgresql":
        return pg_dialect.insert(table).on_conflict_do_nothing()
    return sqlite_dialect.insert(table).on_conflict_do_nothing()


def default_store_url() -> str:
    """``$INCIDENTKIT_STORE``, else ``sqlite:///<data dir>/incidentkit.db``."""
    from_env = os.environ.get(STORE_ENV)
    if from_env:
        return from_env
    from incidentkit.paths import data_dir

    return f"sqlite:///{data_dir() / 'incidentkit.db'}"


def describe_url(url: str) -> str:
    """The URL with any password hidden, safe to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable store URL>"


def create_engine(url: str) -> sa.Engine:
    """An engine for a store URL, set up for the store's transactions.

    SQLite: WAL journal (readers never block the writer), ``synchronous=FULL`` so a committed event
    survives a power cut, and every writing transaction opened with ``BEGIN IMMEDIATE`` so that writers
    queue on SQLite's single write lock at the start instead of failing mid-way (reads marked with
    :data:`READ_ONLY_OPTION` open a plain ``BEGIN``). PostgreSQL: psycopg 3.

    Raises:
        StoreURLError: the URL is not a ``sqlite:`` or ``postgresql:`` URL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreURLError(
            "cannot read the store URL: expected sqlite:///path/to/file.db or postgresql://user@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise StoreURLError(
        f"unsupported store URL scheme {parsed.drivername!r}: use sqlite:///path or postgresql://..."
    )


def create_private_file(path: Path) -> None:
    """Create the store's file readable by its owner only (0600), in a folder of its own kind (0700).

    The file holds webhook bodies; SQLite gives its write-ahead log and journal the database
    file's permissions. Only what is created here gets these modes: an existing folder (the
    current directory, say) or file is left as it is.
    """
    missing = [parent for parent in (path.parent, *path.parent.parents) if not parent.exists()]
    for folder in reversed(missing):
        with suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=0o700)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def is_read_only_error(error: BaseException) -> bool:
    """Whether a driver error says the SQLite connection cannot write (it was opened read-only).

    SQLite opens a file it may not write read-only without a word, and such a connection stays
    read-only after the file becomes writable; only a new connection can write.
    """
    return "readonly database" in str(error)


@dataclass
class _Generation:
    number: int = 0


_GENERATIONS: weakref.WeakKeyDictionary[sa.Engine, _Generation] = weakref.WeakKeyDictionary()


def discard_connections(engine: sa.Engine) -> None:
    """Close every pooled SQLite connection (those in use, when they come back) and open new ones.

    Called when a connection turns out to be read-only: see :func:`is_read_only_error`.
    """
    generation = _GENERATIONS.get(engine)
    if generation is None:
        return
    generation.number += 1


def is_disk_full_error(error: BaseException) -> bool:
    """Whether a driver error says the disk (or SQLite's page limit) is full."""
    return "database or disk is full" in str(error)


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    if not url.database or url.database == ":memory:":
        raise StoreURLError(
            "the store needs a SQLite file (sqlite:///path/to/file.db): an in-memory database "
            "would lose every event"
        )
    path = Path(url.database).expanduser()
    create_private_file(path)
    engine = sa.create_engine(url.set(database=str(path)))

    # Which connections may be kept: a read-only one poisons every connection of this process to
    # the same file (they share SQLite's shared-memory index, opened read-only), so when one is
    # found all of them are closed and new ones opened.
    generation = _Generation()
    _GENERATIONS[engine] = generation

    @sa.event.listens_for(engine, "handle_error")
    def on_error(context: sa.engine.ExceptionContext) -> None:
        if context.original_exception is not None and is_read_only_error(context.original_exception):
            context.is_disconnect = True  # this connection leaves the pool
            discard_connections(engine)

    @sa.event.listens_for(engine, "checkout")
    def on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("generation") != generation.number:
            raise sa.exc.DisconnectionError("the store's connections were discarded: reconnecting")
        # The pool's check: a connection opened while the file could not be written is replaced
        # as soon as it can be.
        if not record.info.get("writable", True) and os.access(path, os.W_OK):
            discard_connections(engine)
            raise sa.exc.DisconnectionError("the store file became writable: reconnecting")

    @sa.event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record.dbapi_connection is not None and record.info.get("generation") != generation.number:
            record.invalidate()

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        record.info["generation"] = generation.number
        record.info["writable"] = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
        # Let SQLAlchemy's "begin" event below open transactions instead of the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")  # a snapshot read: WAL lets it run beside the writer
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
