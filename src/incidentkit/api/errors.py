"""Exceptions raised by the incident.io client.

Every exception derives from :class:`IncidentIOError`. Errors the API answered with are
:class:`APIStatusError` subclasses, one per status code, parsed from the API's error envelope
(``type``, ``status``, ``request_id``, ``errors``). None of them ever carries the API key.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from incidentkit.errors import IncidentKitError


class IncidentIOError(IncidentKitError):
    """Root of every error raised by :mod:`incidentkit.api`."""


class ConfigurationError(IncidentIOError):
    """Raised when the client is missing configuration it needs, such as an API key."""


class InvalidBaseURLError(ConfigurationError, ValueError):
    """Raised when a base URL cannot be the API's (does not parse, no scheme, ends in ``/v2``)."""


class InvalidReferenceError(IncidentIOError, ValueError):
    """Raised when an incident reference is not a ULID, INC-123, 123 or a dashboard URL."""


class OrganisationMismatchError(InvalidReferenceError):
    """Raised when a dashboard URL names another organisation than the API key's; nothing is changed.

    Attributes:
        url_organisation: the organisation slug in the URL.
        key_organisation: the slug of the API key's organisation (``GET /v1/identity``), or None
            when the API did not say (the reference is refused then too: the check fails closed).
    """

    def __init__(self, reference: str, url_organisation: str, key_organisation: str | None) -> None:
        self.url_organisation = url_organisation
        self.key_organisation = key_organisation
        if key_organisation is None:
            message = (
                f"{reference!r} is a dashboard URL of organisation {url_organisation!r}, but the API "
                "did not say which organisation this API key belongs to (GET /v1/identity has no "
                "dashboard_url), so it is refused; give the incident as INC-123 or its ULID"
            )
        else:
            message = (
                f"{reference!r} is in organisation {url_organisation!r}, but this API key acts on "
                f"organisation {key_organisation!r}: refusing, so that the incident with the same "
                f"number in {key_organisation!r} is not touched (use a key of {url_organisation!r}, "
                "or its profile)"
            )
        super().__init__(message)


class UnknownNameError(IncidentIOError, ValueError):
    """Raised when a severity, status or type name matches nothing in the organisation."""

    def __init__(self, kind: str, name: str, valid: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = valid
        choices = ", ".join(valid) if valid else "(none are configured)"
        super().__init__(f"unknown {kind} {name!r}; valid {kind} names: {choices}")


class InvalidArgumentError(IncidentIOError, ValueError):
    """Raised before sending when the arguments, or the organisation's set-up, cannot make the request.

    Nothing to change in an edit, a page size the endpoint does not take, a custom field or a status
    category the organisation does not have.
    """


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
    """Raised when the API could not be reached (refused, reset, DNS, timeout).

    Attributes:
        hint: what to check, matched to the cause (refused, unknown host, timeout, scheme).
        attempts: how many times the request was tried before giving up.
    """

    def __init__(self, message: str, *, hint: str = "", attempts: int = 1) -> None:
        self.message = message
        self.hint = hint
        self.attempts = attempts
        super().__init__(message)

    def __str__(self) -> str:
        return self.message + _after(self.attempts)


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
        self.attempts = 1
        """How many times the request was tried; the client sets it after retrying."""
        super().__init__(self._describe())

    def __str__(self) -> str:
        return self._describe() + _after(self.attempts)

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


class UnprocessableEntityError(APIStatusError):
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
        UnprocessableEntityError,
        RateLimitError,
        InternalServerError,
    )
}


def error_class_for(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP error status (any 5xx maps to :class:`InternalServerError`)."""
    if status >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status, APIStatusError)


def _after(attempts: int) -> str:
    return f" (gave up after {attempts} attempts)" if attempts > 1 else ""


_DOUBLE_VERSION = re.compile(r"^/(v\d+)/v\d+/")
_ROUTE_NOT_FOUND = re.compile(r"no endpoint|no route|not a valid (?:path|route)", re.IGNORECASE)


def hint(error: IncidentIOError) -> str | None:
    """What to check for an error, matched to its cause, or None when the message says it all.

    A 404 is a missing resource only when the path exists: a path with the API version twice
    (``/v2/v2/incidents``) means the base URL ends in the version, and an answer saying the
    endpoint does not exist means the base URL points somewhere else. Connection failures carry
    the hint of their cause.
    """
    if isinstance(error, APIConnectionError):
        return error.hint or "Check your network and the base URL."
    if isinstance(error, NotFoundError):
        doubled = _DOUBLE_VERSION.match(error.path)
        if doubled:
            return (
                f"the path {error.path} has the API version twice: the base URL ends in "
                f"/{doubled.group(1)}; drop it (the real API is https://api.incident.io, with no path)"
            )
        said = " ".join([error.type, *(d.message for d in error.errors)])
        if _ROUTE_NOT_FOUND.search(said) or error.type == "unexpected_response":
            return (
                f"there is no endpoint {error.method} {error.path} at this base URL: check --base-url "
                "or INCIDENT_IO_BASE_URL (the real API is https://api.incident.io, with no path)"
            )
        return "Check the reference or id."
    return None
