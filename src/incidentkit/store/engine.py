"""Store URLs and the SQLAlchemy engines behind them.

``sqlite:///path/to/file.db`` (the embedded default, in WAL mode) or ``postgresql://user@host/db``
(several processes). Without a URL the store is ``INCIDENTKIT_STORE`` or, failing that, a SQLite file
in the user's data directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from incidentkit.store.errors import StoreURLError

STORE_ENV = "INCIDENTKIT_STORE"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY_OPTION = "incidentkit_read_only"
"""Execution option marking a connection that only reads (on SQLite it then skips the write lock)."""


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


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    if not url.database or url.database == ":memory:":
        raise StoreURLError(
            "the store needs a SQLite file (sqlite:///path/to/file.db): an in-memory database "
            "would lose every event"
        )
    Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url.set(database=str(Path(url.database).expanduser())))

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
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
