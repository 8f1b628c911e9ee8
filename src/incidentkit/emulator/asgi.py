"""The emulator as a Starlette app: every request goes to the routing core unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from incidentkit.emulator.core import MAX_BODY_BYTES, EmulatorRequest, error_response
from incidentkit.emulator.errors import APIError
from incidentkit.httpbody import BodyTooLarge, read_limited_body

if TYPE_CHECKING:
    from incidentkit.emulator.core import Emulator


async def _read_body(request: Request) -> bytes | None:
    """The body, or ``None`` once it passes the size limit (the rest is not read into memory)."""
    try:
        return await read_limited_body(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        return None


def build_app(emulator: Emulator) -> Starlette:
    """A Starlette app that answers every path from ``emulator``, whatever characters it holds."""

    async def endpoint(request: Request) -> Response:
        body = await _read_body(request)
        if body is None:
            too_large = APIError(
                413, f"The request body is larger than {MAX_BODY_BYTES} bytes", code="payload_too_large"
            )
            reply = error_response(too_large, "-")
        else:
            reply = emulator.handle(
                EmulatorRequest(
                    method=request.method,
                    path=request.url.path,
                    query=list(request.query_params.multi_items()),
                    headers={name.lower(): value for name, value in request.headers.items()},
                    body=body,
                )
            )
        return Response(reply.body, status_code=reply.status, headers=reply.headers)

    async def every_path(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        response = await endpoint(Request(scope, receive))
        await response(scope, receive, send)

    app = Starlette()
    # The router's fallback, not a route: a route's pattern does not match a path with a newline
    # in it (/v2/users/a%0Ab), which then got Starlette's plain-text 404 instead of the API's JSON.
    app.router.default = every_path
    return app
