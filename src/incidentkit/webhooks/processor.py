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
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from incidentkit.api.retry import rate_limit_wait
from incidentkit.background import BackgroundLoop, Heartbeat
from incidentkit.store import InboxEvent, PurgeResult, RetentionPolicy, Store
from incidentkit.store.errors import ClaimLostError
from incidentkit.store.store import DEFAULT_CLAIM_LEASE
from incidentkit.webhooks.errors import WebhookError

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_PURGE_EVERY = timedelta(hours=1)
DEFAULT_CHECKPOINT_EVERY = timedelta(minutes=1)
DEFAULT_RATE_LIMIT_WAIT = timedelta(seconds=30)
"""How long to wait before trying an event again after a 429 that named no wait."""


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

    Claims are short leases with this processor's name on them, renewed by a heartbeat while it
    works, so the claims of a processor that died come back within ``lease``; a processor whose
    lease ran out cannot finish an event another has claimed since. A finish that fails (the store
    went away) is tried again on the next rounds; meanwhile its claim runs out, so the event is
    never stuck.

    Args:
        store: the inbox.
        handler: what to do with each event.
        batch_size: events claimed per transaction.
        max_attempts: after this many failed attempts an event is marked dead.
        backoff: the delay before the next attempt, given the number of attempts made.
        retention: what :meth:`purge_if_due` deletes.
        purge_every: how often the purge runs.
        lease: how long an unrenewed claim holds.
        heartbeat: seconds between claim renewals (real time; a third of the lease by default).
        checkpoint_every: how often SQLite's write-ahead log is folded into the database.
        owner: this processor's name on its claims; random by default.
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
        lease: timedelta = DEFAULT_CLAIM_LEASE,
        heartbeat: float | None = None,
        checkpoint_every: timedelta = DEFAULT_CHECKPOINT_EVERY,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.handler = handler
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.retention = retention or RetentionPolicy()
        self.purge_every = purge_every
        self.lease = lease
        self.checkpoint_every = checkpoint_every
        self.owner = owner or "processor-" + secrets.token_hex(4)
        self.stats = ProcessingStats()
        self._next_purge: datetime | None = None
        self._next_checkpoint: datetime | None = None
        self._unsettled: list[Callable[[], None]] = []
        self._heartbeat = Heartbeat(
            heartbeat if heartbeat is not None else lease.total_seconds() / 3,
            name="incidentkit-processor-claims",
            logger=logger,
        )
        self._loop: BackgroundLoop | None = None

    def process_pending(self) -> int:
        """Handle every event that is due now; returns how many were handled (whatever the outcome).

        Finishes that failed earlier are tried first. When the background loop is stopping, the
        events claimed but not yet handled are given back at once, uncounted.
        """
        self.settle_unsettled()
        handled = 0
        while batch := self.store.claim_pending(self.batch_size, owner=self.owner, lease=self.lease):
            held = [event.webhook_id for event in batch]
            with self._heartbeat.beating(partial(self._renew, held)):
                for event in batch:
                    if self.stopping:
                        self._settle(partial(self.store.release, event.webhook_id, owner=self.owner))
                        continue
                    self._handle(event)
                    held.remove(event.webhook_id)
                    handled += 1
            if self.stopping:
                break
        return handled

    @property
    def stopping(self) -> bool:
        """Whether the background loop was asked to stop."""
        return self._loop is not None and self._loop.stopping

    def _renew(self, held: list[str]) -> None:
        self.store.renew_claims(list(held), self.owner)

    def _handle(self, event: InboxEvent) -> None:
        owner = self.owner
        try:
            outcome = self.handler(event)
        except DeadEvent as error:
            logger.warning("Webhook %s is dead: %s", event.webhook_id, error)
            self._settle(partial(self.store.mark_dead, event.webhook_id, str(error), owner=owner))
            self.stats.dead += 1
            return
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"
            waited = rate_limit_wait(error)
            if waited is not None:
                # Not the event's failure: try again when the API allows, without using an attempt.
                delay = timedelta(seconds=waited) if waited > 0 else DEFAULT_RATE_LIMIT_WAIT
                logger.info(
                    "Webhook %s rate limited; trying again in %.0f s", event.webhook_id, delay.total_seconds()
                )
                self._settle(
                    lambda: self.store.retry_later(
                        event.webhook_id, reason, delay=delay, owner=owner, count_attempt=False
                    )
                )
                self.stats.retried += 1
            elif event.attempts >= self.max_attempts:
                logger.error(
                    "Webhook %s failed %d times, giving up: %s", event.webhook_id, event.attempts, reason
                )
                given_up = f"gave up after {event.attempts} attempts: {reason}"
                self._settle(lambda: self.store.mark_dead(event.webhook_id, given_up, owner=owner))
                self.stats.dead += 1
            else:
                logger.warning(
                    "Webhook %s failed (attempt %d), will retry: %s", event.webhook_id, event.attempts, reason
                )
                delay = self.backoff(event.attempts)
                self._settle(
                    lambda: self.store.retry_later(event.webhook_id, reason, delay=delay, owner=owner)
                )
                self.stats.retried += 1
            return
        self._settle(lambda: self.store.mark_processed(event.webhook_id, outcome=outcome, owner=owner))
        self.stats.processed += 1
        logger.info("Webhook %s (%s) processed", event.webhook_id, event.event_type or "unknown type")

    def _settle(self, finish: Callable[[], None]) -> None:
        """Record an event's outcome; when the store fails, keep it to try again next round."""
        try:
            finish()
        except ClaimLostError as error:
            logger.warning("%s; leaving the event to it", error)
        except Exception:
            self._unsettled.append(finish)
            raise

    def settle_unsettled(self) -> None:
        """Record again the outcomes the store refused (their claims lapse meanwhile, so none waits)."""
        while self._unsettled:
            finish = self._unsettled[0]
            try:
                finish()
            except ClaimLostError as error:
                logger.warning("%s; leaving the event to it", error)
            self._unsettled.pop(0)

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

    def checkpoint_if_due(self) -> int | None:
        """Checkpoint SQLite's write-ahead log every ``checkpoint_every``; the log's size, or None."""
        now = self.store.clock()
        if self._next_checkpoint is not None and now < self._next_checkpoint:
            return None
        self._next_checkpoint = now + self.checkpoint_every
        return self.store.checkpoint()

    def run_round(self) -> None:
        """One round of the background loop: process what is due, then the scheduled upkeep."""
        self.process_pending()
        self.purge_if_due()
        self.checkpoint_if_due()

    # Running in the background

    @property
    def alive(self) -> bool:
        """Whether the background loop is running."""
        return self._loop is not None and self._loop.alive

    def wake(self) -> None:
        """Ask the background loop to look for work now (the receiver calls this after a store)."""
        if self._loop is not None:
            self._loop.wake()

    def start(self, *, poll_interval: float = 5.0) -> None:
        """Run the processing loop in a daemon thread until :meth:`stop`.

        The loop wakes when :meth:`wake` is called, and every ``poll_interval`` seconds anyway, to pick
        up retries that came due and events stored by other processes. While the store is
        unavailable it logs one line when that starts and one when it ends.
        """
        if self._loop is not None:
            raise RuntimeError("the processor is already running")
        self._loop = BackgroundLoop(
            "incidentkit-processor", self._round, interval=poll_interval, logger=logger
        )
        self._loop.start()

    def _round(self) -> None:
        self.run_round()

    def stop(self) -> None:
        """Stop the background loop after the event in hand (the others claimed are given back), and wait."""
        loop = self._loop
        if loop is not None:
            loop.stop()
        self._loop = None
        self._heartbeat.close()
