"""Building the whole incidentkit service of one process from its settings, and starting and stopping it.

A :class:`Service` is the webhook receiver (with the engine's HTTP endpoints), the processor that
handles stored events, the dispatcher that starts workflow runs, and the workers that execute them,
over one store. ``incidentkit serve`` is a service with a receiver; ``incidentkit worker`` one
without (``receive=False``); the demo and the tests build the same thing.

The listening socket is bound first, so the service's URL (and the callback URL agents answer at)
is known before anything starts. More HTTP routes (a dashboard) join the receiver's app through
:meth:`Service.mount`; the workflow backend is :attr:`Service.runtime`, the one place where a
distributed engine would plug in.

Example:
    >>> with Service(ServiceSettings(port=0, workers=0)) as service:  # doctest: +SKIP
    ...     service.start()
    ...     print(service.webhook_url)
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from incidentkit.service.changes_routes import ChangeIntake
from incidentkit.serving import DEFAULT_HOST, RunningServer, bind, serve_forever, serve_in_thread, url_of
from incidentkit.store import RetentionPolicy, Store
from incidentkit.store.run_records import Run
from incidentkit.store.runs import DEFAULT_RUN_LEASE
from incidentkit.timeutil import utc_now
from incidentkit.webhooks.receiver import DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, INGEST_PATH
from incidentkit.workflows.config import EngineConfig

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.routing import BaseRoute

    from incidentkit.api import Client
    from incidentkit.webhooks.processor import Processor
    from incidentkit.workflows.runtime import EngineRuntime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSettings:
    """What one incidentkit process runs, and how.

    Attributes:
        store_url: the store (``sqlite:///...`` or ``postgresql://...``); None for the default store.
        host: where the receiver listens (loopback by default).
        port: the receiver's port; 0 picks a free one.
        webhook_secrets: the signing secrets deliveries are verified with; none refuses every delivery.
        max_body_bytes: larger webhook bodies are refused with 413.
        retention: how long processed events and webhook ids are kept.
        workflows_dir: the workflow files; None runs no workflows.
        engine: the engine's configuration (Slack, HTTP, agents, severity names, API token).
        workers: workflow worker threads; 0 runs none (runs wait for a worker elsewhere).
        poll_interval: seconds between the processor's and workers' looks for work nobody woke them for.
        lease: how long a claimed run stays a worker's without a checkpoint.
        receive: serve the receiver and process its events; False for workers alone.
        changes: the change intake (``POST /api/changes`` with its token, GitHub deployment webhooks).
    """

    store_url: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    webhook_secrets: Sequence[str] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    workflows_dir: Path | None = None
    engine: EngineConfig = field(default_factory=EngineConfig)
    workers: int = 1
    poll_interval: float = 1.0
    lease: timedelta = DEFAULT_RUN_LEASE
    receive: bool = True
    changes: ChangeIntake = field(default_factory=ChangeIntake)


class Service:
    """The receiver, processor, dispatcher and workers of one process, built from :class:`ServiceSettings`.

    Constructing it binds the socket and opens the store; nothing runs until :meth:`start` (in
    background threads) or :meth:`serve_forever` (in the foreground, until a signal). :meth:`stop`
    (or leaving the ``with`` block) stops and closes everything it started or opened.

    Args:
        settings: what to run.
        client: the incident.io client the processor fetches private incidents with; None keeps
            their events dead with the reason.
        steps_client: the client workflow steps call incident.io with (its retries off, so the
            engine schedules them); None for steps that need no API.
        store: an open store to use instead of opening ``settings.store_url`` (it is not closed).
        clock: the current time, for the store it opens.
        on_event: told about each thing a run does (the demo narrates them).

    Raises:
        OSError: the socket cannot be bound (the port is taken, the address is not local).
    """

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        client: Client | None = None,
        steps_client: Client | None = None,
        store: Store | None = None,
        clock: Callable[[], datetime] = utc_now,
        on_event: Callable[[Run, str], None] | None = None,
    ) -> None:
        from incidentkit.workflows.runtime import EngineRuntime

        self.settings = settings
        self._socket: socket.socket | None = bind(settings.host, settings.port) if settings.receive else None
        self.url: str | None = url_of(self._socket) if self._socket is not None else None
        self._server: RunningServer | None = None
        self._owns_store = store is None
        try:
            self.store = store or Store.open(settings.store_url, clock=clock)
        except BaseException:
            self._close_socket()
            raise
        self.runtime: EngineRuntime = EngineRuntime(
            self.store,
            settings.workflows_dir,
            steps_client,
            _with_callback(settings.engine, self.url),
            workers=max(settings.workers, 1),
            poll_interval=settings.poll_interval,
            lease=settings.lease,
            on_event=on_event,
        )
        self.processor: Processor | None = None
        self.app: Starlette | None = None
        if settings.receive:
            self.processor, self.app = self._receiver(client)

    def _receiver(self, client: Client | None) -> tuple[Processor, Starlette]:
        from incidentkit.investigation.change_log import ChangeLog
        from incidentkit.service.changes_routes import changes_routes
        from incidentkit.service.routes import engine_routes
        from incidentkit.webhooks.handling import IncidentEventHandler
        from incidentkit.webhooks.processor import Processor
        from incidentkit.webhooks.receiver import create_receiver_app
        from incidentkit.webhooks.verify import WebhookVerifier

        # A malformed secret is refused here, naming its position only.
        verifier = WebhookVerifier(list(self.settings.webhook_secrets))
        handler = IncidentEventHandler(self.store, client, subscribers=[self.runtime.dispatcher])
        processor = Processor(self.store, handler, retention=self.settings.retention)
        # /healthz is healthy only while these run (and the store takes writes).
        alive: dict[str, Callable[[], bool]] = {"processor": lambda: processor.alive}
        if self.settings.workers:
            alive["workers"] = self.runtime.alive
        app = create_receiver_app(
            self.store,
            verifier,
            max_body_bytes=self.settings.max_body_bytes,
            on_stored=processor.wake,
            alive=alive,
        )
        app.router.routes.extend(engine_routes(self.runtime, self.runtime.config.api_token))
        app.router.routes.extend(changes_routes(ChangeLog(self.store), self.settings.changes))
        return processor, app

    @property
    def webhook_url(self) -> str | None:
        """Where incident.io (or the emulator) should deliver webhooks; None without a receiver."""
        return self.url + INGEST_PATH if self.url is not None else None

    def mount(self, routes: Sequence[BaseRoute]) -> None:
        """Serve more HTTP routes next to the receiver (before :meth:`start`)."""
        if self.app is None:
            raise RuntimeError("this service has no receiver to mount routes on (receive=False)")
        self.app.router.routes.extend(routes)

    def start(self) -> Service:
        """Start the processor, workers and receiver in background threads; returns once it accepts."""
        self._start_processing()
        if self.app is not None and self._socket is not None:
            self._server = serve_in_thread(self.app, sock=self._socket)
            self._socket = None  # the server closes it
        return self

    def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        """Run in the foreground until SIGINT or SIGTERM, then stop everything cleanly.

        Args:
            on_ready: called once the receiver accepts connections (or at once without one).
        """
        from incidentkit.serving import wait_for_signal

        self._start_processing()
        try:
            if self.app is not None and self._socket is not None:
                sock, self._socket = self._socket, None
                serve_forever(self.app, sock, on_ready=on_ready)
            else:
                wait_for_signal(on_ready)
        finally:
            self.stop()

    def _start_processing(self) -> None:
        if self.processor is not None:
            self.processor.start(poll_interval=self.settings.poll_interval)
        if self.settings.workers:
            self.runtime.start()

    def stop(self) -> None:
        """Stop the receiver, the workers (each at a step boundary) and the processor; close the store."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.runtime.stop()
        if self.processor is not None:
            self.processor.stop()
        logger.info("Workers and processor stopped; closing the store")
        self._close_socket()
        if self._owns_store:
            self.store.close()

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> Service:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def _with_callback(config: EngineConfig, url: str | None) -> EngineConfig:
    """The configuration with agents answering at this service, unless one was configured."""
    from incidentkit.service.routes import AGENT_ANSWER_PREFIX

    if url is None or config.agents.callback_url is not None:
        return config
    return replace(config, agents=replace(config.agents, callback_url=url + AGENT_ANSWER_PREFIX))


def describe(service: Service) -> list[str]:
    """What a person starting the service should know: where it listens, its store, its secrets."""
    from incidentkit.webhooks.verify import secret_fingerprint

    lines: list[str] = []
    if service.url is not None:
        lines += [f"incidentkit receiver listening on {service.url}", f"Webhook URL: {service.webhook_url}"]
    lines.append(f"Store: {service.store.url}")
    if service.settings.receive:
        secrets = service.settings.webhook_secrets
        fingerprints = ", ".join(secret_fingerprint(s) for s in secrets) or "none: every delivery is refused"
        lines.append(f"Signing secrets: {fingerprints}")
        lines += _describe_changes(service)
    return lines


def _describe_changes(service: Service) -> list[str]:
    """Where changes come in, when some way is configured (secrets shown only as fingerprints)."""
    from incidentkit.service.changes_routes import CHANGES_PATH, GITHUB_PATH
    from incidentkit.webhooks.verify import secret_fingerprint

    intake, url = service.settings.changes, service.url or ""
    lines: list[str] = []
    if intake.token is not None:
        lines.append(f"Changes API: {url}{CHANGES_PATH} (token {secret_fingerprint(intake.token.reveal())})")
    if intake.github_secret is not None:
        fingerprint = secret_fingerprint(intake.github_secret.reveal())
        lines.append(f"GitHub deployments: {url}{GITHUB_PATH} (secret {fingerprint})")
    return lines
