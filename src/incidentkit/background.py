"""Background loops and heartbeats: the threads behind the webhook processor, the workflow workers and
the emulator's webhook delivery.

A :class:`BackgroundLoop` runs one *round* of work in a daemon thread, again and again: when woken,
or when the pause the round asked for has passed. A round that raises does not end the loop; what it
raised is logged once when the loop goes from working to failing ("store unavailable: ...;
retrying"), once when it works again ("store available again after 10.1 s"), and otherwise only at
debug level, with the traceback, so an outage is two lines in the log instead of one a second.

A :class:`Heartbeat` calls a function every few seconds while a block of work runs, so a lease (a
workflow run's, an inbox claim's) is renewed while its holder is alive and runs out soon after it dies.

This module imports nothing of the package: every layer may use it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Round = Callable[[], float | None]
"""One round of a loop's work; returns the seconds to wait before the next (None: the loop's interval)."""


class BackgroundLoop:
    """Runs ``round`` in a daemon thread until :meth:`stop`, logging each change between working and failing.

    Args:
        name: the thread's name, and how log lines name the loop.
        round: one round of work (see :data:`Round`).
        interval: seconds between rounds when the round names no pause and nothing wakes the loop.
        logger: where state changes go.
        failing: what a failing round means, for the log ("store unavailable", "delivery failing").
        recovered: what working again means ("store available again").
        clock: monotonic seconds, to say how long the failure lasted; injectable for tests.
    """

    def __init__(
        self,
        name: str,
        round: Round,
        *,
        interval: float,
        logger: logging.Logger,
        failing: str = "store unavailable",
        recovered: str = "store available again",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.round = round
        self.interval = interval
        self.logger = logger
        self.failing = failing
        self.recovered = recovered
        self.clock = clock
        self.failing_since: float | None = None
        """When the rounds started failing (by ``clock``), or None while they work."""
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called: a round checks it between pieces of work."""
        return self._stopping.is_set()

    @property
    def alive(self) -> bool:
        """Whether the thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Run the next round now (or as soon as the one in progress ends)."""
        self._wake.set()

    def start(self) -> None:
        """Start the thread.

        Raises:
            RuntimeError: it is already running.
        """
        if self._thread is not None:
            raise RuntimeError(f"{self.name} is already running")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to stop after the round in progress, and wait for it."""
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def run_round(self) -> float | None:
        """Run one round, logging a change between working and failing; the pause it asked for."""
        try:
            pause = self.round()
        except Exception as error:
            if self.failing_since is None:
                self.failing_since = self.clock()
                self.logger.warning("%s: %s: %s; retrying", self.name, self.failing, _summary(error))
            self.logger.debug("%s: the round failed", self.name, exc_info=True)
            return None
        if self.failing_since is not None:
            lasted = self.clock() - self.failing_since
            self.failing_since = None
            self.logger.warning("%s: %s after %.1f s", self.name, self.recovered, lasted)
        return pause

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            pause = self.run_round()
            if self._stopping.is_set():
                break
            self._wake.wait(self.interval if pause is None else max(0.0, pause))


def _summary(error: BaseException) -> str:
    """One line for an error: its type and the first line of its message (SQL and parameters left out)."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class Heartbeat:
    """Calls a function every ``interval`` seconds while a block runs (one thread, started when first needed).

    Args:
        interval: seconds between beats (real time).
        name: the thread's name.
        logger: where a failed beat is logged (once per block, then at debug level).
    """

    def __init__(self, interval: float, *, name: str, logger: logging.Logger) -> None:
        self.interval = interval
        self.name = name
        self.logger = logger
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beat: Callable[[], None] | None = None
        self._failed = False

    @contextmanager
    def beating(self, beat: Callable[[], None]) -> Iterator[None]:
        """Within the block, ``beat()`` is called every ``interval`` seconds."""
        with self._lock:
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._beat, self._failed = beat, False
        try:
            yield
        finally:
            with self._lock:
                self._beat = None

    def close(self) -> None:
        """Stop the thread, if it was started."""
        self._stop.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                beat = self._beat
            if beat is None:
                continue
            try:
                beat()
            except Exception as error:
                level = logging.DEBUG if self._failed else logging.WARNING
                self._failed = True
                self.logger.log(level, "%s: a heartbeat failed: %s", self.name, _summary(error))
