"""One authenticated API request as a handler sees it, and the handler's signature."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from incidentkit.emulator.errors import APIError
from incidentkit.emulator.state import APIKey, OrgState, Record

Emit = Callable[[str, Record], None]


@dataclass
class Call:
    """One authenticated request, as a handler sees it."""

    state: OrgState
    key: APIKey
    path_params: dict[str, str]
    query: list[tuple[str, str]]
    body: Any
    now: float
    rng: random.Random
    emit: Emit
    changed: bool = field(default=False)
    # The request's headers (lower-case names), for operations that authenticate without an API key.
    headers: dict[str, str] = field(default_factory=dict)
    # Whether a list page that is exactly full carries an ``after`` cursor (the real API's way).
    cursor_on_full_page: bool = field(default=True)

    def param(self, name: str) -> str | None:
        values = [value for key, value in self.query if key == name]
        return values[-1] if values else None

    def json_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise APIError(400, "The request body must be a JSON object", code="invalid_body")
        return self.body


Handler = Callable[[Call], tuple[int, Record | None]]
"""A handler answers a status and a JSON body (``None`` for none, as a 204 has)."""


class Operation(NamedTuple):
    """One row of a module's route table (collected into :data:`incidentkit.emulator.routes.ROUTES`)."""

    method: str
    template: str  # the schema's path
    handler: Handler
    scope: str | None  # the schema's x-rbac-scopes
    public: bool = False  # no API key: the handler authenticates the request itself


@dataclass(frozen=True)
class Raw:
    """A response body that is not JSON (a CSV download): its bytes, content type and extra headers."""

    content: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
