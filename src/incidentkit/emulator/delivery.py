"""Delivering the emulator's webhooks the way incident.io's provider (Svix) does: signed, retried, visible.

Every event the API's changes cause becomes one *message* per registered endpoint that wants it.
A message keeps its ``webhook-id`` across attempts and is signed afresh (a new ``webhook-timestamp``)
on each one. A failed attempt (a non-2xx answer, a refused connection, a timeout) is tried again
on Svix's schedule, cut at 24 hours: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h and 10 h after
the attempt before.

Time comes from the emulator's clock and nothing here sleeps: :meth:`WebhookSender.deliver_due`
sends what is due at a given moment, so tests (and the MockTransport mode) drain the queue
explicitly, while ``incidentkit emulator serve`` runs a :class:`DeliveryWorker` thread. Messages live
in memory only: a restarted emulator starts with an empty queue (its endpoints are kept in the state file).
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from incidentkit.background import BackgroundLoop
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.webhooks.verify import signed_headers

if TYPE_CHECKING:
    import httpx2

Record = dict[str, Any]

logger = logging.getLogger(__name__)

RETRY_SCHEDULE: tuple[float, ...] = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600)
"""Seconds to wait before each attempt, counted from the attempt before (Svix's schedule up to 24 h)."""

DELIVERY_TIMEOUT = 15.0
"""Seconds an endpoint has to answer one attempt (Svix allows 15)."""

USER_AGENT = "incidentkit-emulator-webhooks/1 (Svix-compatible)"
MAX_ERROR_CHARS = 200

MessageState = Literal["pending", "delivered", "failed"]


@dataclass
class Attempt:
    """One try at delivering a message."""

    number: int
    scheduled_at: float
    sent_at: float
    status_code: int | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def to_json(self) -> Record:
        return {
            "attempt": self.number,
            "scheduled_at": rfc3339(self.scheduled_at),
            "sent_at": rfc3339(self.sent_at),
            "status_code": self.status_code,
            "error": self.error,
            "succeeded": self.succeeded,
        }


@dataclass
class Message:
    """One event for one endpoint: the body is fixed when the event happens; attempts follow."""

    id: str
    endpoint_id: str
    url: str
    secret: str = field(repr=False)
    event_type: str
    body: bytes = field(repr=False)
    created_at: float
    next_attempt_at: float | None
    state: MessageState = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    in_flight: bool = False

    def to_json(self) -> Record:
        """What the admin endpoint shows: everything but the secret."""
        return {
            "id": self.id,
            "endpoint_id": self.endpoint_id,
            "url": self.url,
            "event_type": self.event_type,
            "state": self.state,
            "created_at": rfc3339(self.created_at),
            "next_attempt_at": rfc3339(self.next_attempt_at) if self.next_attempt_at is not None else None,
            "attempts": [attempt.to_json() for attempt in self.attempts],
            "payload": json.loads(self.body),
        }


def wants(endpoint: Record, event_type: str) -> bool:
    """Whether an endpoint subscribed to an event type (no list means every type)."""
    chosen = endpoint.get("event_types") or []
    return not chosen or event_type in chosen


class WebhookSender:
    """A queue of signed webhook messages, sent when due and retried on a schedule.

    Args:
        clock: the current time, an aware datetime; the emulator's clock, so tests move time by hand.
        rng: makes message ids repeatable.
        schedule: seconds before each attempt, counted from the previous attempt; its length is the
            number of attempts.
        client: the httpx2 client that posts (the caller closes it); by default each batch of
            attempts uses its own client with a 15 s timeout and no redirects, closed afterwards.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
        schedule: Sequence[float] = RETRY_SCHEDULE,
        client: httpx2.Client | None = None,
    ) -> None:
        if not schedule:
            raise ValueError("the retry schedule needs at least one attempt")
        self.clock = clock
        self.schedule = tuple(schedule)
        self._rng = rng or random.Random()
        self._client = client
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self._listeners: list[Callable[[], None]] = []

    def on_enqueue(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` whenever a message is queued (the background worker wakes up on it)."""
        self._listeners.append(listener)

    def enqueue(self, endpoint: Record, event_type: str, envelope: Record) -> Message:
        """Queue one event for one endpoint; its first attempt is due now."""
        now = self.clock().timestamp()
        with self._lock:
            message = Message(
                id="msg_" + new_ulid(now, self._rng),
                endpoint_id=endpoint["id"],
                url=endpoint["url"],
                secret=endpoint["secret"],
                event_type=event_type,
                # Serialised now: later changes to the incident must not leak into this event.
                body=json.dumps(envelope, separators=(",", ":")).encode(),
                created_at=now,
                next_attempt_at=now + self.schedule[0],
            )
            self._messages.append(message)
        for listener in self._listeners:
            listener()
        return message

    def messages(self) -> list[Message]:
        """Every message so far, oldest first."""
        with self._lock:
            return list(self._messages)

    def next_due(self) -> datetime | None:
        """When the next attempt is due, or ``None`` when nothing is waiting."""
        with self._lock:
            due = [
                m.next_attempt_at for m in self._messages if m.next_attempt_at is not None and not m.in_flight
            ]
        return datetime.fromtimestamp(min(due), UTC) if due else None

    def deliver_due(self, now: datetime | None = None) -> list[Attempt]:
        """Send every attempt due at ``now`` (the clock's time by default); returns the attempts made.

        Messages are claimed under a lock and sent outside it, so two callers never send one attempt
        twice, and an endpoint that calls back into the emulator cannot deadlock it.
        """
        moment = (self.clock() if now is None else now).timestamp()
        with self._lock:
            due = [
                m
                for m in self._messages
                if m.next_attempt_at is not None and m.next_attempt_at <= moment and not m.in_flight
            ]
            for message in due:
                message.in_flight = True
        if not due:
            return []
        ordered = sorted(due, key=lambda m: m.next_attempt_at or 0)
        if self._client is not None:
            return [self._attempt(self._client, message, moment) for message in ordered]
        # A client per batch, closed at once: no sockets outlive the call, whoever owns the emulator.
        import httpx2

        with httpx2.Client(timeout=DELIVERY_TIMEOUT, follow_redirects=False) as client:
            return [self._attempt(client, message, moment) for message in ordered]

    def _attempt(self, client: httpx2.Client, message: Message, moment: float) -> Attempt:
        scheduled = message.next_attempt_at if message.next_attempt_at is not None else moment
        attempt = Attempt(number=len(message.attempts) + 1, scheduled_at=scheduled, sent_at=moment)
        try:
            headers = {
                **signed_headers(message.secret, message.id, message.body, int(moment)),
                "content-type": "application/json",
                "user-agent": USER_AGENT,
            }
            response = client.post(message.url, content=message.body, headers=headers)
            attempt.status_code = response.status_code
            if not attempt.succeeded:
                attempt.error = f"HTTP {response.status_code}"
        except Exception as error:  # any failure to sign or get an answer is a failed attempt, never a crash
            attempt.error = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
        with self._lock:
            message.attempts.append(attempt)
            message.in_flight = False
            if attempt.succeeded:
                message.state, message.next_attempt_at = "delivered", None
            elif attempt.number >= len(self.schedule):
                message.state, message.next_attempt_at = "failed", None
            else:
                message.next_attempt_at = moment + self.schedule[attempt.number]
        return attempt


class DeliveryWorker:
    """A background thread that sends webhook attempts as they fall due (for a served emulator).

    It wakes as soon as a message is queued, and otherwise when the next attempt falls due.

    Args:
        sender: the queue to drain.
        max_wait: the longest nap in seconds, so a clock that jumps ahead is noticed.
    """

    def __init__(self, sender: WebhookSender, *, max_wait: float = 1.0) -> None:
        self.sender = sender
        self.max_wait = max_wait
        self._loop = BackgroundLoop(
            "incidentkit-webhooks",
            self._round,
            interval=max_wait,
            logger=logger,
            failing="webhook delivery failing",
            recovered="webhook delivery working again",
        )
        sender.on_enqueue(self._loop.wake)

    def start(self) -> DeliveryWorker:
        """Start the thread; returns the worker."""
        self._loop.start()
        return self

    def stop(self) -> None:
        """Stop after the attempt in progress, if any."""
        self._loop.stop()

    def _round(self) -> float:
        self.sender.deliver_due()
        due = self.sender.next_due()
        if due is None:
            return self.max_wait
        return min(self.max_wait, max(0.0, (due - self.sender.clock()).total_seconds()))
