"""The emulator as a Starlette app: every request goes to the routing core unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from incidentkit.emulator.core import MAX_BODY_BYTES, EmulatorRequest, error_response
from incidentkit.emulator.errors import APIError
from incidentkit.httpbody import BodyTooLarge, read_limited_body

if TYPE_CHECKING:
    from incidentkit.emulator.core import Emulator

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


async def _read_body(request: Request) -> bytes | None:
    """The body, or ``None`` once it passes the size limit (the rest is not read into memory)."""
    try:
        return await read_limited_body(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        return None


def build_app(emulator: Emulator) -> Starlette:
    """A Starlette app that answers every path from ``emulator``."""

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

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=METHODS)])
