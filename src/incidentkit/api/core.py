"""The sans-I/O core shared by the sync and async clients.

An :class:`APIRequest` describes one call; :func:`read_response` turns what came back into
JSON or the right exception. Operations are generators that yield requests and receive the
decoded JSON, so the same operation (including ones that take several calls, such as
"acknowledge") runs unchanged on either client.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from incidentkit.api.errors import APIResponseError, APIStatusError, ErrorDetail, error_class_for

T = TypeVar("T")

Op = Generator["APIRequest", Any, T]
"""An operation: yields requests, receives each response's JSON, returns its result."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Params = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class APIRequest:
    """One call to the API.

    Args:
        method: the HTTP method.
        path: the path under the base URL, such as ``/v2/incidents``.
        params: query parameters as pairs, so a key may repeat (``mode[one_of]``).
        json: the JSON body.
        retry_safe: whether repeating the request cannot create a duplicate; by default
            reads, PUT/PATCH/DELETE and POSTs whose body carries an ``idempotency_key``.
        authorization: an ``Authorization`` header to send instead of the API key's (an alert
            source's token authenticates its events); never logged or shown.
    """

    method: str
    path: str
    params: Params = ()
    json: Mapping[str, Any] | None = None
    retry_safe: bool | None = field(default=None)
    authorization: str | None = field(default=None, repr=False)

    @property
    def is_write(self) -> bool:
        """Whether the request changes anything (refused by a read-only client)."""
        return self.method.upper() not in READ_METHODS

    @property
    def is_retry_safe(self) -> bool:
        """Whether a retry cannot create a duplicate."""
        if self.retry_safe is not None:
            return self.retry_safe
        if self.method.upper() in SAFE_METHODS:
            return True
        return bool(self.json and self.json.get("idempotency_key"))


class _Invalid:
    """Marks a body that is not JSON."""


INVALID_JSON = _Invalid()


def decode_body(content: bytes) -> Any:
    """The JSON in a response body; ``None`` when empty, :data:`INVALID_JSON` when not JSON."""
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return INVALID_JSON


def read_response(
    request: APIRequest, status: int, body: Any, content: bytes, headers: Mapping[str, str] | None = None
) -> Any:
    """Return the decoded JSON of a successful response, or raise the matching error.

    Raises:
        APIStatusError: a subclass per status, parsed from the API's error envelope.
        APIResponseError: a successful status whose body is not JSON.
    """
    if 200 <= status < 300:
        if body is INVALID_JSON:
            raise APIResponseError(
                f"{request.method} {request.path} answered {status} with a body that is not JSON: "
                f"{_snippet(content)!r}"
            )
        return body
    raise status_error(request, status, body, content, headers)


def status_error(
    request: APIRequest, status: int, body: Any, content: bytes, headers: Mapping[str, str] | None = None
) -> APIStatusError:
    """Build the exception for an error status from the API's error envelope (and its response headers)."""
    cls = error_class_for(status)
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        details = [_detail(e) for e in body["errors"] if isinstance(e, dict)]
        return cls(
            status=status,
            type=str(body.get("type") or "unknown_error"),
            request_id=body.get("request_id"),
            errors=details,
            method=request.method,
            path=request.path,
            body=body,
            headers=headers,
        )
    # Not the API's envelope (a proxy's HTML page, say): keep a short excerpt to explain it.
    return cls(
        status=status,
        type="unexpected_response",
        request_id=None,
        errors=[ErrorDetail(code="unexpected_response", message=_snippet(content) or "empty body")],
        method=request.method,
        path=request.path,
        body=None,
    )


def _detail(raw: Mapping[str, Any]) -> ErrorDetail:
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    return ErrorDetail(
        code=str(raw.get("code", "")),
        message=str(raw.get("message", "")),
        field=source.get("field") if source else None,
        pointer=source.get("pointer") if source else None,
        metadata={str(k): str(v) for k, v in (metadata or {}).items()},
    )


def _snippet(content: bytes, limit: int = 200) -> str:
    text = content.decode("utf-8", errors="replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"
