"""The webhook receiver: an ASGI app that verifies incident.io deliveries and makes them durable.

``POST /api/webhooks/ingest/incident-io`` reads the raw body (refusing, with 413, any body over the
limit before reading past it), verifies the signature, and stores the delivery in the inbox keyed
by its ``webhook-id``. Only then does it answer, with no body: 202 for a new delivery, 200 for one
already stored (incident.io retries until it gets a 2xx, so a duplicate must still succeed). Deliveries
arriving together are committed together (:class:`InboxWriter`, a group commit). Nothing is
processed on the request path; a :class:`~incidentkit.webhooks.processor.Processor` claims the
stored events afterwards.

Every verification failure is a 4xx with a short reason; a store that cannot be written is a 503, so
incident.io keeps the delivery and retries. No answer or log line contains a secret.

``GET /readyz`` answers 200 while the store takes writes (a small write, made at most every
1.5 s) and 503 otherwise, for a load balancer deciding where deliveries go; ``GET /healthz`` also
needs the background parts (the processor, the workflow workers) to be running, for a supervisor
deciding what to restart. Both say in their JSON body which part is failing and why.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from incidentkit.httpbody import BodyTooLarge, read_limited_body
from incidentkit.store import NewEvent, Store, keep_headers
from incidentkit.webhooks.verify import WebhookVerificationError, WebhookVerifier

logger = logging.getLogger(__name__)

INGEST_PATH = "/api/webhooks/ingest/incident-io"
DEFAULT_PORT = 8700
"""The port ``incidentkit serve`` listens on by default (and where ``webhooks test`` sends)."""
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
HEALTH_CACHE_SECONDS = 1.5
"""How long one write probe of the store answers for: health checks come often, writes cost."""
# incident.io's largest payloads (an incident with its custom fields) are tens of kilobytes.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class StoreProbe:
    """Whether the store takes writes now: one small write, its answer kept for ``cache_seconds``.

    Args:
        store: the store to probe.
        cache_seconds: how long one probe's answer stands.
        clock: monotonic seconds; injectable for tests.
    """

    def __init__(
        self,
        store: Store,
        *,
        cache_seconds: float = HEALTH_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._problem: str | None = None

    def problem(self) -> str | None:
        """None when the store takes writes; else what went wrong (the error's type and first line)."""
        with self._lock:
            now = self.clock()
            if self._checked_at is None or now - self._checked_at >= self.cache_seconds:
                try:
                    self.store.probe_write()
                except Exception as error:
                    first_line = (str(getattr(error, "orig", None) or error).splitlines() or [""])[0]
                    self._problem = f"cannot write: {type(error).__name__}: {first_line}".rstrip(": ")
                else:
                    self._problem = None
                self._checked_at = self.clock()
            return self._problem


# The envelope incident.io sends opens with its event type: ``{"event_type": "public_incident...", ...``.
_LEADING_EVENT_TYPE = re.compile(
    rb'[ \t\n\r]*\{[ \t\n\r]*"event_type"[ \t\n\r]*:[ \t\n\r]*'  # JSON's own whitespace only
    rb'"([^"\\\x00-\x1f]+)"'  # a plain string: no escapes, no control characters
)


def event_type_of(body: bytes) -> str | None:
    """The envelope's ``event_type`` for listing and filtering, or None when the body has none.

    Parsing a whole body (kilobytes of incident) costs more than everything else the receiver
    does for a delivery, so an envelope that opens with ``"event_type"`` (as incident.io's do),
    naming it only once and without escapes, is read from its first bytes. Anything else is parsed
    in full. The processor parses the body anyway; a body that is not JSON is stored all the same.
    """
    match = _LEADING_EVENT_TYPE.match(body)
    if match is not None and body.count(b'"event_type"') == 1:
        try:
            return match.group(1).decode()
        except UnicodeDecodeError:
            return None  # not UTF-8, so not JSON
    try:
        envelope = json.loads(body)
    except ValueError:
        return None
    event_type = envelope.get("event_type") if isinstance(envelope, dict) else None
    return event_type if isinstance(event_type, str) and event_type else None


class InboxWriter:
    """Group commit for the receiver: deliveries that arrive together share one transaction.

    Each request hands its delivery over and waits until the transaction holding it has committed,
    so nothing is acknowledged before it is durable. While one batch commits (in a worker thread),
    the next deliveries queue up and go together in the following one. Under light load a batch is
    a single delivery and nothing waits; under heavy load one flush to disk serves many deliveries,
    and SQLite's single write lock is never fought over by many threads.

    It lives on one event loop (the server's); all of its state is touched only from that loop.
    """

    def __init__(self, store: Store, *, max_batch: int = 256) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: list[tuple[NewEvent, asyncio.Future[bool]]] = []
        self._flushing = False
        self._flusher: asyncio.Task[None] | None = None  # held: the loop keeps only a weak reference
        # One thread of its own, not the shared pool: batches are committed one at a time anyway,
        # and handing work to a plain executor costs less per batch than going through anyio.
        self._writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="incidentkit-inbox")

    async def insert(self, event: NewEvent) -> bool:
        """Store one delivery (in the next batch); True when new, False for a duplicate.

        Raises:
            Exception: whatever the store raised for this delivery's transaction.
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((event, future))
        if not self._flushing:
            self._flushing = True
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                await self._commit(batch)
        finally:
            self._flushing = False

    async def _commit(self, batch: list[tuple[NewEvent, asyncio.Future[bool]]]) -> None:
        try:
            results = await asyncio.get_running_loop().run_in_executor(
                self._writer_thread, self.store.insert_events, [event for event, _ in batch]
            )
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0][1], error=error)
                return
            # One bad delivery must not fail the others: store each on its own.
            for item in batch:
                await self._commit([item])
            return
        for (_, future), is_new in zip(batch, results, strict=True):
            _settle(future, result=is_new)


def _settle(future: asyncio.Future[bool], *, result: bool = False, error: Exception | None = None) -> None:
    if future.done():  # the request went away (client disconnected); nothing to tell it
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


def create_receiver_app(
    store: Store,
    verifier: WebhookVerifier,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    on_stored: Callable[[], None] | None = None,
    alive: Mapping[str, Callable[[], bool]] | None = None,
    probe: StoreProbe | None = None,
) -> Starlette:
    """The receiver as an ASGI app.

    Args:
        store: where deliveries are made durable.
        verifier: checks signatures and timestamps (fails closed with no secret).
        max_body_bytes: larger bodies are refused with 413.
        on_stored: called after each new delivery is stored, to wake the processor.
        alive: background parts ``/healthz`` checks, by name (``processor``, ``workers``): each
            says whether it is running.
        probe: how ``/healthz`` and ``/readyz`` tell whether the store takes writes.
    """

    writer = InboxWriter(store)
    probe = probe or StoreProbe(store)
    parts = dict(alive or {})

    async def ingest(request: Request) -> Response:
        try:
            body = await read_limited_body(request, max_body_bytes)
        except BodyTooLarge:
            return _error(413, f"the body is larger than the {max_body_bytes} bytes this receiver accepts")
        except ClientDisconnect:
            return _error(400, "the client disconnected before sending the whole body")
        try:
            webhook_id = verifier.verify(request.headers, body)
        except WebhookVerificationError as error:
            status = getattr(error, "status_code", 401)
            logger.info("Refused a webhook delivery (%s): %s", status, error)
            return _error(status if 400 <= status < 500 else 401, str(error))
        delivery = NewEvent(webhook_id, body, keep_headers(request.headers.items()), event_type_of(body))
        try:
            is_new = await writer.insert(delivery)
        except Exception as error:
            # Not durable, so not acknowledged: incident.io will retry the delivery.
            logger.error("Could not store webhook %s: %s", webhook_id, type(error).__name__)
            return _error(503, "the event store is unavailable; retry later")
        # Success answers carry no body: the sender reads only the status, and an empty answer
        # leaves in one packet instead of two (headers, then body).
        if not is_new:
            return Response(status_code=200)  # already stored: acknowledge again, store nothing
        if on_stored is not None:
            on_stored()
        return Response(status_code=202)

    async def check(with_parts: bool) -> JSONResponse:
        problem = await run_in_threadpool(probe.problem)
        body: dict[str, Any] = {"store": problem or "ok"}
        healthy = problem is None
        if with_parts:
            for name, is_alive in parts.items():
                running = is_alive()
                body[name] = "running" if running else "stopped"
                healthy = healthy and running
        body = {"status": "ok" if healthy else "unavailable", **body}
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def health(_: Request) -> JSONResponse:
        return await check(with_parts=True)

    async def ready(_: Request) -> JSONResponse:
        return await check(with_parts=False)

    routes: list[Any] = [
        Route(INGEST_PATH, ingest, methods=["POST"]),
        Route(HEALTH_PATH, health, methods=["GET"]),
        Route(READY_PATH, ready, methods=["GET"]),
    ]
    return Starlette(routes=routes)
