"""The background side of running workflows: the worker thread, its chores, the lease heartbeat.

A :class:`Worker` drives an :class:`~incidentkit.workflows.engine.Engine` in a background thread:
every round it runs its chores (schedule ticks, workflow reloads), then claims and drives runs
until none is due, and waits to be woken or for the poll interval. While a step runs, the
engine's :class:`LeaseHeartbeat` renews the run's lease from another thread, so a slow step keeps
its run and a dead worker's lease runs out soon after it dies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from incidentkit.background import BackgroundLoop, Heartbeat
from incidentkit.store.errors import LeaseLostError
from incidentkit.store.runs import RunStore

if TYPE_CHECKING:
    from incidentkit.workflows.engine import Engine

logger = logging.getLogger("incidentkit.workflows.worker")


class LeaseHeartbeat:
    """Renews the lease of the run in hand every ``interval`` seconds (real time) while a step runs.

    Args:
        runs: the run store.
        owner: the worker's name in leases.
        lease: how long each renewal holds the run.
        interval: seconds between renewals.
    """

    def __init__(self, runs: RunStore, owner: str, lease: timedelta, interval: float) -> None:
        self.runs = runs
        self.owner = owner
        self.lease = lease
        self._heartbeat = Heartbeat(interval, name="incidentkit-lease", logger=logger)

    def beating(self, run_id: str) -> AbstractContextManager[None]:
        """Keep renewing the lease of ``run_id`` while the block runs."""
        return self._heartbeat.beating(partial(self._renew, run_id))

    def close(self) -> None:
        """Stop the heartbeat thread, if it was started."""
        self._heartbeat.close()

    def _renew(self, run_id: str) -> None:
        """Renew the run's lease (the heartbeat's beat while a step runs)."""
        with suppress(LeaseLostError):  # the step's checkpoint will find out and stop the run there
            self.runs.renew_lease(run_id, self.owner, lease=self.lease)


class Worker:
    """Runs an engine (and any periodic chores) in a background thread until stopped.

    While the store is unavailable the worker logs one line when that starts and one when it ends
    (tracebacks at debug level), and keeps retrying.

    Args:
        engine: what to drive.
        chores: called every round before claiming (schedule ticks, workflow reloads).
        poll_interval: seconds between rounds when nothing wakes the worker.
    """

    def __init__(
        self, engine: Engine, *, chores: tuple[Callable[[], object], ...] = (), poll_interval: float = 1.0
    ) -> None:
        self.engine = engine
        self.chores = chores
        self.poll_interval = poll_interval
        self._loop = BackgroundLoop("incidentkit-worker", self._round, interval=poll_interval, logger=logger)

    @property
    def alive(self) -> bool:
        """Whether the worker's thread is running."""
        return self._loop.alive

    def wake(self) -> None:
        """Look for work now (the dispatcher calls this after creating runs)."""
        self._loop.wake()

    def start(self) -> None:
        """Start the background thread."""
        self.engine.resume()
        self._loop.start()

    def stop(self) -> None:
        """Stop at the next step boundary (the run in hand is checkpointed and released), and wait."""
        self.engine.request_stop()
        self._loop.stop()
        self.engine.close()

    def _round(self) -> None:
        for chore in self.chores:
            chore()
        while not self._loop.stopping and self.engine.run_once():
            pass
