"""What the blocking and the async client share: everything but how they wait and send.

:class:`BaseClient` holds the configuration (key, base URL, timeout, read-only), the rate limiter,
the retry policy and the organisation catalogue. It refuses the writes a read-only client or a
dry run must not send, and after every attempt decides, without I/O, whether to wait and retry
and what to return or raise. :class:`~incidentkit.api.client.Client` and
:class:`~incidentkit.api.client.AsyncClient` are the two small drivers on top.
"""

from __future__ import annotations

import logging
import random
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import httpx2

from incidentkit import __version__
from incidentkit.api.config import BASE_URL_VARIABLE, api_key_from_env, base_url_from_env, check_base_url
from incidentkit.api.core import INVALID_JSON, APIRequest, decode_body, read_response
from incidentkit.api.errors import (
    APIConnectionError,
    APIStatusError,
    ConfigurationError,
    InvalidArgumentError,
    ReadOnlyError,
    WriteHeldError,
)
from incidentkit.api.lookups import Lookups
from incidentkit.api.ratelimit import TokenBucket
from incidentkit.api.retry import Attempt, RetryPolicy, decide

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


def tls_context(base_url: str) -> ssl.SSLContext | bool:
    """Certificate checking for the base URL: the usual trusted CAs for https.

    A plain-http base URL (an emulator on loopback) is never spoken to over TLS, so it gets a
    context that trusts no certificate at all instead of paying to load the CA bundle: should a
    TLS connection ever be attempted with it, verification fails closed.
    """
    if base_url.startswith("http://"):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names; trusts none
    return True


class BaseClient:
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
        self.lookups = Lookups()

    def __repr__(self) -> str:
        # Never the key, not even a part of it.
        mode = ", read_only=True" if self.read_only else ""
        return f"{type(self).__name__}(base_url={self.base_url!r}{mode})"

    def _headers(self, request: APIRequest | None = None) -> dict[str, str]:
        if request is not None and request.authorization is not None:
            return {**self._headers(), "Authorization": request.authorization}
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
            raise InvalidArgumentError(f"timeout_cap needs a positive number of seconds, not {seconds!r}")
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
