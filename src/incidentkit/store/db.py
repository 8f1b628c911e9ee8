"""Store URLs and the SQLAlchemy engines behind them.

``sqlite:///path/to/file.db`` (the embedded default, in WAL mode) or ``postgresql://user@host/db``
(several processes). Without a URL the store is ``INCIDENTKIT_STORE`` or, failing that, a SQLite file
in the user's data directory.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

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
    """Whether a driver error says the SQLite connection cannot write (it was opened read-only)."""
    return "readonly database" in str(error)


class StoreNotWritableError(sqlite3.OperationalError):
    """A new SQLite connection could not write the store file; it was closed instead of pooled."""


def is_not_writable_error(error: BaseException) -> bool:
    """Whether an error (SQLAlchemy's or the driver's) is a new SQLite connection refused as read-only."""
    return isinstance(error, StoreNotWritableError) or isinstance(
        getattr(error, "orig", None), StoreNotWritableError
    )


@contextmanager
def peek(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A read-only connection to a SQLite store that cannot be written, outside the pool, closed after.

    For looking at a store the pool refuses to connect to (see :func:`_check_writable`); it
    holds no statement once closed, so it leaves nothing read-only behind.
    """
    assert engine.url.database is not None
    uri = f"file:{quote(engine.url.database)}?mode=ro"
    reader = sa.create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=sa.pool.NullPool
    )
    try:
        with reader.connect() as connection:
            yield connection
    finally:
        reader.dispose()


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

    @sa.event.listens_for(engine, "handle_error")
    def on_error(context: sa.engine.ExceptionContext) -> None:
        if context.original_exception is not None and is_read_only_error(context.original_exception):
            context.is_disconnect = True  # a connection that failed to write leaves the pool

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below open transactions instead of the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            _check_writable(cursor)
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            cursor.close()
            dbapi_connection.close()  # the pool does not close a connection its connect event refused
            raise
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")  # a snapshot read: WAL lets it run beside the writer
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _check_writable(cursor: sqlite3.Cursor) -> None:
    """Refuse a connection SQLite opened read-only (it does so without a word when it may not write).

    Such a connection must not be pooled: every later connection of the process to the same file
    shares its read-only file handles and shared-memory index, so none could write until the last
    of them had closed, and one kept alive by a stored traceback would keep the store read-only
    until a restart. The probe starts a write and rolls it back, so it writes nothing. SQLite
    refuses a read-only connection's write before it asks for the write lock, so the probe does not
    wait for it (no busy timeout is set yet): "locked" means another connection is writing, and
    this one could.
    """
    cursor.execute("BEGIN")
    try:
        cursor.execute("PRAGMA user_version = 0")
    except sqlite3.OperationalError as error:
        if is_read_only_error(error):
            raise StoreNotWritableError(f"the store file cannot be written: {error}") from None
        if "database is locked" not in str(error):
            raise
    finally:
        cursor.execute("ROLLBACK")
