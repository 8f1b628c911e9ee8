"""The inbox's bulk insert: a batch of new deliveries written straight through the database driver,
one way for SQLite and one for PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from incidentkit.store.db import is_disk_full_error, is_read_only_error
from incidentkit.store.inbox_records import EventStatus, NewEvent, keep_headers
from incidentkit.store.schema import inbox, seen_webhook_ids


def insert_new(
    engine: sa.Engine,
    now: datetime,
    events: list[NewEvent],
    *,
    make_room: Callable[[Sequence[NewEvent]], None],
) -> set[str]:
    """Insert events with distinct ids in one transaction, skipping ids seen before; the new ids.

    This is the receiver's hot path, so it talks to the database driver directly: a pooled
    connection, a statement or two for the whole batch and a commit, instead of building,
    compiling and processing SQLAlchemy statements inside a SQLAlchemy transaction for every
    batch (that cost more than the insert itself). Timestamps are encoded by the column's own
    SQLAlchemy type and headers as SQLAlchemy's JSON type writes them, so everything reads back
    exactly as if SQLAlchemy had written it (the store's tests check this on both backends).

    Args:
        engine: the store's engine.
        now: the time the events are received.
        events: the events, each with a distinct webhook id.
        make_room: called with the batch when the disk turned out to be full, before the error is raised.
    """
    dialect = engine.dialect
    connection = engine.raw_connection()  # from the pool, set up by the engine's connect events
    cursor = connection.cursor()
    try:
        if dialect.name == "postgresql":
            new_ids = _insert_new_postgresql(cursor, dialect, now, events)
        else:
            new_ids = _insert_new_sqlite(cursor, dialect, now, events)
        connection.commit()  # returns once the batch is durable: only then is it acknowledged
    except dialect.loaded_dbapi.Error as error:
        # As SQLAlchemy would: a lost connection leaves the pool, and the error is SQLAlchemy's
        # own (OperationalError, IntegrityError...) naming the table, never the values.
        read_only = is_read_only_error(error)
        lost = read_only or dialect.is_disconnect(error, connection.dbapi_connection, cursor)
        if lost:
            connection.invalidate(error)
        if is_disk_full_error(error):
            make_room(events)
        else:
            with suppress(Exception):  # the error that matters is the one that got us here
                connection.rollback()
        raise sa.exc.DBAPIError.instance(
            f"inserting {len(events)} events into {inbox.name}",
            None,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=dialect,
        ) from error
    except BaseException:
        with suppress(Exception):
            connection.rollback()
        raise
    finally:
        with suppress(Exception):  # a cursor of a lost connection may not close cleanly
            cursor.close()
        connection.close()  # back to the pool (or gone, when it was lost)
    return new_ids


# The inbox columns a new event sets; the others (claims, outcomes) start NULL.
_INSERTED_COLUMNS = ("webhook_id", "event_type", "body", "headers", "received_at", "status", "attempts")


def _insert_new_sqlite(cursor: Any, dialect: sa.Dialect, now: datetime, events: list[NewEvent]) -> set[str]:
    """SQLite: two multi-row statements, under the write lock from the start."""
    cursor.execute("BEGIN IMMEDIATE")  # as every writing transaction on SQLite here
    stamp = _bind(seen_webhook_ids.c.first_seen_at, dialect, now)
    # The ids first: the ones remembered before come back not inserted.
    new_ids: set[str] = set()
    for statement, values in _insert_statements(
        seen_webhook_ids.name,
        ("webhook_id", "first_seen_at"),
        [(event.webhook_id, stamp) for event in events],
        suffix=" ON CONFLICT DO NOTHING RETURNING webhook_id",
    ):
        cursor.execute(statement, values)
        new_ids.update(row[0] for row in cursor.fetchall())
    encode_headers = _bind_processor(inbox.c.headers, dialect)
    received_at = _bind(inbox.c.received_at, dialect, now)
    rows = [
        (
            event.webhook_id,
            event.event_type,
            bytes(event.body),
            encode_headers(keep_headers(event.headers)),
            received_at,
            EventStatus.PENDING.value,
            0,
        )
        for event in events
        if event.webhook_id in new_ids
    ]
    for statement, values in _insert_statements(inbox.name, _INSERTED_COLUMNS, rows):
        cursor.execute(statement, values)
    return new_ids


# One statement, the same text for every batch (so psycopg parses it once and the server prepares
# it): the batch comes as one array per column, sent in binary (``%b``: in text every element of
# every array would be quoted and escaped, which costs more than the rest of the insert). The ids
# are remembered first; only the events whose ids were new go into the inbox. Another process
# inserting the same id at the same moment waits on the unique key, and one of the two finds it
# taken.
_POSTGRESQL_INSERT = f"""
WITH remembered AS (
    INSERT INTO {seen_webhook_ids.name} (webhook_id, first_seen_at)
    SELECT unnest(%b::text[]), %s
    ON CONFLICT DO NOTHING
    RETURNING webhook_id
)
INSERT INTO {inbox.name} ({", ".join(_INSERTED_COLUMNS)})
SELECT batch.webhook_id, batch.event_type, batch.body, batch.headers, %s, %s, 0
FROM unnest(%b::text[], %b::text[], %b::bytea[], %b::json[]) AS batch (webhook_id, event_type, body, headers)
JOIN remembered USING (webhook_id)
RETURNING webhook_id
"""


def _insert_new_postgresql(
    cursor: Any, dialect: sa.Dialect, now: datetime, events: list[NewEvent]
) -> set[str]:
    """PostgreSQL: one statement for the whole batch, so one round trip to the server."""
    stamp = _bind(inbox.c.received_at, dialect, now)
    cursor.execute(
        _POSTGRESQL_INSERT,
        (
            [event.webhook_id for event in events],
            stamp,
            stamp,
            EventStatus.PENDING.value,
            [event.webhook_id for event in events],
            [event.event_type for event in events],
            [bytes(event.body) for event in events],
            [json.dumps(keep_headers(event.headers)) for event in events],
        ),
    )
    return {row[0] for row in cursor.fetchall()}


# Rows per INSERT statement: well under SQLite's limit on parameters per statement.
_ROWS_PER_STATEMENT = 500


def _insert_statements(
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    suffix: str = "",
) -> Iterable[tuple[str, list[Any]]]:
    """Multi-row SQLite ``INSERT`` statements for ``rows``, with their flattened parameters.

    One statement per few hundred rows rather than ``executemany``: the driver then makes one
    call into the database for a whole batch, and the writing thread gives up and takes back
    Python's interpreter lock once instead of once per row.
    """
    row_marks = "(" + ", ".join(["?"] * len(columns)) + ")"
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[start : start + _ROWS_PER_STATEMENT]
        statement = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row_marks] * len(chunk))}{suffix}"
        )
        yield statement, [value for row in chunk for value in row]


def _bind_processor(column: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], Any]:
    """How the column's SQLAlchemy type turns a value into what the driver receives."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else _unchanged


def _bind(column: sa.Column[Any], dialect: sa.Dialect, value: Any) -> Any:
    return _bind_processor(column, dialect)(value)


def _unchanged(value: Any) -> Any:
    return value
