"""A tiny webhook receiver on 127.0.0.1 for tests: it records every request and answers as told."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from incidentkit.serving import serve_in_thread
from incidentkit.webhooks.verify import WebhookVerificationError, WebhookVerifier


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers with the next status of ``statuses`` (then 200) and keeps what it received."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until ``count`` requests arrived (a wait on an event, not a fixed sleep)."""
        while len(self.received) < count:
            assert self.arrived.wait(timeout), f"only {len(self.received)} of {count} deliveries arrived"
            self.arrived.clear()
        return self.received


@contextmanager
def running_receiver(
    statuses: list[int] | None = None, verifier: WebhookVerifier | None = None
) -> Iterator[Receiver]:
    """Serve a receiver on 127.0.0.1; with ``verifier`` it refuses what does not verify, like a real one."""
    receiver = Receiver(statuses=list(statuses or []))

    async def ingest(request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = await request.body()
        receiver.received.append(Received(headers, body))
        receiver.arrived.set()
        if verifier is not None:
            try:
                verifier.verify(headers, body)
            except WebhookVerificationError as error:
                return Response(str(error).encode(), status_code=error.status_code)
            return Response(b"accepted", status_code=202)
        status = receiver.statuses.pop(0) if receiver.statuses else 200
        return Response(b"ok" if status < 300 else b"nope", status_code=status)

    app = Starlette(routes=[Route("/hook", ingest, methods=["POST"])])
    with serve_in_thread(app) as server:
        receiver.url = f"{server.url}/hook"
        yield receiver
