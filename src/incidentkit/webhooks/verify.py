"""Verify incident.io webhooks: the Standard Webhooks (Svix) signature scheme.

incident.io delivers through Svix. Every delivery carries three headers: ``webhook-id``,
``webhook-timestamp`` (seconds since the epoch) and ``webhook-signature`` (space-separated
``v1,<base64>`` entries). Each entry is an HMAC-SHA256 of ``{id}.{timestamp}.{body}`` keyed with
the base64-decoded part of the signing secret after ``whsec_``. Svix's own ``svix-*`` spellings of
the headers are accepted too.

Verification fails closed: with no secret configured every request is refused, and a request
outside the timestamp tolerance is refused even when its signature is right, so a captured
delivery cannot be replayed later. Secrets never appear in messages, reprs or logs; use
:func:`secret_fingerprint` to tell them apart.

Example:
    >>> verifier = WebhookVerifier(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
    >>> webhook_id = verifier.verify(request_headers, raw_body)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from incidentkit.webhooks.errors import WebhookError
from incidentkit.wire import secret_fingerprint as secret_fingerprint

__all__ = [
    "DEFAULT_TOLERANCE",
    "InvalidSecretError",
    "MalformedHeaderError",
    "MissingHeaderError",
    "NoSecretConfiguredError",
    "SignatureMismatchError",
    "TimestampTooNewError",
    "TimestampTooOldError",
    "WebhookVerificationError",
    "WebhookVerifier",
    "secret_fingerprint",
    "sign",
    "signed_headers",
]

logger = logging.getLogger(__name__)

DEFAULT_TOLERANCE = timedelta(minutes=5)
"""How far a delivery's timestamp may be from now, either way (Svix's libraries use five minutes)."""

SECRET_PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"

# Svix sends its own spellings unless the account white-labels them as webhook-*.
_ALTERNATIVE_SPELLINGS = {
    ID_HEADER: "svix-id",
    TIMESTAMP_HEADER: "svix-timestamp",
    SIGNATURE_HEADER: "svix-signature",
}
# A signature header with more entries than this is not a rotation, it is an attempt to make us work.
_MAX_SIGNATURES = 32
# Svix ids are about 30 characters; anything much longer is not one, and it ends up stored as a key.
_MAX_ID_LENGTH = 256


class WebhookVerificationError(WebhookError):
    """Root of every reason a webhook request is refused; each maps to a 4xx answer."""

    status_code = 401


class NoSecretConfiguredError(WebhookVerificationError):
    """Raised for every request when no signing secret is configured (verification fails closed)."""

    def __init__(self) -> None:
        super().__init__("no webhook signing secret is configured, so every webhook request is refused")


class MissingHeaderError(WebhookVerificationError):
    """Raised when a request lacks one of the webhook-id, webhook-timestamp or webhook-signature headers."""

    status_code = 400

    def __init__(self, header: str) -> None:
        self.header = header
        super().__init__(f"the request has no {header} header (nor its svix-* spelling)")


class MalformedHeaderError(WebhookVerificationError):
    """Raised when a webhook header is present but not in the form the scheme defines."""

    status_code = 400

    def __init__(self, header: str, reason: str) -> None:
        self.header = header
        self.reason = reason
        super().__init__(f"the {header} header is malformed: {reason}")


class TimestampTooOldError(WebhookVerificationError):
    """Raised when the delivery's timestamp is further in the past than the tolerance (a possible replay)."""

    def __init__(self, timestamp: int, age: timedelta, tolerance: timedelta) -> None:
        self.timestamp = timestamp
        self.age = age
        super().__init__(
            f"webhook-timestamp {timestamp} is {age.total_seconds():.0f}s old, "
            f"more than the {tolerance.total_seconds():.0f}s tolerance"
        )


class TimestampTooNewError(WebhookVerificationError):
    """Raised when the delivery's timestamp is further in the future than the tolerance."""

    def __init__(self, timestamp: int, ahead: timedelta, tolerance: timedelta) -> None:
        self.timestamp = timestamp
        self.ahead = ahead
        super().__init__(
            f"webhook-timestamp {timestamp} is {ahead.total_seconds():.0f}s in the future, "
            f"more than the {tolerance.total_seconds():.0f}s tolerance"
        )


class SignatureMismatchError(WebhookVerificationError):
    """Raised when no v1 signature in the request matches the body under any configured secret."""

    def __init__(self, secrets: int) -> None:
        super().__init__(
            f"no v1 signature in the webhook-signature header matches the body under "
            f"{'the configured secret' if secrets == 1 else f'any of the {secrets} configured secrets'}"
        )


class InvalidSecretError(WebhookError, ValueError):
    """Raised when a configured signing secret is not ``whsec_`` followed by base64 (configuration error)."""


def _decode_secret(secret: str, position: int | None = None) -> bytes:
    """The HMAC key inside ``whsec_<base64>``; the error says what is wrong without echoing the secret."""
    where = f"webhook secret #{position}" if position is not None else "the webhook secret"
    if not isinstance(secret, str):
        raise InvalidSecretError(f"{where} must be a string, not {type(secret).__name__}")
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecretError(f"{where} must start with {SECRET_PREFIX!r} (then base64)")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error:
        raise InvalidSecretError(f"{where} is not valid base64 after {SECRET_PREFIX!r}") from None
    if not key:
        raise InvalidSecretError(f"{where} has no key after {SECRET_PREFIX!r}")
    return key


def _epoch_seconds(timestamp: datetime | int) -> int:
    if isinstance(timestamp, datetime):
        # A naive datetime is taken as UTC, as the Standard Webhooks libraries do.
        aware = timestamp if timestamp.tzinfo is not None else timestamp.replace(tzinfo=UTC)
        return int(aware.timestamp() // 1)
    return int(timestamp)


def _signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def sign(secret: str, msg_id: str, timestamp: datetime | int, body: bytes) -> str:
    """Sign a delivery as Svix does.

    Args:
        secret: the endpoint's signing secret, ``whsec_<base64>``.
        msg_id: the webhook id (the same for every attempt of one message).
        timestamp: when the attempt is sent; a datetime or epoch seconds. Naive datetimes are UTC.
        body: the exact bytes of the request body.

    Returns:
        ``v1,<base64 HMAC-SHA256>``, one entry for the ``webhook-signature`` header.

    Raises:
        InvalidSecretError: the secret is not ``whsec_`` followed by base64.
    """
    key = _decode_secret(secret)
    digest = _signature(key, msg_id, str(_epoch_seconds(timestamp)), body)
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, msg_id: str, body: bytes, timestamp: datetime | int) -> dict[str, str]:
    """The three headers of a signed delivery: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``.

    Args:
        secret: the endpoint's signing secret, ``whsec_<base64>``.
        msg_id: the webhook id.
        body: the exact bytes of the request body.
        timestamp: when the attempt is sent; a datetime or epoch seconds.

    Raises:
        InvalidSecretError: the secret is not ``whsec_`` followed by base64.
    """
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(_epoch_seconds(timestamp)),
        SIGNATURE_HEADER: sign(secret, msg_id, timestamp, body),
    }


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Key:
    """One decoded secret; its repr is the fingerprint, so it can never leak through a debugger or log."""

    __slots__ = ("fingerprint", "key")

    def __init__(self, secret: str, position: int) -> None:
        self.key = _decode_secret(secret, position)
        self.fingerprint = secret_fingerprint(secret)

    def __repr__(self) -> str:
        return f"<secret {self.fingerprint}>"


class WebhookVerifier:
    """Checks that a webhook request was signed by incident.io (Svix) recently, with one of our secrets.

    Args:
        secrets: signing secrets (``whsec_<base64>``); several during a rotation. With none, every
            request is refused with :class:`NoSecretConfiguredError`.
        tolerance: how far the delivery's timestamp may be from now, either way.
        clock: returns the current time as a time-zone-aware datetime; injectable for tests.

    Raises:
        InvalidSecretError: a secret is not ``whsec_`` followed by base64; the message says which one
            (by position) and what is wrong, never its value.
    """

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        tolerance: timedelta = DEFAULT_TOLERANCE,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if isinstance(secrets, str):
            # A lone string would be taken as a list of one-character secrets; say so instead.
            raise TypeError("secrets must be a sequence of secrets, not a single string; wrap it in a list")
        if tolerance < timedelta(0):
            raise ValueError(f"tolerance must not be negative, got {tolerance}")
        self._keys = tuple(_Key(secret, position) for position, secret in enumerate(secrets, start=1))
        self.tolerance = tolerance
        self._clock = clock
        if not self._keys:
            logger.warning("No webhook signing secret is configured: every webhook request will be refused")

    @property
    def fingerprints(self) -> list[str]:
        """The fingerprints of the configured secrets, in order (safe to print)."""
        return [key.fingerprint for key in self._keys]

    def __repr__(self) -> str:
        return f"WebhookVerifier(secrets={self.fingerprints}, tolerance={self.tolerance!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> str:
        """Check one request; return its webhook id when it is genuine and fresh.

        Args:
            headers: the request headers; names are matched case-insensitively.
            body: the raw request body, exactly as received (re-serialised JSON will not verify).

        Returns:
            The ``webhook-id``: the same for every retry of one message, so use it to de-duplicate.

        Raises:
            NoSecretConfiguredError: no secret is configured.
            MissingHeaderError: a required header is absent.
            MalformedHeaderError: a header is present but malformed.
            TimestampTooOldError: the timestamp is older than the tolerance allows.
            TimestampTooNewError: the timestamp is further ahead than the tolerance allows.
            SignatureMismatchError: no signature matches.
        """
        if not self._keys:
            logger.warning("Refused a webhook request: no webhook signing secret is configured")
            raise NoSecretConfiguredError()
        lowered = {name.lower(): value for name, value in headers.items()}
        msg_id = _header(lowered, ID_HEADER)
        if len(msg_id) > _MAX_ID_LENGTH:
            raise MalformedHeaderError(ID_HEADER, f"{len(msg_id)} characters; at most {_MAX_ID_LENGTH}")
        raw_timestamp = _header(lowered, TIMESTAMP_HEADER)
        raw_signatures = _header(lowered, SIGNATURE_HEADER)

        timestamp = _parse_timestamp(raw_timestamp)
        self._check_freshness(timestamp)

        candidates = _parse_signatures(raw_signatures)
        for key in self._keys:
            # Canonical digits, as the reference libraries sign them (a leading zero changes nothing).
            expected = _signature(key.key, msg_id, str(timestamp), body)
            for candidate in candidates:
                if hmac.compare_digest(expected, candidate):
                    return msg_id
        raise SignatureMismatchError(len(self._keys))

    def _check_freshness(self, timestamp: int) -> None:
        # In seconds, not datetimes: a timestamp far beyond year 9999 must be refused, not overflow.
        offset = timedelta(seconds=timestamp - self._clock().timestamp())
        if -offset > self.tolerance:
            raise TimestampTooOldError(timestamp, -offset, self.tolerance)
        if offset > self.tolerance:
            raise TimestampTooNewError(timestamp, offset, self.tolerance)


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = headers.get(_ALTERNATIVE_SPELLINGS[name])
    if value is None:
        raise MissingHeaderError(name)
    if not value.strip():
        raise MalformedHeaderError(name, "it is empty")
    return value


def _parse_timestamp(raw: str) -> int:
    text = raw.strip()
    # Digits only: int() would also take "+1_614_265_330" or " 1e3"-like surprises we do not want.
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        shown = text[:40] + ("..." if len(text) > 40 else "")
        raise MalformedHeaderError(TIMESTAMP_HEADER, f"expected seconds since the epoch, got {shown!r}")
    return int(text)


def _parse_signatures(raw: str) -> list[bytes]:
    """The decoded ``v1`` signatures.

    Entries of other versions are skipped, as the scheme requires; so are entries that do not
    decode, so one odd entry cannot hide a good one during a rotation.
    """
    entries = raw.split()
    if len(entries) > _MAX_SIGNATURES:
        raise MalformedHeaderError(
            SIGNATURE_HEADER, f"{len(entries)} entries; at most {_MAX_SIGNATURES} are accepted"
        )
    signatures: list[bytes] = []
    for entry in entries:
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            signatures.append(base64.b64decode(encoded, validate=True))
        except binascii.Error:
            continue
    if not signatures:
        raise MalformedHeaderError(SIGNATURE_HEADER, "it holds no 'v1,<base64>' entry")
    return signatures
