"""The durable store users open, over SQLite or PostgreSQL, and its first job: the webhook inbox.

Every webhook delivery that passed verification is written here, keyed by its ``webhook-id``,
before the receiver answers; processing happens later, by claiming pending rows. Claims are safe
with several processes: PostgreSQL skips rows another transaction holds (``FOR UPDATE SKIP
LOCKED``), SQLite serialises writers (every transaction is ``BEGIN IMMEDIATE``). A claim that
is never finished (its process died) becomes claimable again after a short lease, which a live
processor renews; a claim records its owner, so a processor whose lease ran out cannot finish an
event another has claimed since.

The store's other jobs are parts it is made of: incident snapshots (:mod:`incidentkit.store.snapshots`),
retention, checkpoints and health probes (:mod:`incidentkit.store.maintenance`); the inbox's batch
insert is :mod:`incidentkit.store.bulk_insert`, and its records :mod:`incidentkit.store.inbox_records`.

Time comes from an injected clock, so retention and retries are tested without waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from types import TracebackType
from typing import Any

import sqlalchemy as sa

from incidentkit.store import migrations
from incidentkit.store.base import Clock
from incidentkit.store.bulk_insert import insert_new
from incidentkit.store.db import create_engine, default_store_url, describe_url, is_not_writable_error, peek
from incidentkit.store.errors import ClaimLostError, EventNotFoundError
from incidentkit.store.inbox_records import EventStatus, InboxEvent, NewEvent, keep_headers
from incidentkit.store.maintenance import MaintenanceMixin
from incidentkit.store.schema import inbox
from incidentkit.store.snapshots import SnapshotsMixin
from incidentkit.timeutil import utc_now

logger = logging.getLogger("incidentkit.store")

DEFAULT_CLAIM_LEASE = timedelta(seconds=15)
"""How long a claim holds an event without being renewed; a live processor renews it every few seconds."""


class Store(SnapshotsMixin, MaintenanceMixin):
    """The durable store behind one interface, whichever database holds it.

    Open it with :meth:`open` (which migrates the schema) and close it when done, or use it as a
    context manager. Methods are thread-safe: each runs in its own transaction.
    """

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
        except sa.exc.OperationalError as error:
            # A SQLite file that cannot be written yet is opened all the same when its schema is
            # current: the store answers "unavailable" until it can write, then recovers by itself.
            if not is_not_writable_error(error) or _peek_revision(engine) != migrations.HEAD:
                engine.dispose()
                raise
            logger.warning(
                "The store file %s cannot be written yet: unavailable until it can", engine.url.database
            )
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, clock=clock)

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
        new_ids = insert_new(self.engine, now, list(first_of_id.values()), make_room=self._make_room)
        return [first_of_id[event.webhook_id] is event and event.webhook_id in new_ids for event in events]

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


def _peek_revision(engine: sa.Engine) -> str | None:
    """The schema revision of a SQLite store that cannot be written (None when it cannot be read either)."""
    try:
        with peek(engine) as connection:
            return migrations.current_revision(connection)
    except sa.exc.SQLAlchemyError:
        return None
