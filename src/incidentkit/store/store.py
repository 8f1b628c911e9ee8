"""The durable store: the webhook inbox, incident snapshots and retention, over SQLite or PostgreSQL.

Every webhook delivery that passed verification is written here, keyed by its ``webhook-id``,
before the receiver answers; processing happens later, by claiming pending rows. Claims are safe
with several processes: PostgreSQL skips rows another transaction holds (``FOR UPDATE SKIP
LOCKED``), SQLite serialises writers (every transaction is ``BEGIN IMMEDIATE``). A claim that
is never finished (its process died) becomes claimable again after a short lease, which a live
processor renews; a claim records its owner, so a processor whose lease ran out cannot finish an
event another has claimed since.

Time comes from an injected clock, so retention and retries are tested without waiting.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from incidentkit.store import migrations
from incidentkit.store.db import (
    READ_ONLY_OPTION,
    create_engine,
    default_store_url,
    describe_url,
    discard_connections,
    is_disk_full_error,
    is_read_only_error,
)
from incidentkit.store.errors import ClaimLostError, EventNotFoundError
from incidentkit.store.schema import inbox, incident_snapshots, seen_webhook_ids, store_health
from incidentkit.timeutil import iso as _iso

Clock = Callable[[], datetime]

logger = logging.getLogger(__name__)

# A header whose lower-cased name contains one of these is never stored: it may carry a credential.
SECRET_HEADER_WORDS = ("authorization", "cookie", "secret", "token", "api-key", "apikey", "password", "auth")
# One search per header instead of one per word: this runs for every header of every delivery.
_SECRET_HEADER_PATTERN = re.compile("|".join(re.escape(word) for word in SECRET_HEADER_WORDS))

DEFAULT_CLAIM_LEASE = timedelta(seconds=15)
"""How long a claim holds an event without being renewed; a live processor renews it every few seconds."""


def utc_now() -> datetime:
    """The wall clock, in UTC: the default clock."""
    return datetime.now(UTC)


class EventStatus(StrEnum):
    """Where an inbox event is in its processing."""

    PENDING = "pending"
    """Stored, waiting for a processor (also after a failed attempt that will be retried)."""
    PROCESSING = "processing"
    """Claimed by a processor."""
    PROCESSED = "processed"
    """Handled; purged after the retention period."""
    DEAD = "dead"
    """Cannot be handled (the reason says why); kept and visible until replayed."""


@dataclass(frozen=True)
class NewEvent:
    """A delivery to store: what :meth:`Store.insert_events` takes."""

    webhook_id: str
    body: bytes
    headers: Mapping[str, str]
    event_type: str | None = None


@dataclass(frozen=True)
class InboxEvent:
    """One webhook delivery as stored."""

    webhook_id: str
    event_type: str | None
    body: bytes
    headers: dict[str, str]
    received_at: datetime
    status: EventStatus
    attempts: int
    next_attempt_at: datetime | None
    claimed_at: datetime | None
    processed_at: datetime | None
    reason: str | None
    outcome: Any

    def body_json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def to_dict(self, *, include_body: bool = True) -> dict[str, Any]:
        """A JSON-ready view: timestamps in ISO 8601, the body as JSON when it parses, else as text."""
        view: dict[str, Any] = {
            "webhook_id": self.webhook_id,
            "event_type": self.event_type,
            "status": str(self.status),
            "received_at": _iso(self.received_at),
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "processed_at": _iso(self.processed_at),
            "reason": self.reason,
            "outcome": self.outcome,
        }
        if include_body:
            view["headers"] = self.headers
            parsed = self.body_json()
            view["body"] = parsed if parsed is not None else self.body.decode("utf-8", errors="replace")
        return view


@dataclass(frozen=True)
class Snapshot:
    """The last state seen of one incident."""

    incident_id: str
    data: dict[str, Any]
    incident_updated_at: datetime | None
    stored_at: datetime
    webhook_id: str | None


@dataclass(frozen=True)
class RetentionPolicy:
    """How long things are kept.

    Attributes:
        processed_for: processed events older than this (by when they were processed) are deleted.
            Dead events are never purged: they wait for a person.
        seen_ids_for: how long a webhook id is remembered after it was first seen, so a late retry of
            a purged event is still a duplicate. incident.io retries for 24 hours; a week leaves room
            for manual replays.
    """

    processed_for: timedelta = timedelta(days=30)
    seen_ids_for: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed."""

    events: int
    seen_ids: int


def keep_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """The headers worth keeping with an event, names lower-cased, minus any that may carry a secret."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    kept: dict[str, str] = {}
    for name, value in items:
        lowered = name.lower()
        if _SECRET_HEADER_PATTERN.search(lowered) is None:
            kept[lowered] = value
    return kept


class Store:
    """The durable store behind one interface, whichever database holds it.

    Open it with :meth:`open` (which migrates the schema) and close it when done, or use it as a
    context manager. Methods are thread-safe: each runs in its own transaction.
    """

    def __init__(self, engine: sa.Engine, *, clock: Clock = utc_now) -> None:
        """Wrap an engine made by :func:`incidentkit.store.db.create_engine` (already migrated)."""
        self.engine = engine
        self.clock = clock

    @classmethod
    def open(cls, url: str | None = None, *, clock: Clock = utc_now) -> Store:
        """Open (creating and migrating as needed) the store at ``url``, or the default store.

        Args:
            url: ``sqlite:///path`` or ``postgresql://...``; None means ``INCIDENTKIT_STORE`` or a
                SQLite file in the user's data directory.
            clock: the current time, timezone-aware.

        Raises:
            StoreURLError: the URL is not a supported store URL.
        """
        engine = create_engine(url or default_store_url())
        try:
            migrations.migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        """The store's URL with any password hidden."""
        return describe_url(self.engine.url.render_as_string(hide_password=False))

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # The inbox

    def insert_event(
        self,
        webhook_id: str,
        body: bytes,
        headers: Iterable[tuple[str, str]] | Mapping[str, str],
        *,
        event_type: str | None = None,
    ) -> bool:
        """Store a delivery as pending, unless its webhook id was seen before.

        Args:
            webhook_id: the ``webhook-id`` header, unique per message (the same on every retry).
            body: the raw body exactly as received.
            headers: the request's headers; any that may hold a secret are dropped.
            event_type: the envelope's ``event_type`` when known (for listing and filtering).

        Returns:
            True when the event is new and now durable; False for a duplicate (nothing stored).
        """
        [is_new] = self.insert_events([NewEvent(webhook_id, body, keep_headers(headers), event_type)])
        return is_new

    def insert_events(self, events: Sequence[NewEvent]) -> list[bool]:
        """Store several deliveries in one transaction (one flush to disk for all of them).

        The receiver batches the deliveries that arrive while the previous batch is being committed,
        which is what keeps a durable insert per delivery cheap under load.

        Returns:
            For each event, in order, whether it was new (a repeated webhook id, even within the
            batch, is a duplicate and stores nothing).
        """
        for event in events:
            if not event.webhook_id:
                raise ValueError("webhook_id must not be empty")
        if not events:
            return []
        now = self.clock()
        # Within a batch the first delivery of an id wins; a repeat is a duplicate like any other.
        first_of_id: dict[str, NewEvent] = {}
        for event in events:
            first_of_id.setdefault(event.webhook_id, event)
        new_ids = self._insert_new(now, list(first_of_id.values()))
        return [first_of_id[event.webhook_id] is event and event.webhook_id in new_ids for event in events]

    def _insert_new(self, now: datetime, events: list[NewEvent]) -> set[str]:
        """Insert events with distinct ids in one transaction, skipping ids seen before; the new ids.

        This is the receiver's hot path, so it talks to the database driver directly: a pooled
        connection, a statement or two for the whole batch and a commit, instead of building,
        compiling and processing SQLAlchemy statements inside a SQLAlchemy transaction for every
        batch (that cost more than the insert itself). Timestamps are encoded by the column's own
        SQLAlchemy type and headers as SQLAlchemy's JSON type writes them, so everything reads back
        exactly as if SQLAlchemy had written it (the store's tests check this on both backends).
        """
        dialect = self.engine.dialect
        connection = self.engine.raw_connection()  # from the pool, set up by the engine's connect events
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
            if read_only:
                discard_connections(self.engine)
            if is_disk_full_error(error):
                self._make_room(events)
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

    def get_event(self, webhook_id: str) -> InboxEvent:
        """The stored event with this webhook id.

        Raises:
            EventNotFoundError: there is none (never received, or purged).
        """
        with self._reading() as connection:
            row = connection.execute(sa.select(inbox).where(inbox.c.webhook_id == webhook_id)).first()
        if row is None:
            raise EventNotFoundError(f"no event with webhook id {webhook_id!r} in the store")
        return _event(row)

    def list_events(
        self,
        *,
        event_type: str | None = None,
        status: EventStatus | str | None = None,
        limit: int | None = 100,
    ) -> list[InboxEvent]:
        """Events, newest first, optionally of one type and/or status."""
        query = sa.select(inbox).order_by(inbox.c.received_at.desc(), inbox.c.webhook_id.desc())
        if event_type is not None:
            query = query.where(inbox.c.event_type == event_type)
        if status is not None:
            query = query.where(inbox.c.status == EventStatus(status).value)
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as connection:
            return [_event(row) for row in connection.execute(query)]

    def count_events(self, status: EventStatus | str | None = None) -> int:
        """How many events are stored (with this status)."""
        query = sa.select(sa.func.count()).select_from(inbox)
        if status is not None:
            query = query.where(inbox.c.status == EventStatus(status).value)
        with self._reading() as connection:
            return int(connection.execute(query).scalar_one())

    def claim_pending(
        self, limit: int = 10, *, owner: str | None = None, lease: timedelta = DEFAULT_CLAIM_LEASE
    ) -> list[InboxEvent]:
        """Claim up to ``limit`` events to process, oldest first, and count the attempt.

        Claimable: pending events whose retry time has come, and events whose claim was last made or
        renewed more than ``lease`` ago (their processor died). Two processes never claim the same
        event at once.

        Args:
            limit: the most events to claim.
            owner: the claiming processor's name; finishing the event with this owner fails once
                another processor has claimed it (see :meth:`renew_claims`).
            lease: how long an unrenewed claim holds.
        """
        now = self.clock()
        due = sa.and_(
            inbox.c.status == EventStatus.PENDING.value,
            sa.or_(inbox.c.next_attempt_at.is_(None), inbox.c.next_attempt_at <= now),
        )
        abandoned = sa.and_(inbox.c.status == EventStatus.PROCESSING.value, inbox.c.claimed_at < now - lease)
        with self.engine.begin() as connection:
            ids = list(
                connection.execute(
                    sa.select(inbox.c.webhook_id)
                    .where(sa.or_(due, abandoned))
                    .order_by(inbox.c.received_at, inbox.c.webhook_id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if not ids:
                return []
            connection.execute(
                inbox.update()
                .where(inbox.c.webhook_id.in_(ids))
                .values(
                    status=EventStatus.PROCESSING.value,
                    claimed_at=now,
                    claimed_by=owner,
                    attempts=inbox.c.attempts + 1,
                )
            )
            rows = connection.execute(
                sa.select(inbox)
                .where(inbox.c.webhook_id.in_(ids))
                .order_by(inbox.c.received_at, inbox.c.webhook_id)
            )
            return [_event(row) for row in rows]

    def renew_claims(self, webhook_ids: Sequence[str], owner: str) -> int:
        """Renew ``owner``'s claims on these events (its heartbeat); returns how many it still holds."""
        if not webhook_ids:
            return 0
        with self.engine.begin() as connection:
            result = connection.execute(
                inbox.update()
                .where(
                    inbox.c.webhook_id.in_(list(webhook_ids)),
                    inbox.c.status == EventStatus.PROCESSING.value,
                    inbox.c.claimed_by == owner,
                )
                .values(claimed_at=self.clock())
            )
        return int(result.rowcount)

    def release(self, webhook_id: str, *, owner: str | None = None) -> None:
        """Give a claimed event back unhandled, due at once, its attempt uncounted (a processor stopping)."""
        self._finish(
            webhook_id,
            owner=owner,
            status=EventStatus.PENDING,
            processed_at=None,
            next_attempt_at=None,
            attempts=sa.func.max(inbox.c.attempts - 1, 0)
            if self.backend == "sqlite"
            else sa.func.greatest(inbox.c.attempts - 1, 0),
        )

    def mark_processed(self, webhook_id: str, *, outcome: Any = None, owner: str | None = None) -> None:
        """Record that an event was handled, with what came of it (JSON-ready).

        Raises:
            ClaimLostError: ``owner`` no longer holds the event's claim (another processor does).
        """
        self._finish(
            webhook_id,
            owner=owner,
            status=EventStatus.PROCESSED,
            processed_at=self.clock(),
            reason=None,
            outcome=outcome,
            next_attempt_at=None,
        )

    def mark_dead(
        self, webhook_id: str, reason: str, *, outcome: Any = None, owner: str | None = None
    ) -> None:
        """Record that an event cannot be handled, and why; it stays visible until replayed.

        Raises:
            ClaimLostError: ``owner`` no longer holds the event's claim.
        """
        self._finish(
            webhook_id,
            owner=owner,
            status=EventStatus.DEAD,
            processed_at=self.clock(),
            reason=reason,
            outcome=outcome,
            next_attempt_at=None,
        )

    def retry_later(
        self,
        webhook_id: str,
        reason: str,
        *,
        delay: timedelta,
        owner: str | None = None,
        count_attempt: bool = True,
    ) -> None:
        """Put a claimed event back to pending after a failure that may pass, not before ``delay``.

        Args:
            webhook_id: the event.
            reason: why, kept with the event.
            delay: how long until it is due again.
            owner: the processor holding the claim.
            count_attempt: False when the failure was not the event's (a rate limit): the attempt
                does not count towards giving up.

        Raises:
            ClaimLostError: ``owner`` no longer holds the event's claim.
        """
        values: dict[str, Any] = {}
        if not count_attempt:
            decrement = sa.func.max if self.backend == "sqlite" else sa.func.greatest
            values["attempts"] = decrement(inbox.c.attempts - 1, 0)
        self._finish(
            webhook_id,
            owner=owner,
            status=EventStatus.PENDING,
            processed_at=None,
            reason=reason,
            outcome=None,
            next_attempt_at=self.clock() + delay,
            **values,
        )

    def replay(self, webhook_id: str) -> InboxEvent:
        """Mark an event pending again, so the processor handles it once more.

        Raises:
            EventNotFoundError: there is no such event.
        """
        self._finish(
            webhook_id,
            status=EventStatus.PENDING,
            processed_at=None,
            reason=None,
            outcome=None,
            next_attempt_at=None,
            attempts=0,
        )
        return self.get_event(webhook_id)

    def _finish(
        self, webhook_id: str, *, status: EventStatus, owner: str | None = None, **values: Any
    ) -> None:
        update = inbox.update().where(inbox.c.webhook_id == webhook_id)
        if owner is not None:
            update = update.where(inbox.c.status == EventStatus.PROCESSING.value, inbox.c.claimed_by == owner)
        with self.engine.begin() as connection:
            result = connection.execute(
                update.values(status=status.value, claimed_at=None, claimed_by=None, **values)
            )
            found = result.rowcount > 0 or (
                owner is not None
                and connection.execute(
                    sa.select(inbox.c.webhook_id).where(inbox.c.webhook_id == webhook_id)
                ).first()
                is not None
            )
        if not found:
            raise EventNotFoundError(f"no event with webhook id {webhook_id!r} in the store")
        if result.rowcount == 0:
            raise ClaimLostError(
                f"this processor's claim on webhook {webhook_id} ran out and another processor claimed it"
            )

    # Health and upkeep

    def _make_room(self, events: Sequence[NewEvent]) -> None:
        """After a write failed for lack of space: fold the write-ahead log in, and say what is needed."""
        batch = sum(len(event.body) for event in events)
        try:
            freed = self.checkpoint()
        except Exception as error:  # the disk is full: even this may fail, and the first error matters
            freed, note = 0, f"; the write-ahead log could not be checkpointed ({type(error).__name__})"
        else:
            note = f"; the write-ahead log ({freed // 1024} KB) was checkpointed into the database"
        logger.warning(
            "The store's disk is full: storing %d deliveries needs at least %d KB free "
            "(their bodies, plus room for SQLite to write them twice)%s",
            len(events),
            max(2 * batch // 1024, 1) + 64,
            note,
        )

    def probe_write(self) -> None:
        """Make one small write, to tell whether the store takes writes now.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: it does not (read-only, full, unreachable...).
        """
        with self.engine.begin() as connection:
            updated = connection.execute(
                store_health.update().where(store_health.c.id == 1).values(checked_at=self.clock())
            ).rowcount
            if not updated:
                connection.execute(
                    self._insert_ignoring_duplicates(store_health).values(id=1, checked_at=self.clock())
                )

    def checkpoint(self) -> int:
        """Copy SQLite's write-ahead log into the database and truncate it; the log's size before, in bytes.

        SQLite does this by itself only when no reader is in the way; a busy server's log can grow
        until the disk fills. Does nothing on PostgreSQL (returns 0).
        """
        if self.backend != "sqlite" or self.engine.url.database is None:
            return 0
        log = Path(f"{self.engine.url.database}-wal")
        size = log.stat().st_size if log.exists() else 0
        connection = self.engine.raw_connection()  # outside any transaction, as a checkpoint must be
        try:
            cursor = connection.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.fetchall()
            cursor.close()
        finally:
            connection.close()
        return size

    # Incident snapshots

    def get_snapshot(self, incident_id: str) -> Snapshot | None:
        """The last state stored for an incident, or None before its first event."""
        with self._reading() as connection:
            row = connection.execute(
                sa.select(incident_snapshots).where(incident_snapshots.c.incident_id == incident_id)
            ).first()
        if row is None:
            return None
        return Snapshot(
            incident_id=row.incident_id,
            data=row.data,
            incident_updated_at=row.incident_updated_at,
            stored_at=row.stored_at,
            webhook_id=row.webhook_id,
        )

    def save_snapshot(
        self,
        incident_id: str,
        data: Mapping[str, Any],
        *,
        incident_updated_at: datetime | None,
        webhook_id: str | None = None,
    ) -> bool:
        """Store an incident's state, unless the stored one is newer (deliveries arrive out of order).

        Returns:
            True when the snapshot was written; False when a newer one was already stored.
        """
        values = {
            "data": dict(data),
            "incident_updated_at": incident_updated_at,
            "stored_at": self.clock(),
            "webhook_id": webhook_id,
        }
        with self.engine.begin() as connection:
            current = connection.execute(
                sa.select(incident_snapshots.c.incident_updated_at)
                .where(incident_snapshots.c.incident_id == incident_id)
                .with_for_update()
            ).first()
            if current is None:
                inserted = connection.execute(
                    self._insert_ignoring_duplicates(incident_snapshots)
                    .values(incident_id=incident_id, **values)
                    .returning(incident_snapshots.c.incident_id)
                ).first()
                if inserted is not None:
                    return True
                # Another process stored the first snapshot in the meantime: compare with it.
                current = connection.execute(
                    sa.select(incident_snapshots.c.incident_updated_at)
                    .where(incident_snapshots.c.incident_id == incident_id)
                    .with_for_update()
                ).one()
            stored_updated_at = current.incident_updated_at
            if (
                stored_updated_at is not None
                and incident_updated_at is not None
                and stored_updated_at > incident_updated_at
            ):
                return False
            connection.execute(
                incident_snapshots.update()
                .where(incident_snapshots.c.incident_id == incident_id)
                .values(**values)
            )
            return True

    # Retention

    def purge(self, policy: RetentionPolicy | None = None) -> PurgeResult:
        """Delete processed events and remembered webhook ids past their retention period."""
        policy = policy or RetentionPolicy()
        now = self.clock()
        with self.engine.begin() as connection:
            events = connection.execute(
                inbox.delete().where(
                    inbox.c.status == EventStatus.PROCESSED.value,
                    inbox.c.processed_at < now - policy.processed_for,
                )
            ).rowcount
            # An id is forgotten only once its event is gone too, so a stored event is always a duplicate.
            still_stored = sa.select(inbox.c.webhook_id).where(
                inbox.c.webhook_id == seen_webhook_ids.c.webhook_id
            )
            seen_ids = connection.execute(
                seen_webhook_ids.delete().where(
                    seen_webhook_ids.c.first_seen_at < now - policy.seen_ids_for,
                    ~still_stored.exists(),
                )
            ).rowcount
        return PurgeResult(events=events, seen_ids=seen_ids)

    def _reading(self) -> sa.Connection:
        """A connection for reads only: on SQLite its transaction does not take the write lock."""
        return self.engine.connect().execution_options(**{READ_ONLY_OPTION: True})

    def _insert_ignoring_duplicates(self, table: sa.Table) -> Any:
        if self.backend == "postgresql":
            return pg_dialect.insert(table).on_conflict_do_nothing()
        return sqlite_dialect.insert(table).on_conflict_do_nothing()


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


def _event(row: sa.Row[Any]) -> InboxEvent:
    return InboxEvent(
        webhook_id=row.webhook_id,
        event_type=row.event_type,
        body=bytes(row.body),
        headers=dict(row.headers),
        received_at=row.received_at,
        status=EventStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        claimed_at=row.claimed_at,
        processed_at=row.processed_at,
        reason=row.reason,
        outcome=row.outcome,
    )
