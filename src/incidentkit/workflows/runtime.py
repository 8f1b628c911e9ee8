"""The engine assembled for a process: workflows from a directory, the dispatcher and the workers.

The service (:mod:`incidentkit.service`) builds one :class:`EngineRuntime`, subscribes its
dispatcher to the webhook processor and serves its HTTP endpoints
(:mod:`incidentkit.service.routes`); ``incidentkit worker`` runs only its workers. Every round a
worker reloads changed workflow files and starts the runs of cron ticks that came due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentkit.store import Store
from incidentkit.store.run_records import Run
from incidentkit.store.runs import DEFAULT_RUN_LEASE, RunStore
from incidentkit.workflows.config import EngineConfig
from incidentkit.workflows.directory import WorkflowDirectory
from incidentkit.workflows.dispatcher import Dispatcher
from incidentkit.workflows.engine import Engine
from incidentkit.workflows.step_context import EngineSettings
from incidentkit.workflows.worker import Worker

if TYPE_CHECKING:
    from incidentkit.api import Client

logger = logging.getLogger("incidentkit.workflows.runtime")


def engine_client(api_key: str, base_url: str | None) -> Client:
    """A client as the engine needs it: its own retries off, so the engine schedules retries."""
    from incidentkit.api import Client, RetryPolicy

    return Client(api_key, base_url=base_url, retry=RetryPolicy(max_retries=0))


@dataclass
class EngineRuntime:
    """Dispatcher, engine and workers over one store and one workflow directory.

    Args:
        store: the store (runs live next to the inbox).
        workflows_dir: where the workflow files are; None runs no workflows.
        client: the incident.io client (retries off).
        config: settings for the steps.
        workers: how many worker threads.
        poll_interval: seconds between worker rounds when nothing wakes them.
        lease: how long a claim holds a run.
        on_event: told about each thing a run did (the demo prints them).
    """

    store: Store
    workflows_dir: Path | None
    client: Client | None = None
    config: EngineConfig = field(default_factory=EngineConfig)
    workers: int = 1
    poll_interval: float = 1.0
    lease: timedelta = DEFAULT_RUN_LEASE
    on_event: Callable[[Run, str], None] | None = None

    def __post_init__(self) -> None:
        self.runs = RunStore(self.store)
        self.directory = WorkflowDirectory(self.workflows_dir) if self.workflows_dir is not None else None
        self.settings = EngineSettings(
            severity_map=self.config.severity_map,
            team_field=self.config.team_field,
            slack=self.config.slack,
            http=self.config.http,
            agents=self.config.agents,
        )
        self.dispatcher = Dispatcher(
            self.runs,
            self.workflows,
            self.client,
            severity_map=self.config.severity_map,
            team_field=self.config.team_field,
            on_created=self.wake,
        )
        self.engines = [
            Engine(self.runs, self.client, settings=self.settings, lease=self.lease, on_event=self.on_event)
            for _ in range(max(self.workers, 1))
        ]
        chores: tuple[Callable[[], object], ...] = (self.reload, self.dispatcher.tick)
        self._workers = [
            Worker(engine, chores=chores if index == 0 else (), poll_interval=self.poll_interval)
            for index, engine in enumerate(self.engines)
        ]

    def workflows(self) -> list[Any]:
        """The workflows running now."""
        return self.directory.workflows() if self.directory is not None else []

    def reload(self) -> bool:
        """Pick up changed workflow files (a broken file keeps its last good version)."""
        return self.directory.reload_if_changed() if self.directory is not None else False

    def wake(self) -> None:
        """Tell the workers there is work."""
        for worker in self._workers:
            worker.wake()

    def start(self) -> None:
        """Start the worker threads."""
        for worker in self._workers:
            worker.start()

    def alive(self) -> bool:
        """Whether every worker thread is running."""
        return all(worker.alive for worker in self._workers)

    def stop(self) -> None:
        """Stop the worker threads (each at a step boundary of the run in hand)."""
        for worker in self._workers:
            worker.stop()
