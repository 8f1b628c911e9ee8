"""Injected faults: make chosen requests fail the way a real server sometimes does."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from incidentkit.emulator.errors import invalid


@dataclass
class Fault:
    """Answer matching requests with ``status`` (or with a body that is not JSON).

    Args:
        status: the HTTP status to answer with.
        path: the request path it applies to; ``None`` for every path.
        method: the HTTP method it applies to; ``None`` for every method.
        times: how many matching requests fail before the fault is used up.
        skip: how many matching requests pass untouched first (a failure mid-way through a list).
        retry_after: seconds for a ``Retry-After`` header, for 429 and 503.
        malformed: answer with a body that is not JSON instead of an error envelope.
        processed: do the work first, then fail: the answer is lost but the change is made,
            which is what makes idempotency keys necessary.
    """

    status: int = 500
    path: str | None = None
    method: str | None = None
    times: int = 1
    skip: int = 0
    retry_after: int | None = None
    malformed: bool = False
    processed: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or self.path == path
        )

    def trigger(self) -> bool:
        """Count one matching request; whether this one fails."""
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.times <= 0:
            return False
        self.times -= 1
        return True


def fault_from_json(body: dict[str, Any]) -> Fault:
    """A :class:`Fault` from the admin API's JSON: every option the class documents, each of its type.

    Raises:
        APIError: 422 naming the first unknown option, or an option whose value has the wrong type.
    """
    options = {option.name: option for option in fields(Fault)}
    unknown = sorted(set(body) - set(options))
    if unknown:
        raise invalid(unknown[0], f"unknown fault option; use {', '.join(sorted(options))}")
    for name, value in body.items():
        expected = options[name].type
        if "bool" in str(expected):
            ok = isinstance(value, bool)
        elif "int" in str(expected):
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok and not (value is None and "None" in str(expected)):
            raise invalid(name, f"fault option {name} must be {str(expected).replace(' | None', '')}")
    return Fault(**body)
