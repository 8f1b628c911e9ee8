"""Fixtures for the step tests: a client with retries off over the emulator, contexts, local servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx2
import pytest

from incidentkit.api import Client, RetryPolicy
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.testing.loopback import Answer, LoopbackServer, Received
from incidentkit.workflows.nodes import NodeContext

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@dataclass
class Seen:
    """Every request that reached the emulator."""

    requests: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def step_client(emulator: Emulator, seen: Seen) -> Iterator[Client]:
    """A client as the engine builds it: retries off, so every failure reaches the step."""
    inner = emulator.transport()

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.requests.append((request.method, request.url.path))
        return inner.handle_request(request)

    with Client(
        SANDBOX_API_KEY,
        transport=httpx2.MockTransport(handle),
        rate_limit=None,
        retry=RetryPolicy(max_retries=0),
        now=lambda: NOW,
    ) as client:
        yield client


@pytest.fixture
def context(step_client: Client) -> NodeContext:
    return NodeContext(client=step_client, idempotency_key="run-1:step-1", clock=lambda: NOW)


# A test's answer from (method, path, lower-case headers, body): (status, headers, body).
Responder = Callable[[str, str, dict[str, str], bytes], Answer]


@dataclass
class LocalServer:
    """A loopback server that records requests and answers with ``respond``."""

    server: LoopbackServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def received(self) -> list[Received]:
        return self.server.received


@pytest.fixture
def local_server() -> Iterator[Callable[[Responder], LocalServer]]:
    """Start servers on 127.0.0.1 (port chosen by the OS); all are stopped after the test."""
    started: list[LoopbackServer] = []

    def start(respond: Responder) -> LocalServer:
        server = LoopbackServer(lambda r: respond(r.method, r.path, r.headers, r.body))
        started.append(server)
        return LocalServer(server)

    yield start
    for server in started:
        server.stop()
