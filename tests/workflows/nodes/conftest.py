"""Fixtures for the step tests: a client with retries off over the emulator, contexts, local servers."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import pytest

from incidentkit.api import Client, RetryPolicy
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
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


Responder = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], Any]]


@dataclass
class Received:
    """One request a local server got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LocalServer:
    """An HTTP server on 127.0.0.1 that records requests and answers with ``respond``."""

    respond: Responder
    received: list[Received] = field(default_factory=list)
    url: str = ""


def _handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.received.append(Received(self.command, self.path, headers, body))
            status, extra_headers, answer = server.respond(self.command, self.path, headers, body)
            raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            if not isinstance(answer, bytes):
                self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler


@pytest.fixture
def local_server() -> Iterator[Callable[[Responder], LocalServer]]:
    """Start servers on 127.0.0.1 (port chosen by the OS); all are stopped after the test."""
    started: list[ThreadingHTTPServer] = []

    def start(respond: Responder) -> LocalServer:
        server = LocalServer(respond)
        http_server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
        server.url = f"http://127.0.0.1:{http_server.server_address[1]}"
        # A short poll interval makes shutdown() at the end of the test return quickly.
        threading.Thread(target=http_server.serve_forever, args=(0.01,), daemon=True).start()
        started.append(http_server)
        return server

    yield start
    for http_server in started:
        http_server.shutdown()
        http_server.server_close()
