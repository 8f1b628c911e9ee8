"""Processing stored webhook events, off the request path.

The :class:`Processor` claims pending events from the store, hands each to a handler, and records
the outcome: processed (with what came of it), retried later after a failure that may pass (the
API was unreachable), or ``dead`` with the reason when it can never succeed (the body is not an
event) or has failed too often. A dead event is kept and visible; ``incidentkit events replay``
puts it back in the queue. The processor also purges old events on a schedule.

It runs in a background thread of ``incidentkit serve``; tests call :meth:`Processor.process_pending`
and :meth:`Processor.purge_if_due` directly, with an injected clock, so nothing waits on real time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from incidentkit.store import InboxEvent, PurgeResult, RetentionPolicy, Store
from incidentkit.webhooks.errors import WebhookError

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_PURGE_EVERY = timedelta(hours=1)


class DeadEvent(WebhookError):
    """Raised by a handler for an event that can never be processed; the message is the reason kept."""


class EventHandler(Protocol):
    """Handles one stored event; returns a JSON-ready outcome, raises :class:`DeadEvent` to give up.

    Any other exception counts as a failure that may pass: the event is retried later.
    """

    def __call__(self, event: InboxEvent, /) -> Any: ...


def default_backoff(attempt: int) -> timedelta:
    """Wait before the next attempt: 10 s, 20 s, 40 s ... capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempt - 1, 0), 3600))


@dataclass
class ProcessingStats:
    """What a processor has done since it started."""

    processed: int = 0
    retried: int = 0
    dead: int = 0


class Processor:
    """Claims stored events and runs them through a handler, safely alongside other processors.

    Args:
        store: the inbox.
        handler: what to do with each event.
        batch_size: events claimed per transaction.
        max_attempts: after this many failed attempts an event is marked dead.
        backoff: the delay before the next attempt, given the number of attempts made.
        retention: what :meth:`purge_if_due` deletes.
        purge_every: how often the purge runs.
    """

    def __init__(
        self,
        store: Store,
        handler: EventHandler,
        *,
        batch_size: int = 20,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: Callable[[int], timedelta] = default_backoff,
        retention: RetentionPolicy | None = None,
        purge_every: timedelta = DEFAULT_PURGE_EVERY,
    ) -> None:
        self.store = store
        self.handler = handler
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.retention = retention or RetentionPolicy()
        self.purge_every = purge_every
        self.stats = ProcessingStats()
        self._next_purge: datetime | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def process_pending(self) -> int:
        """Handle every event that is due now; returns how many were handled (whatever the outcome)."""
        handled = 0
        while batch := self.store.claim_pending(self.batch_size):
            for event in batch:
                self._handle(event)
                handled += 1
        return handled

    def _handle(self, event: InboxEvent) -> None:
        try:
            outcome = self.handler(event)
        except DeadEvent as error:
            logger.warning("Webhook %s is dead: %s", event.webhook_id, error)
            self.store.mark_dead(event.webhook_id, str(error))
            self.stats.dead += 1
            return
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"
            if event.attempts >= self.max_attempts:
                logger.error(
                    "Webhook %s failed %d times, giving up: %s", event.webhook_id, event.attempts, reason
                )
                self.store.mark_dead(event.webhook_id, f"gave up after {event.attempts} attempts: {reason}")
                self.stats.dead += 1
            else:
                logger.warning(
                    "Webhook %s failed (attempt %d), will retry: %s", event.webhook_id, event.attempts, reason
                )
                self.store.retry_later(event.webhook_id, reason, delay=self.backoff(event.attempts))
                self.stats.retried += 1
            return
        self.store.mark_processed(event.webhook_id, outcome=outcome)
        self.stats.processed += 1
        logger.info("Webhook %s (%s) processed", event.webhook_id, event.event_type or "unknown type")

    def purge_if_due(self) -> PurgeResult | None:
        """Run the retention purge when ``purge_every`` has passed since the last one (or never ran)."""
        now = self.store.clock()
        if self._next_purge is not None and now < self._next_purge:
            return None
        self._next_purge = now + self.purge_every
        result = self.store.purge(self.retention)
        if result.events or result.seen_ids:
            logger.info("Purged %d processed events and %d remembered ids", result.events, result.seen_ids)
        return result

    # Running in the background

    def wake(self) -> None:
        """Ask the background loop to look for work now (the receiver calls this after a store)."""
        self._wake.set()

    def start(self, *, poll_interval: float = 5.0) -> None:
        """Run the processing loop in a daemon thread until :meth:`stop`.

        The loop wakes when :meth:`wake` is called, and every ``poll_interval`` seconds anyway, to pick
        up retries that came due and events stored by other processes.
        """
        if self._thread is not None:
            raise RuntimeError("the processor is already running")
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(poll_interval,), name="incidentkit-processor", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the background loop after the event in hand, and wait for it."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self, poll_interval: float) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.process_pending()
                self.purge_if_due()
            except Exception:
                # The store may be briefly unavailable; events stay pending and the next round retries.
                logger.exception("The webhook processor failed a round; retrying")
            self._wake.wait(poll_interval)
