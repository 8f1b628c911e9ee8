"""Errors in the API's own shape: ``ErrorResponse`` with type, status, request_id and errors."""

from __future__ import annotations

from typing import Any

# The ErrorResponse.type the API gives each status (the schema's per-response descriptions).
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "resource_forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    422: "validation_error",
    429: "too_many_requests",
    500: "api_error",
}


class APIError(Exception):
    """An error the emulator answers with; handlers raise it, the core turns it into a response.

    Args:
        status: the HTTP status.
        message: what went wrong, for people.
        code: the machine-readable ``errors[].code``.
        field: the request field at fault, for ``errors[].source``.
        headers: response headers the error needs (a 405's ``Allow``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = "invalid",
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.field = field
        self.headers = dict(headers or {})

    def body(self, request_id: str) -> dict[str, Any]:
        single: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            single["source"] = {"field": self.field, "pointer": "/" + self.field.replace(".", "/")}
        return {
            "type": ERROR_TYPES.get(self.status, "api_error"),
            "status": self.status,
            "request_id": request_id,
            "errors": [single],
        }


def invalid(field: str, message: str, code: str = "invalid_value") -> APIError:
    """A 422 naming the field."""
    return APIError(422, message, code=code, field=field)


def required(field: str) -> APIError:
    """A 422 for a missing required field."""
    return APIError(422, f"{field} is required", code="is_required", field=field)


def not_found(what: str, value: str) -> APIError:
    return APIError(404, f"No {what} was found with id {value!r}", code="not_found")
