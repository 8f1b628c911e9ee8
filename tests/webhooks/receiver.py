"""A tiny webhook receiver on 127.0.0.1 for tests: it records every request and answers as told."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from incidentkit.testing.loopback import Answer, LoopbackServer, Received
from incidentkit.webhooks.verify import WebhookVerificationError, WebhookVerifier

__all__ = ["Received", "Receiver", "running_receiver"]


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

    def ingest(request: Received) -> Answer:
        receiver.received.append(request)
        receiver.arrived.set()
        if verifier is not None:
            try:
                verifier.verify(request.headers, request.body)
            except WebhookVerificationError as error:
                return error.status_code, {}, str(error).encode()
            return 202, {}, b"accepted"
        status = receiver.statuses.pop(0) if receiver.statuses else 200
        return status, {}, b"ok" if status < 300 else b"nope"

    with LoopbackServer(ingest) as server:
        receiver.url = f"{server.url}/hook"
        yield receiver
