"""Exceptions raised by the incident.io client.

Every exception derives from :class:`IncidentIOError`. Errors the API answered with are
:class:`APIStatusError` subclasses, one per status code, parsed from the API's error envelope
(``type``, ``status``, ``request_id``, ``errors``). None of them ever carries the API key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from incidentkit.errors import IncidentKitError


class IncidentIOError(IncidentKitError):
    """Root of every error raised by :mod:`incidentkit.api`."""


class ConfigurationError(IncidentIOError):
    """Raised when the client is missing configuration it needs, such as an API key."""


class InvalidReferenceError(IncidentIOError, ValueError):
    """Raised when an incident reference is not a ULID, INC-123, 123 or a dashboard URL."""


class UnknownNameError(IncidentIOError, ValueError):
    """Raised when a severity, status or type name matches nothing in the organisation."""

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = valid
        choices = ", ".join(valid) if valid else "(none are configured)"
        super().__init__(f"unknown {kind} {name!r}; valid {kind} names: {choices}")


class ReadOnlyError(IncidentIOError):
    """Raised before sending when a read-only client is asked to make a write."""


class WriteHeldError(IncidentIOError):
    """Raised instead of sending a write inside ``Client.hold_writes()`` (a dry run); carries the request.

    Attributes:
        method: the HTTP method that was not sent.
        path: the path it would have gone to.
        body: the JSON body it would have carried (never holds the API key, which is a header).
    """

    def __init__(self, method: str, path: str, body: Mapping[str, Any] | None) -> None:
        super().__init__(f"dry run: {method} {path} was not sent")
        self.method = method
        self.path = path
        self.body = dict(body) if body is not None else None


class APIConnectionError(IncidentIOError):
    """Raised when the API could not be reached (refused, reset, DNS, timeout)."""


class APIResponseError(IncidentIOError):
    """Raised when the API answered with something that is not the JSON it promises."""


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of the error envelope's ``errors`` list."""

    code: str
    message: str
    field: str | None = None
    pointer: str | None = None
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        return f"{self.message}{where}"


class APIStatusError(IncidentIOError):
    """Raised when the API answers with an error status; subclasses name each status."""

    status_code: int = 0

    def __init__(
        self,
        *,
        status: int,
        type: str,
        request_id: str | None,
        errors: list[ErrorDetail],
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.type = type
        self.request_id = request_id
        self.errors = errors
        self.method = method
        self.path = path
        self.body = body
        # The response headers, for Retry-After; never the request's, which carry the API key.
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        super().__init__(self._describe())

    def _describe(self) -> str:
        detail = "; ".join(str(e) for e in self.errors) or self.type
        request = f" [request {self.request_id}]" if self.request_id else ""
        return f"{self.method} {self.path} failed with {self.status} {self.type}: {detail}{request}"

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """Messages by field name, for the errors that name one."""
        fields: dict[str, list[str]] = {}
        for error in self.errors:
            if error.field:
                fields.setdefault(error.field, []).append(error.message)
        return fields


class BadRequestError(APIStatusError):
    """400: the request was malformed or referred to something that does not exist."""

    status_code = 400


class AuthenticationError(APIStatusError):
    """401: the API key is missing or not valid."""

    status_code = 401


class PermissionDeniedError(APIStatusError):
    """403: the API key is valid but lacks the scope this operation needs."""

    status_code = 403


class NotFoundError(APIStatusError):
    """404: the resource does not exist."""

    status_code = 404


class MethodNotAllowedError(APIStatusError):
    """405: the path does not accept this method."""

    status_code = 405


class NotAcceptableError(APIStatusError):
    """406: the API cannot answer in the requested format."""

    status_code = 406


class RequestTimeoutError(APIStatusError):
    """408: the API timed out handling the request."""

    status_code = 408


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's state, likely a concurrent update."""

    status_code = 409


class PreconditionFailedError(APIStatusError):
    """412: a precondition of the request was not met."""

    status_code = 412


class PayloadTooLargeError(APIStatusError):
    """413: the request body is too large."""

    status_code = 413


class ValidationError(APIStatusError):
    """422: the API refused the payload; :attr:`field_errors` says which fields and why."""

    status_code = 422


class RateLimitError(APIStatusError):
    """429: the rate limit was reached and retries were exhausted."""

    status_code = 429


class InternalServerError(APIStatusError):
    """5xx: the API failed; retried for safe requests before this is raised."""

    status_code = 500


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    cls.status_code: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        MethodNotAllowedError,
        NotAcceptableError,
        RequestTimeoutError,
        ConflictError,
        PreconditionFailedError,
        PayloadTooLargeError,
        ValidationError,
        RateLimitError,
        InternalServerError,
    )
}


def error_class_for(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP error status (any 5xx maps to :class:`InternalServerError`)."""
    if status >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status, APIStatusError)
