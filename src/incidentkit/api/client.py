"""The incident.io clients: :class:`Client` (blocking) and :class:`AsyncClient`.

Both own the same parts: authentication, the rate limiter, retries and the organisation
catalogue. They differ only in how they wait and send; every operation is shared (see
:mod:`incidentkit.api.operations`).
"""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx2

from incidentkit import __version__
from incidentkit.api.catalog import Catalog
from incidentkit.api.config import BASE_URL_VARIABLE, api_key_from_env, base_url_from_env, check_base_url
from incidentkit.api.core import INVALID_JSON, APIRequest, Op, Params, decode_body, read_response
from incidentkit.api.errors import (
    APIConnectionError,
    APIStatusError,
    ConfigurationError,
    ReadOnlyError,
    WriteHeldError,
)
from incidentkit.api.ratelimit import TokenBucket
from incidentkit.api.resources import (
    AsyncCustomFields,
    AsyncFollowUps,
    AsyncIdentity,
    AsyncIncidentRoles,
    AsyncIncidents,
    AsyncIncidentStatuses,
    AsyncIncidentTypes,
    AsyncIncidentUpdates,
    AsyncSeverities,
    AsyncTimelineItems,
    AsyncUsers,
    CustomFields,
    FollowUps,
    Identity,
    IncidentRoles,
    Incidents,
    IncidentStatuses,
    IncidentTypes,
    IncidentUpdates,
    Severities,
    TimelineItems,
    Users,
)
from incidentkit.api.retry import Attempt, RetryPolicy, decide

T = TypeVar("T")

logger = logging.getLogger("incidentkit.api")

DEFAULT_TIMEOUT = 30.0

# Per-call timeout caps set by ``timeout_cap`` blocks, by client id. A context variable keeps a cap
# to the thread (or asyncio task) that set it, so workers sharing one client do not bound each other.
_TIMEOUT_CAPS: ContextVar[Mapping[int, float] | None] = ContextVar(
    "incidentkit_client_timeout_caps", default=None
)
# Clients (by id) whose writes are held by a ``hold_writes`` block in this thread or task.
_HELD_WRITES: ContextVar[frozenset[int]] = ContextVar("incidentkit_client_held_writes", default=frozenset())
# Connection failures that happen before a request leaves are safe to retry for any request.
_NOT_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)

OnWait = Callable[[str, float, int], None]
"""``on_wait(reason, seconds, attempt)``: called before every wait, with what is waited for (a sentence
such as ``"rate limited by incident.io"``), how long, and the number of the attempt that follows."""


async def _asyncio_sleep(seconds: float) -> None:
    import asyncio  # imported here so that blocking users never pay for asyncio

    await asyncio.sleep(seconds)


def _tls_context(base_url: str) -> ssl.SSLContext | bool:
    """Certificate checking for the base URL: the usual trusted CAs for https.

    A plain-http base URL (an emulator on loopback) is never spoken to over TLS, so it gets a
    context that trusts no certificate at all instead of paying to load the CA bundle: should a
    TLS connection ever be attempted with it, verification fails closed.
    """
    if base_url.startswith("http://"):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names; trusts none
    return True


class _BaseClient:
    """What both clients share: configuration, rate limiter, retry policy and catalogue."""

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | None,
        read_only: bool,
        retry: RetryPolicy | None,
        rate_limit: TokenBucket | float | None,
        now: Callable[[], datetime] | None,
        rng: Callable[[], float] | None,
        timeout: float = DEFAULT_TIMEOUT,
        on_wait: OnWait | None = None,
        max_wait: float | None = None,
    ) -> None:
        key = api_key if api_key is not None else api_key_from_env()
        if not key:
            raise ConfigurationError(
                "no incident.io API key: pass api_key=..., or set INCIDENT_IO_API_KEY "
                "(or INCIDENTIO_API_KEY) in the environment"
            )
        self._api_key = key
        if base_url:
            self.base_url = check_base_url(base_url)
        else:
            self.base_url = check_base_url(base_url_from_env(), where=BASE_URL_VARIABLE)
        if max_wait is not None and max_wait < 0:
            raise ConfigurationError(f"max_wait must be 0 or more seconds, not {max_wait!r}")
        self.on_wait = on_wait
        self.max_wait = max_wait
        self.read_only = read_only
        self.retry_policy = retry or RetryPolicy()
        if rate_limit is None or isinstance(rate_limit, TokenBucket):
            self.rate_limiter = rate_limit
        else:
            self.rate_limiter = TokenBucket.per_minute(rate_limit)
        self._now = now or (lambda: datetime.now(UTC))
        self._rng = rng or random.random
        self.timeout = timeout
        self.catalog = Catalog()

    def __repr__(self) -> str:
        # Never the key, not even a part of it.
        mode = ", read_only=True" if self.read_only else ""
        return f"{type(self).__name__}(base_url={self.base_url!r}{mode})"

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": f"incidentkit/{__version__}",
        }

    def _check_writable(self, request: APIRequest) -> None:
        if not request.is_write:
            return
        if self.read_only:
            raise ReadOnlyError(
                f"refusing {request.method} {request.path}: this client is read-only, so nothing was sent"
            )
        if id(self) in _HELD_WRITES.get():
            raise WriteHeldError(request.method, request.path, request.json)

    @contextmanager
    def hold_writes(self) -> Iterator[None]:
        """Within the block, reads are sent but the first write raises :class:`WriteHeldError` unsent.

        A dry run uses it: an operation runs for real up to the write it would make (resolving
        references, names and statuses on the way), and the error says exactly what that write
        would have sent. Like :meth:`timeout_cap`, it applies to this thread (or asyncio task) only.
        """
        token = _HELD_WRITES.set(_HELD_WRITES.get() | {id(self)})
        try:
            yield
        finally:
            _HELD_WRITES.reset(token)

    @contextmanager
    def timeout_cap(self, seconds: float) -> Iterator[None]:
        """Within the block, this client waits at most ``seconds`` for each response.

        The cap applies to the calls this thread (or asyncio task) makes; other threads sharing
        the client keep their own. It only ever shortens the client's ``timeout``. The workflow
        engine uses it so a step's ``timeout:`` bounds its incident.io calls.

        Example:
            >>> with client.timeout_cap(5.0):  # doctest: +SKIP
            ...     client.incidents.get("01H...")
        """
        if seconds <= 0:
            raise ValueError(f"timeout_cap needs a positive number of seconds, not {seconds!r}")
        token = _TIMEOUT_CAPS.set({**(_TIMEOUT_CAPS.get() or {}), id(self): seconds})
        try:
            yield
        finally:
            _TIMEOUT_CAPS.reset(token)

    def _httpx_args(self, request: APIRequest) -> dict[str, Any]:
        cap = (_TIMEOUT_CAPS.get() or {}).get(id(self))
        return {
            "method": request.method,
            "url": request.path,
            "params": list(request.params),
            "json": dict(request.json) if request.json is not None else None,
            "timeout": self.timeout if cap is None else min(cap, self.timeout),
        }

    def _limiter_wait(self, attempt: int) -> float:
        """The seconds the client-side rate limiter asks to wait before the next request (announced)."""
        if self.rate_limiter is None:
            return 0.0
        wait = self.rate_limiter.reserve()
        if wait > 0 and self.on_wait is not None:
            self.on_wait("holding to the client-side rate limit", wait, attempt)
        return wait

    def _after_attempt(
        self,
        request: APIRequest,
        retries: int,
        response: httpx2.Response | None,
        error: Exception | None,
        waited: float = 0.0,
    ) -> tuple[float | None, Any]:
        """Decide what to do after one attempt: (seconds to wait before retrying, or None; the body).

        ``waited`` is how long this request has already waited between attempts: with ``max_wait``
        set, a retry that would wait past it is not made, and the last error is raised instead.
        """
        if error is not None:
            attempt = Attempt(connection_error=True, sent=not isinstance(error, _NOT_SENT))
            body: Any = None
        else:
            assert response is not None
            body = decode_body(response.content)
            attempt = Attempt(
                status=response.status_code,
                headers=response.headers,
                body=None if body is INVALID_JSON else body,
            )
            if response.is_success:
                return None, body
        decision = decide(
            self.retry_policy,
            retries,
            attempt,
            retry_safe=request.is_retry_safe,
            now=self._now,
            rng=self._rng,
        )
        status = attempt.status if error is None else type(error).__name__
        if decision.retry and self.max_wait is not None and waited + decision.delay > self.max_wait:
            logger.info(
                "%s %s got %s; not retrying: waiting %.1fs more would pass max_wait",
                request.method,
                request.path,
                status,
                decision.delay,
            )
            return None, body
        if decision.retry:
            if self.on_wait is not None:
                self.on_wait(_wait_reason(attempt, error, self.base_url), decision.delay, retries + 2)
            logger.info(
                "%s %s got %s; retry %d in %.2fs",
                request.method,
                request.path,
                status,
                retries + 1,
                decision.delay,
            )
            return decision.delay, body
        return None, body

    def _connection_error(self, request: APIRequest, error: Exception, attempts: int) -> APIConnectionError:
        return APIConnectionError(
            f"{request.method} {request.path} could not reach the API at {self.base_url}: {error}",
            hint=_connection_hint(error, self.base_url),
            attempts=attempts,
        )

    @staticmethod
    def _final(request: APIRequest, response: httpx2.Response, body: Any, attempts: int) -> Any:
        """The body of the last response, or its error, which says how many attempts were made."""
        try:
            return read_response(request, response.status_code, body, response.content, response.headers)
        except APIStatusError as status_error:
            status_error.attempts = attempts
            raise


def _wait_reason(attempt: Attempt, error: Exception | None, base_url: str) -> str:
    """What a retry waits for, in words a person at a terminal understands."""
    if error is not None:
        return f"could not reach {base_url} ({type(error).__name__})"
    if attempt.status == 429:
        return "rate limited by incident.io"
    return f"incident.io answered {attempt.status}"


def _connection_hint(error: Exception, base_url: str) -> str:
    """What to check after a connection failure, matched to its cause."""
    text = str(error).lower()
    if isinstance(error, httpx2.UnsupportedProtocol):
        return f"the base URL {base_url!r} needs http:// or https://"
    if isinstance(error, httpx2.TimeoutException):
        return f"{base_url} did not answer in time: check your network (and any proxy), then try again"
    if isinstance(error, httpx2.ConnectError) and any(
        sign in text for sign in ("name or service", "nodename", "getaddrinfo", "name resolution")
    ):
        return f"the host of {base_url} was not found: check the base URL's spelling and your network (DNS)"
    if isinstance(error, httpx2.ConnectError) and "refused" in text:
        return (
            f"nothing accepts connections at {base_url}: check the base URL (is the emulator or proxy "
            "running?)"
        )
    return "Check your network and the base URL."


class Client(_BaseClient):
    """A blocking incident.io client.

    Args:
        api_key: the API key; by default ``INCIDENT_IO_API_KEY`` or ``INCIDENTIO_API_KEY``.
        base_url: the API's base URL; by default ``INCIDENT_IO_BASE_URL`` or the real API.
        read_only: refuse every write before anything is sent.
        timeout: seconds to wait for each response.
        retry: how often and how patiently to retry.
        rate_limit: requests a minute (default 1,200, like incident.io), a shared
            :class:`TokenBucket`, or ``None`` for no client-side limit.
        transport: an httpx2 transport, such as the emulator's ``MockTransport``.
        sleep: how to wait; injectable so tests need no real time.
        now: the wall clock, to read the body's absolute ``retry_after``.
        rng: jitter source in [0, 1).
        on_wait: called as ``on_wait(reason, seconds, attempt)`` before every wait (a retry's backoff,
            a ``Retry-After``, the client-side rate limit), so a program can tell its user what it
            waits for; the CLI prints it on a terminal.
        max_wait: the most seconds one request may spend waiting between retries; a retry that
            would wait longer is not made and the last error is raised (``None``: no limit beyond
            ``retry``). ``RetryPolicy(max_retries=0)`` turns retries off.

    Raises:
        ConfigurationError: no API key; :class:`InvalidBaseURLError` (a subclass) for a base URL
            that does not parse, has no scheme or ends with the API version.

    Example:
        >>> client = Client(api_key="...")  # doctest: +SKIP
        >>> for incident in client.incidents.list(status_category="live"):  # doctest: +SKIP
        ...     print(incident.reference, incident.name)
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        read_only: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        rate_limit: TokenBucket | float | None = 1200,
        transport: httpx2.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] | None = None,
        rng: Callable[[], float] | None = None,
        on_wait: OnWait | None = None,
        max_wait: float | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            read_only=read_only,
            retry=retry,
            rate_limit=rate_limit,
            now=now,
            rng=rng,
            timeout=timeout,
            on_wait=on_wait,
            max_wait=max_wait,
        )
        self._sleep = sleep
        self._http = httpx2.Client(
            base_url=self.base_url, timeout=timeout, transport=transport, verify=_tls_context(self.base_url)
        )
        self.severities = Severities(self)
        self.incident_statuses = IncidentStatuses(self)
        self.incident_types = IncidentTypes(self)
        self.incident_roles = IncidentRoles(self)
        self.custom_fields = CustomFields(self)
        self.users = Users(self)
        self.identity = Identity(self)
        self.incidents = Incidents(self)
        self.incident_updates = IncidentUpdates(self)
        self.incident_timeline_items = TimelineItems(self)
        self.follow_ups = FollowUps(self)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        retry_safe: bool | None = None,
    ) -> Any:
        """Call any endpoint, with the client's auth, rate limit, retries and errors; returns the JSON."""
        pairs = tuple(params.items()) if isinstance(params, Mapping) else tuple(params or ())
        return self._send(APIRequest(method.upper(), path, params=pairs, json=json, retry_safe=retry_safe))

    def _run(self, operation: Op[T]) -> T:
        try:
            request = next(operation)
            while True:
                try:
                    body = self._send(request)
                except APIStatusError as error:
                    request = operation.throw(error)
                else:
                    request = operation.send(body)
        except StopIteration as stop:
            result: T = stop.value
            return result

    def _send(self, request: APIRequest) -> Any:
        self._check_writable(request)
        retries = 0
        waited = 0.0
        while True:
            wait = self._limiter_wait(retries + 1)
            if wait > 0:
                self._sleep(wait)
            response: httpx2.Response | None = None
            error: Exception | None = None
            try:
                response = self._http.request(headers=self._headers(), **self._httpx_args(request))
            except httpx2.TransportError as exc:
                error = exc
            delay, body = self._after_attempt(request, retries, response, error, waited)
            if delay is None:
                break
            self._sleep(delay)
            waited += delay
            retries += 1
        if error is not None:
            raise self._connection_error(request, error, retries + 1) from None
        assert response is not None
        return self._final(request, response, body, retries + 1)


class AsyncClient(_BaseClient):
    """The asyncio incident.io client; the same arguments as :class:`Client`, with an async ``sleep``.

    Example:
        >>> async with AsyncClient() as client:  # doctest: +SKIP
        ...     async for incident in client.incidents.list(status_category="live"):
        ...         print(incident.reference)
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        read_only: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        rate_limit: TokenBucket | float | None = 1200,
        transport: httpx2.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        now: Callable[[], datetime] | None = None,
        rng: Callable[[], float] | None = None,
        on_wait: OnWait | None = None,
        max_wait: float | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            read_only=read_only,
            retry=retry,
            rate_limit=rate_limit,
            now=now,
            rng=rng,
            timeout=timeout,
            on_wait=on_wait,
            max_wait=max_wait,
        )
        self._sleep = sleep or _asyncio_sleep
        self._http = httpx2.AsyncClient(
            base_url=self.base_url, timeout=timeout, transport=transport, verify=_tls_context(self.base_url)
        )
        self.severities = AsyncSeverities(self)
        self.incident_statuses = AsyncIncidentStatuses(self)
        self.incident_types = AsyncIncidentTypes(self)
        self.incident_roles = AsyncIncidentRoles(self)
        self.custom_fields = AsyncCustomFields(self)
        self.users = AsyncUsers(self)
        self.identity = AsyncIdentity(self)
        self.incidents = AsyncIncidents(self)
        self.incident_updates = AsyncIncidentUpdates(self)
        self.incident_timeline_items = AsyncTimelineItems(self)
        self.follow_ups = AsyncFollowUps(self)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        retry_safe: bool | None = None,
    ) -> Any:
        """Call any endpoint, with the client's auth, rate limit, retries and errors; returns the JSON."""
        pairs = tuple(params.items()) if isinstance(params, Mapping) else tuple(params or ())
        return await self._send(
            APIRequest(method.upper(), path, params=pairs, json=json, retry_safe=retry_safe)
        )

    async def _run(self, operation: Op[T]) -> T:
        try:
            request = next(operation)
            while True:
                try:
                    body = await self._send(request)
                except APIStatusError as error:
                    request = operation.throw(error)
                else:
                    request = operation.send(body)
        except StopIteration as stop:
            result: T = stop.value
            return result

    async def _send(self, request: APIRequest) -> Any:
        self._check_writable(request)
        retries = 0
        waited = 0.0
        while True:
            wait = self._limiter_wait(retries + 1)
            if wait > 0:
                await self._sleep(wait)
            response: httpx2.Response | None = None
            error: Exception | None = None
            try:
                response = await self._http.request(headers=self._headers(), **self._httpx_args(request))
            except httpx2.TransportError as exc:
                error = exc
            delay, body = self._after_attempt(request, retries, response, error, waited)
            if delay is None:
                break
            await self._sleep(delay)
            waited += delay
            retries += 1
        if error is not None:
            raise self._connection_error(request, error, retries + 1) from None
        assert response is not None
        return self._final(request, response, body, retries + 1)
