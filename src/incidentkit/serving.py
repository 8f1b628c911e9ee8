"""Serving an ASGI app with uvicorn on loopback, in a background thread or in the foreground."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

import uvicorn

DEFAULT_HOST = "127.0.0.1"
Lifespan = Literal["on", "off"]


class _Server(uvicorn.Server):
    """A uvicorn server that says when it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class _ForegroundServer(_Server):
    """A server that stops on SIGTERM or SIGINT and returns, instead of raising the signal again.

    uvicorn re-raises the signal after its graceful shutdown, which kills the process before the
    caller can stop its own parts (workers, the store); returning lets them stop and the process
    exit 0.
    """

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            self._captured_signals.clear()


def bind(host: str = DEFAULT_HOST, port: int = 0) -> socket.socket:
    """A listening socket; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Naming the protocol matters: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
    # sockets whose proto is IPPROTO_TCP. Left on, every keep-alive answer (headers, then body)
    # waits ~40 ms for the client's delayed acknowledgement.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class RunningServer:
    """A server running in a background thread; a context manager that stops it on exit."""

    url: str
    _server: _Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def _config(app: Any, lifespan: Lifespan = "off") -> uvicorn.Config:
    return uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan)


def serve_in_thread(
    app: Any,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    sock: socket.socket | None = None,
    lifespan: Lifespan = "off",
) -> RunningServer:
    """Serve ``app`` from a background thread; returns once it accepts connections.

    Args:
        app: the ASGI app.
        host: where to listen, unless ``sock`` is given.
        port: the port (0 picks a free one), unless ``sock`` is given.
        sock: a socket already bound with :func:`bind` (its URL was known before serving); it is
            closed when the server stops.
        lifespan: ``"on"`` for an app that starts its own parts in its ASGI lifespan (the MCP
            server's session manager); ``"off"`` otherwise.
    """
    sock = sock if sock is not None else bind(host, port)
    server = _Server(_config(app, lifespan))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as error:  # reported to the caller below
            failure.append(error)
            server.ready.set()
        finally:
            sock.close()

    thread = threading.Thread(target=run, name="incidentkit-server", daemon=True)
    thread.start()
    server.ready.wait()
    if failure:
        raise RuntimeError(f"the server did not start: {failure[0]}") from failure[0]
    return RunningServer(url_of(sock), server, thread)


def serve_forever(
    app: Any,
    sock: socket.socket,
    *,
    on_ready: Callable[[], None] | None = None,
    lifespan: Lifespan = "off",
) -> None:
    """Serve ``app`` on ``sock`` until SIGTERM or SIGINT; ``on_ready()`` runs once it accepts.

    On either signal the server stops accepting, lets the requests in flight finish, and returns.
    ``lifespan`` is as for :func:`serve_in_thread`.
    """
    server = _ForegroundServer(_config(app, lifespan))
    if on_ready is not None:
        threading.Thread(target=lambda: (server.ready.wait(), on_ready()), daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; the server has already shut down cleanly
    finally:
        sock.close()


def wait_for_signal(on_ready: Callable[[], None] | None = None) -> int:
    """Block until SIGINT or SIGTERM arrives (for a process that serves no HTTP); returns the signal.

    ``on_ready()`` runs once the handlers are in place, so a signal sent as soon as it has spoken
    is never missed. The previous handlers are put back before returning. Main thread only.
    """
    import signal

    arrived = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        received.append(signum)
        arrived.set()

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        if on_ready is not None:
            on_ready()
        while not arrived.wait(0.5):  # a timed wait lets the interpreter run the handler promptly
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return received[0]
