"""When to retry a request, and how long to wait first: a pure decision, no I/O.

The sync and async clients both ask :func:`decide` after every attempt; only the way they
wait differs. The rules:

- 429 is always retried (the request was not processed), waiting at least as long as the
  ``Retry-After`` header or the body's ``rate_limit.retry_after`` asks;
- 408, 409, 5xx and connection errors are retried only for requests that cannot create a
  duplicate: reads, edits that set values, and creates that carry an idempotency key (the
  same key is sent on every attempt);
- a connection that was refused before anything was sent is safe to retry for any request;
- otherwise the error is final. Backoff is exponential with jitter.

:func:`is_retryable_status` and :func:`retry_after_seconds` are the package's one table of
retryable statuses and one ``Retry-After`` reader: the workflow steps (incident.io, Slack,
outbound HTTP) classify their failures with them too.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from incidentkit.timeutil import parse_timestamp

RETRYABLE_STATUSES = frozenset({408, 409, 429})
"""The 4xx statuses worth another attempt; every 5xx is too (:func:`is_retryable_status`).

408 and 429 say the request was not handled. 409 is in because incident.io documents it as
"likely a concurrent update" (and a create whose idempotency key is still being handled): the
same request a moment later usually succeeds, and only retry-safe requests are retried at all.
Any other 4xx will fail the same way again.
"""


def is_retryable_status(status: int) -> bool:
    """Whether a response of this status is worth another attempt: 408, 409, 429 and every 5xx."""
    return status in RETRYABLE_STATUSES or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how patiently to retry.

    Args:
        max_retries: retries after the first attempt.
        initial_delay: the backoff before the first retry, in seconds.
        max_delay: the largest backoff between two attempts.
        max_retry_after: the longest ``Retry-After`` honoured; a longer one is final.
    """

    max_retries: int = 4
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 120.0


@dataclass(frozen=True)
class Attempt:
    """What happened on one attempt: a status (with headers and body) or a connection error."""

    status: int | None = None
    headers: Mapping[str, str] | None = None
    body: Any = None
    connection_error: bool = False
    sent: bool = True
    """False when the connection failed before the request left (for example, refused)."""


@dataclass(frozen=True)
class Decision:
    """Whether to try again, and after how many seconds."""

    retry: bool
    delay: float = 0.0


FINAL = Decision(retry=False)


def decide(
    policy: RetryPolicy,
    retries_so_far: int,
    attempt: Attempt,
    *,
    retry_safe: bool,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    rng: Callable[[], float] = random.random,
) -> Decision:
    """Decide whether to retry after ``attempt``.

    Args:
        policy: the retry limits.
        retries_so_far: how many retries have already been made.
        attempt: the outcome of the attempt just made.
        retry_safe: whether repeating the request cannot create a duplicate.
        now: wall-clock time, to turn the body's absolute ``retry_after`` into a delay.
        rng: a source of jitter in [0, 1).
    """
    if retries_so_far >= policy.max_retries:
        return FINAL
    backoff = _backoff(policy, retries_so_far, rng)
    if attempt.connection_error:
        if retry_safe or not attempt.sent:
            return Decision(retry=True, delay=backoff)
        return FINAL
    status = attempt.status
    if status == 429:
        wait = _retry_after(attempt, now)
        if wait is not None and wait > policy.max_retry_after:
            return FINAL
        return Decision(retry=True, delay=max(backoff, wait or 0.0))
    if status is not None and is_retryable_status(status) and retry_safe:
        wait = _retry_after(attempt, now)
        return Decision(retry=True, delay=max(backoff, min(wait or 0.0, policy.max_retry_after)))
    return FINAL


def _backoff(policy: RetryPolicy, retries_so_far: int, rng: Callable[[], float]) -> float:
    ceiling = min(policy.max_delay, policy.initial_delay * 2.0**retries_so_far)
    # "Equal jitter": at least half the backoff, so retries never stampede at once.
    return ceiling / 2 + rng() * ceiling / 2


def retry_after_seconds(
    headers: Mapping[str, Any] | None,
    body: Any = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> float | None:
    """The wait a response asked for, in seconds, or None when it asked for none.

    Reads the ``Retry-After`` header (seconds or an HTTP date) and incident.io's body field
    ``rate_limit.retry_after`` (an RFC 3339 time), and takes the longer.

    Args:
        headers: the response headers, any case; a value may be a list (the first counts).
        body: the decoded response body, if any.
        now: the wall clock, to turn an absolute time into a wait.
    """
    return _retry_after(Attempt(headers=headers, body=body), now)


def rate_limit_wait(error: BaseException) -> float | None:
    """When ``error`` (or what caused it) is a 429, the seconds it asked to wait (0 when it named none).

    Reads the client's errors by shape (``status``, ``headers``, ``body``), so the workflow engine
    and the webhook processor can ask it of whatever a step or a fetch raised.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "status", None) == 429:
            wait = retry_after_seconds(getattr(current, "headers", None), getattr(current, "body", None))
            return wait if wait is not None else 0.0
        current = current.__cause__ or current.__context__
    return None


def _retry_after(attempt: Attempt, now: Callable[[], datetime]) -> float | None:
    """The longest wait the server asked for, from the header and the body, in seconds."""
    waits: list[float] = []
    header = _header(attempt.headers, "retry-after")
    if header is not None:
        with contextlib.suppress(ValueError):
            waits.append(max(0.0, float(header)))
        if not waits:
            with contextlib.suppress(TypeError, ValueError):
                date = parsedate_to_datetime(header)
                if date.tzinfo is not None:
                    waits.append(max(0.0, (date - now()).total_seconds()))
    body = attempt.body
    if isinstance(body, dict):
        rate_limit = body.get("rate_limit")
        until = parse_timestamp(rate_limit.get("retry_after")) if isinstance(rate_limit, dict) else None
        if until is not None:
            waits.append(max(0.0, (until - now()).total_seconds()))
    return float(max(waits)) if waits else None


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if str(key).lower() == name:
            if isinstance(value, list | tuple):
                return str(value[0]) if value else None
            return str(value)
    return None
