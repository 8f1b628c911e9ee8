"""Reading request bodies on the package's HTTP surfaces: at most so many bytes, and as JSON.

The webhook receiver and the emulator (its ASGI app, its API and its admin endpoints) read bodies
the same way, so the limit and the JSON rules cannot drift apart. Imports nothing of the client.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.requests import Request


class BodyTooLarge(Exception):
    """The request body is larger than the endpoint accepts."""


class BodyNotJSON(ValueError):
    """The request body is not a JSON object; the message says which way it is not."""


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, refusing to read more than ``limit`` bytes into memory.

    Raises:
        BodyTooLarge: ``Content-Length`` says more than ``limit``, or the stream goes past it.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """The JSON value of a body (``None`` for an empty one).

    Raises:
        BodyNotJSON: the body is not UTF-8 JSON; the message has the parser's reason.
    """
    if not body:
        return None
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BodyNotJSON(f"The request body is not valid JSON: {error}") from None
