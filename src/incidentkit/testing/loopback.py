"""One small HTTP server on 127.0.0.1 for stand-ins: it records each request and answers with a function.

Every stand-in of a service incidentkit calls (Slack, an issue tracker, an agent, a webhook
target in a test) is this server with its own ``respond`` function, so none of them writes its
own socket handling.

Example:
    >>> import httpx2
    >>> with LoopbackServer(lambda request: (200, {}, {"seen": request.path})) as server:
    ...     print(httpx2.post(server.url + "/hook", json={}).json(), len(server.received))
    {'seen': '/hook'} 1
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["Answer", "LoopbackServer", "Received", "Responder"]


@dataclass(frozen=True)
class Received:
    """One request the server got; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (an empty body reads as ``{}``)."""
        return json.loads(self.body or b"{}")


# (status, extra headers, body): a body of bytes is sent as it is, anything else as JSON.
Answer = tuple[int, dict[str, str], Any]
Responder = Callable[[Received], Answer]


class LoopbackServer:
    """An HTTP server in a background thread that answers every request with ``respond(received)``.

    ``respond`` runs on the request's own thread, so it may block (to hold a caller) without
    stopping other requests. The server starts when constructed; use it as a context manager, or
    call :meth:`stop`.

    Args:
        respond: the answer to each request.
        host: where to listen (loopback by default).
        port: the port; 0 lets the system choose.
    """

    def __init__(self, respond: Responder, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.respond = respond
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}"
        # A short poll interval lets stop() return quickly.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), name="incidentkit-loopback", daemon=True
        )
        self._thread.start()

    def __repr__(self) -> str:
        return f"LoopbackServer(url={self.url!r}, received={len(self.received)})"

    def record(self, request: Received) -> None:
        """Keep ``request`` in :attr:`received` (thread-safe)."""
        with self._lock:
            self.received.append(request)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def _handler_for(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = Received(self.command, self.path, headers, body)
            server.record(request)
            status, extra_headers, answer = server.respond(request)
            raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            try:
                self.send_response(status)
                if not isinstance(answer, bytes):
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(raw)
            except OSError:
                pass  # the caller went away (a test killed it); nothing is waiting for the answer

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are recorded, not printed

    return Handler
