"""Which code answers a request: a hand-written route when one matches, else the schema's generic operation.

The hand-written routes (:mod:`~incidentkit.emulator.routes`) always win; any other
non-deprecated operation of the schema is answered by :mod:`~incidentkit.emulator.generic`.
A path the schema knows with another method is a 405 with an ``Allow`` header; anything else a 404.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from incidentkit.emulator import generic
from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import APIError
from incidentkit.emulator.routes import ROUTES, Route
from incidentkit.emulator.spec import methods_for, operation_for, spec


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + r"\Z")


@cache
def generic_route(method: str, template: str) -> Route:
    """The route of a schema operation the generic mechanism answers (compiled once)."""
    operation = generic.compiled(method, template)
    described = spec()["paths"][template][method.lower()]
    scopes = described.get("x-rbac-scopes")
    # An empty security list means the operation takes no API key (a heartbeat ping, say).
    public = described.get("security") == []

    def answer(call: Call) -> tuple[int, Any]:
        return generic.handle(call, operation)

    return Route(method, template, _pattern(template), answer, scopes[0] if scopes else None, public)


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for ``method path`` and its path parameters.

    Raises:
        APIError: 405 (with ``Allow``) when the path takes other methods, else 404.
    """
    allowed: list[str] = []
    for route in ROUTES:
        matched = route.pattern.match(path)
        if matched is None:
            continue
        if route.method == method:
            return route, matched.groupdict()
        allowed.append(route.method)
    found = operation_for(method, path)
    if found is not None and generic.serves(method, found[0]):
        route = generic_route(method, found[0])
        matched = route.pattern.match(path)
        if matched is not None:
            return route, matched.groupdict()
    allowed = sorted(set(allowed) | set(methods_for(path)))
    if allowed:
        raise APIError(
            405,
            f"{method} is not allowed on {path}; use {', '.join(allowed)}",
            code="method_not_allowed",
            headers={"Allow": ", ".join(allowed)},
        )
    raise APIError(404, f"There is no endpoint at {path}", code="not_found")
