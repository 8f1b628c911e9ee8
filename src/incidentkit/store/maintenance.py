"""Keeping the store in shape: retention (purging old events and webhook ids), SQLite WAL checkpoints,
write probes for health checks, and what to do when the disk is full."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from incidentkit.store.base import StoreBase
from incidentkit.store.inbox_records import EventStatus, NewEvent
from incidentkit.store.schema import inbox, seen_webhook_ids, store_health

# The name the store's log lines have always had, so logging set-ups that name it keep working.
logger = logging.getLogger("incidentkit.store.store")


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


class MaintenanceMixin(StoreBase):
    """The store's retention, checkpoints and health probes (see :class:`~incidentkit.store.Store`)."""

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
