"""The routing core: one request in, one response out, with no I/O of its own.

The same core answers as an httpx2 ``MockTransport`` (:meth:`Emulator.transport`) and as an
ASGI app (:meth:`Emulator.asgi_app`), so a test with no sockets and a real server on loopback
see the same behaviour: authentication, scopes, rate limits, errors and state. Which handler
answers which path is the route table's (:mod:`~incidentkit.emulator.routes`).
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentkit.emulator.call import Call, Raw
from incidentkit.emulator.delivery import DeliveryWorker, WebhookSender, wants
from incidentkit.emulator.dispatch import find_route
from incidentkit.emulator.errors import APIError
from incidentkit.emulator.faults import Fault
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.limits import RateLimiter
from incidentkit.emulator.routes import role_for_scope
from incidentkit.emulator.schema_validation import check_body
from incidentkit.emulator.seed import add_generated_incidents, build_state
from incidentkit.emulator.state import (
    FULL_ACCESS_ROLES,
    READ_ONLY_ROLES,
    APIKey,
    Record,
    load_state,
    save_state,
)
from incidentkit.httpbody import BodyNotJSON, parse_json
from incidentkit.timeutil import utc_now
from incidentkit.webhooks.verify import WebhookVerifier
from incidentkit.wire import new_webhook_secret

if TYPE_CHECKING:
    import httpx2
    from starlette.applications import Starlette

SANDBOX_API_KEY = "incidentkit-sandbox-key"
"""The key an emulator accepts when it is given none: documented, so anyone can try it."""

MAX_BODY_BYTES = 1024 * 1024
ADMIN_PREFIX = "/_emulator/"

EventListener = Callable[[str, Record], None]


@dataclass(frozen=True)
class EmulatorRequest:
    """An HTTP request, reduced to what the core needs. Header names are lower-case."""

    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class EmulatorResponse:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Emulator:
    """incident.io on your machine: the API's paths, payloads, errors, pagination and rate limits.

    Args:
        seed: the organisation to start from: ``default``, ``demo`` or ``empty``.
        state_file: a JSON file that keeps the state across restarts; loaded when it exists.
        api_keys: keys with full access. Without any, :data:`SANDBOX_API_KEY` is accepted.
        read_only_keys: keys that may only read.
        rate_limit: requests a minute per key (incident.io's default is 1,200); ``None`` for no limit.
        clock: the current time, an aware datetime (the same kind of clock as the store's and the
            engine's); injectable so tests control time without sleeping.
        random_seed: makes generated ids repeatable.
        cursor_on_full_page: answer a list page that is exactly full with an ``after`` cursor even
            when it is the last one (the next page is then empty), as incident.io does; ``False``
            gives the last page no cursor.

    Example:
        >>> from incidentkit.api import Client
        >>> emulator = Emulator(seed="demo")
        >>> client = Client(SANDBOX_API_KEY, transport=emulator.transport())
        >>> [s.name for s in client.severities.list()]
        ['Critical', 'Major', 'Minor']
    """

    def __init__(
        self,
        *,
        seed: str = "default",
        state_file: Path | str | None = None,
        api_keys: Iterable[str] = (),
        read_only_keys: Iterable[str] = (),
        rate_limit: int | None = 1200,
        clock: Callable[[], datetime] = utc_now,
        random_seed: int | str | None = None,
        cursor_on_full_page: bool = True,
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.cursor_on_full_page = cursor_on_full_page
        self.state_file = Path(state_file) if state_file is not None else None
        self._lock = threading.RLock()
        self._rng = random.Random(random_seed)
        self._faults: list[Fault] = []
        self._listeners: list[EventListener] = []
        self._limiter = RateLimiter(rate_limit) if rate_limit is not None else None
        # Its own random stream, so queuing webhooks never shifts the ids the API generates.
        webhook_rng = random.Random(f"{random_seed}:webhooks") if random_seed is not None else None
        self.webhooks = WebhookSender(clock=clock, rng=webhook_rng)
        self._listeners.append(self._queue_webhooks)
        if self.state_file is not None and self.state_file.exists():
            self.state = load_state(self.state_file)
        else:
            self.state = build_state(seed, now=self._epoch())
        full, read_only = list(api_keys), list(read_only_keys)
        if not full:
            full = [SANDBOX_API_KEY]
        for secret in full:
            self.add_api_key(secret, name="Full access key", read_only=False)
        for secret in read_only:
            self.add_api_key(secret, name="Read-only key", read_only=True)
        self._persist()

    # Configuration, also reachable over HTTP under /_emulator/.

    def add_api_key(
        self, secret: str, *, name: str = "API key", read_only: bool = False, roles: list[str] | None = None
    ) -> APIKey:
        """Accept ``secret`` as a key; read-only keys get only the ``viewer`` role."""
        if not secret:
            raise ValueError("an API key cannot be empty")
        with self._lock:
            existing = self.state.api_keys.get(secret)
            key = APIKey(
                id=existing.id if existing else new_ulid(self._epoch(), self._rng),
                name=name,
                roles=list(roles or (READ_ONLY_ROLES if read_only else FULL_ACCESS_ROLES)),
            )
            self.state.api_keys[secret] = key
            self._persist()
            return key

    def reset(self, seed: str | None = None) -> None:
        """Start again from a seed (the current one by default); API keys and webhook endpoints stay."""
        with self._lock:
            self.seed = seed or self.seed
            fresh = build_state(self.seed, now=self._epoch())
            fresh.api_keys = self.state.api_keys
            fresh.webhook_endpoints = self.state.webhook_endpoints
            self.state = fresh
            self._faults.clear()
            self._persist()

    def add_incidents(self, count: int) -> int:
        """Add ``count`` generated incidents (for load tests and benchmarks); returns how many now exist.

        Raises:
            ValueError: ``count`` is out of range, or the organisation has no configuration to use.
        """
        with self._lock:
            add_generated_incidents(self.state, count, now=self._epoch(), rng=self._rng)
            self._persist()
            return len(self.state.incidents)

    def set_rate_limit(self, per_minute: int | None) -> None:
        """Change the limit (requests a minute per key); ``None`` turns it off."""
        with self._lock:
            self._limiter = RateLimiter(per_minute) if per_minute is not None else None

    def inject_fault(self, fault: Fault | None = None, **options: Any) -> Fault:
        """Make matching requests fail; see :class:`~incidentkit.emulator.faults.Fault` for the options."""
        with self._lock:
            added = fault or Fault(**options)
            self._faults.append(added)
            return added

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def subscribe(self, listener: EventListener) -> None:
        """Call ``listener(event_type, payload)`` for every webhook event the API's changes cause."""
        self._listeners.append(listener)

    def register_webhook(
        self, url: str, *, secret: str | None = None, event_types: list[str] | None = None
    ) -> Record:
        """Register an endpoint that should receive the organisation's webhooks.

        Args:
            url: where to POST deliveries.
            secret: the signing secret, ``whsec_<base64>``; one is generated when none is given.
            event_types: the event types to send; all of them when empty.

        Returns:
            The endpoint, including its secret (the only time the secret is shown).

        Raises:
            ValueError: the secret is not ``whsec_`` followed by base64 (the message never shows it).
        """
        if secret is not None:
            WebhookVerifier([secret])  # raises InvalidSecretError, a ValueError, when malformed
        with self._lock:
            endpoint: Record = {
                "id": new_ulid(self._epoch(), self._rng),
                "url": url,
                "secret": secret or new_webhook_secret(self._rng.randbytes),
                "event_types": list(event_types or []),
            }
            self.state.webhook_endpoints.append(endpoint)
            self._persist()
            return endpoint

    def _queue_webhooks(self, event_type: str, envelope: Record) -> None:
        for endpoint in self.state.webhook_endpoints:
            if wants(endpoint, event_type):
                self.webhooks.enqueue(endpoint, event_type, envelope)

    def deliver_webhooks(self, now: datetime | None = None) -> int:
        """Send the webhook attempts due at ``now`` (the clock's time by default); returns how many.

        This is how tests and the transport mode drain the queue; a served emulator delivers in the
        background instead (:meth:`deliver_in_background`).
        """
        return len(self.webhooks.deliver_due(now))

    def deliver_in_background(self) -> DeliveryWorker:
        """Start a thread that delivers webhooks as they fall due; call ``stop()`` on the result to end it."""
        return DeliveryWorker(self.webhooks).start()

    # Serving.

    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        """Answer one request, as incident.io would."""
        request_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        with self._lock:
            try:
                if request.path.startswith(ADMIN_PREFIX):
                    from incidentkit.emulator.admin import handle_admin

                    status, body = handle_admin(self, request)
                    return _json_response(status, body, {})
                return self._handle_api(request, request_id)
            except APIError as error:
                return error_response(error, request_id)

    def _handle_api(self, request: EmulatorRequest, request_id: str) -> EmulatorResponse:
        fault = next(
            (f for f in self._faults if f.matches(request.method, request.path) and f.trigger()), None
        )
        if fault is not None and not fault.processed:
            return _fault_response(fault, request_id)
        try:
            response = self._authorised_call(request, request_id)
        except APIError as error:
            response = error_response(error, request_id)
        return _fault_response(fault, request_id) if fault is not None else response

    def _authorised_call(self, request: EmulatorRequest, request_id: str) -> EmulatorResponse:
        route, params = find_route(request.method, request.path)
        # A public operation (an alert source's HTTP events) is authenticated by its handler instead.
        key = (
            APIKey(f"public:{request.path}", "Unauthenticated", [])
            if route.public
            else self._authenticate(request)
        )
        headers: dict[str, str] = {}
        now = self._epoch()
        if self._limiter is not None:
            decision = self._limiter.take(key.id, now)
            headers = decision.headers()
            if not decision.allowed:
                return _rate_limited(decision.limit, decision.retry_after, now, request_id, headers)
        if route.scope is not None and not ({"global_access", role_for_scope(route.scope)} & set(key.roles)):
            raise APIError(
                403,
                f"This API key lacks the scope {route.scope!r} needed for {request.method} {request.path}",
                code="missing_scope",
            )
        if len(request.body) > MAX_BODY_BYTES:
            raise APIError(
                413, f"The request body is larger than {MAX_BODY_BYTES} bytes", code="payload_too_large"
            )
        try:
            body = parse_json(request.body)
        except BodyNotJSON as error:
            raise APIError(400, str(error), code="invalid_json") from None
        check_body(route.method, route.template, body)
        events: list[tuple[str, Record]] = []
        call = Call(
            state=self.state,
            key=key,
            path_params=params,
            query=request.query,
            body=body,
            now=now,
            rng=self._rng,
            emit=lambda event_type, payload: events.append((event_type, payload)),
            cursor_on_full_page=self.cursor_on_full_page,
            headers=request.headers,
        )
        status, payload = route.handler(call)
        if call.changed:
            self._persist()
        if isinstance(payload, Raw):
            response = EmulatorResponse(
                status, payload.content, {"Content-Type": payload.content_type, **payload.headers, **headers}
            )
        else:
            response = _json_response(status, payload, headers)
        for event_type, event in events:
            for listener in self._listeners:
                listener(event_type, {"event_type": event_type, event_type: event})
        return response

    def _authenticate(self, request: EmulatorRequest) -> APIKey:
        authorization = request.headers.get("authorization", "")
        if not authorization:
            raise APIError(
                401, "No authorization material provided in request", code="missing_authorization_material"
            )
        scheme, _, secret = authorization.partition(" ")
        key = self.state.api_keys.get(secret.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            # Never echo the key back: it may be a real one sent to the wrong place.
            raise APIError(401, "The API key provided is not valid", code="invalid_authorization_material")
        return key

    def _epoch(self) -> float:
        """The clock's time in epoch seconds, the unit the state, ids and rate limits count in."""
        return self.clock().timestamp()

    def _persist(self) -> None:
        if self.state_file is not None:
            save_state(self.state, self.state_file)

    def transport(self) -> httpx2.MockTransport:
        """An httpx2 transport that answers from this emulator, for sync and async clients alike."""
        import httpx2

        def answer(request: httpx2.Request) -> httpx2.Response:
            reply = self.handle(
                EmulatorRequest(
                    method=request.method,
                    path=request.url.path,
                    query=list(request.url.params.multi_items()),
                    headers={name.lower(): value for name, value in request.headers.items()},
                    body=request.read(),
                )
            )
            return httpx2.Response(reply.status, content=reply.body, headers=reply.headers)

        return httpx2.MockTransport(answer)

    def asgi_app(self) -> Starlette:
        """The emulator as an ASGI app, for uvicorn (see :mod:`incidentkit.serving`)."""
        from incidentkit.emulator.asgi import build_app

        return build_app(self)


def error_response(error: APIError, request_id: str) -> EmulatorResponse:
    """The API's error envelope for ``error``, with the headers it needs (a 405's ``Allow``)."""
    return _json_response(error.status, error.body(request_id), error.headers)


def _json_response(status: int, body: Any, headers: dict[str, str]) -> EmulatorResponse:
    content = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
    return EmulatorResponse(status, content, {"Content-Type": "application/json", **headers})


def _rate_limited(
    limit: int, retry_after: int, now: float, request_id: str, headers: dict[str, str]
) -> EmulatorResponse:
    error = APIError(
        429,
        "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
        code="too_many_requests",
    )
    body = error.body(request_id)
    body["rate_limit"] = {
        "name": "api_key_name",
        "limit": limit,
        "remaining": 0,
        "retry_after": rfc3339(now + retry_after).split(".")[0] + "Z",
    }
    return _json_response(429, body, {**headers, "Retry-After": str(retry_after)})


def _fault_response(fault: Fault, request_id: str) -> EmulatorResponse:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if fault.malformed:
        return EmulatorResponse(
            fault.status, b"<html>upstream error</html>", {"Content-Type": "text/html", **headers}
        )
    body = APIError(fault.status, f"Injected fault: HTTP {fault.status}", code="injected_fault").body(
        request_id
    )
    return _json_response(fault.status, body, headers)
