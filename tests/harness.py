"""A whole engine on one machine: emulator, signed webhooks over loopback, receiver, processor, worker.

Time comes from the shared ``FakeClock``; the emulator reads the same clock, so retries, waits
and approval timeouts are driven by moving it, never by sleeping.

A pytest plugin (``pytest_plugins`` of ``tests/conftest.py``), so the workflow tests and the
service's route tests share the fixtures (``harness``, ``harness_factory``, ``agent_server``,
``hook``); tests import the helpers (``Harness``, ``SlowHook``, ``wait_for``...) from here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

from incidentkit.api import Client, RetryPolicy
from incidentkit.credentials import Secret
from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread
from incidentkit.store import Store
from incidentkit.store.run_records import Run
from incidentkit.store.runs import RunStore
from incidentkit.testing import SlackRecorder
from incidentkit.testing.loopback import Answer, LoopbackServer, Received
from incidentkit.webhooks.handling import IncidentEventHandler
from incidentkit.webhooks.processor import Processor
from incidentkit.webhooks.receiver import INGEST_PATH, create_receiver_app
from incidentkit.webhooks.verify import WebhookVerifier
from incidentkit.workflows.dispatcher import Dispatcher
from incidentkit.workflows.engine import Engine
from incidentkit.workflows.loader import Workflow, load_text
from incidentkit.workflows.nodes import AgentEndpoint, AgentSettings, SlackSettings
from incidentkit.workflows.step_context import EngineSettings
from tests.conftest import FakeClock

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BOT_TOKEN = "xoxb-engine-tests"


@dataclass
class Harness:
    """Everything a workflow test touches."""

    store: Store
    runs: RunStore
    emulator: Emulator
    api: Client
    engine: Engine
    dispatcher: Dispatcher
    processor: Processor
    slack: SlackRecorder
    clock: FakeClock
    workflows: list[Workflow] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)
    # The read timeout each engine call to the emulator carried, in call order.
    read_timeouts: list[float] = field(default_factory=list)

    def add(self, text: str, name: str = "test") -> Workflow:
        workflow = load_text(text, f"{name}.yaml")
        self.workflows.append(workflow)
        return workflow

    def declare(
        self, name: str = "Database down", severity: str = "Critical", **fields: Any
    ) -> dict[str, Any]:
        """Declare an incident in the emulator (as a person would), deliver its webhooks, process them."""
        incident = self.api.incidents.create(name=name, severity=severity, **fields)
        self.pump()
        return self.incident(incident.id)

    def pump(self) -> list[Run]:
        """Deliver the emulator's webhooks over HTTP, process the stored events; returns runs started."""
        before = {run.id for run in self.runs.list_runs(limit=None)}
        self.emulator.deliver_webhooks()
        self.processor.process_pending()
        return [run for run in self.runs.list_runs(limit=None) if run.id not in before]

    def incident(self, incident_id: str) -> dict[str, Any]:
        body = self.api.request("GET", f"/v2/incidents/{incident_id}")
        incident: dict[str, Any] = body["incident"]
        return incident

    def updates(self, incident_id: str) -> list[dict[str, Any]]:
        body = self.api.request("GET", "/v2/incident_updates", params={"incident_id": incident_id})
        found: list[dict[str, Any]] = body["incident_updates"]
        return found

    def only_run(self) -> Run:
        [run] = self.runs.list_runs(limit=None)
        return run

    def steps(self, run: Run) -> dict[str, str]:
        return {record.step_key: record.status for record in self.runs.steps(run.id)}


@pytest.fixture
def harness_factory(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Harness]]:
    made: list[Callable[[], None]] = []

    def make(
        store_url: str | None = None, agents: AgentSettings | None = None, **settings_fields: Any
    ) -> Harness:
        store = Store.open(store_url or f"sqlite:///{tmp_path / 'engine.db'}", clock=clock)
        emulator = Emulator(seed="default", clock=clock, random_seed=5)
        seen: list[tuple[str, str]] = []
        read_timeouts: list[float] = []
        inner = emulator.transport()

        def record(request: httpx2.Request) -> httpx2.Response:
            seen.append((request.method, request.url.path))
            read_timeouts.append(request.extensions["timeout"]["read"])
            return inner.handle_request(request)

        api = Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None, now=clock)
        # The engine's client: retries off, so the engine schedules them.
        step_client = Client(
            SANDBOX_API_KEY,
            transport=httpx2.MockTransport(record),
            rate_limit=None,
            retry=RetryPolicy(max_retries=0),
            now=clock,
        )
        slack = SlackRecorder(token=BOT_TOKEN).start()
        receiver = serve_in_thread(create_receiver_app(store, WebhookVerifier([SECRET], clock=clock)))
        runs = RunStore(store)
        workflows: list[Workflow] = []
        settings = EngineSettings(
            slack=SlackSettings(token=Secret(BOT_TOKEN), base_url=slack.base_url),
            agents=agents or AgentSettings(),
            **settings_fields,
        )
        engine = Engine(
            runs,
            step_client,
            settings=settings,
            clock=clock,
            owner="worker-a",
            sleep=lambda seconds: clock.advance(seconds=seconds),
        )
        dispatcher = Dispatcher(runs, lambda: workflows, step_client, clock=clock)
        processor = Processor(store, IncidentEventHandler(store, step_client, subscribers=[dispatcher]))
        api.request(
            "POST", "/_emulator/webhook_endpoints", json={"url": receiver.url + INGEST_PATH, "secret": SECRET}
        )

        def close() -> None:
            receiver.stop()
            slack.stop()
            step_client.close()
            api.close()
            store.close()

        made.append(close)
        return Harness(
            store,
            runs,
            emulator,
            api,
            engine,
            dispatcher,
            processor,
            slack,
            clock,
            workflows,
            seen,
            read_timeouts,
        )

    yield make
    for close in made:
        close()


@pytest.fixture
def harness(harness_factory: Callable[..., Harness]) -> Harness:
    return harness_factory()


def agent_settings(url: str) -> AgentSettings:
    return AgentSettings(
        agents={"incident-responder": AgentEndpoint(url=url)},
        token_key=Secret("agent-token-key-for-tests"),
        callback_url="http://127.0.0.1:8700/api/agent-dispatch",
    )


@dataclass
class AgentServer:
    """A loopback agent endpoint that accepts every dispatch (202) and records it."""

    url: str
    received: list[dict[str, Any]]


@pytest.fixture
def agent_server() -> Iterator[AgentServer]:
    received: list[dict[str, Any]] = []

    def accept(request: Received) -> Answer:
        received.append(request.json())
        return 202, {}, {}

    with LoopbackServer(accept) as server:
        yield AgentServer(f"{server.url}/dispatch", received)


# A hook that holds requests, and waiting on threads.

DEADLINE_SECONDS = 60


class SlowHook:
    """A local HTTP server that holds every request until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.arrived = threading.Event()
        self.count = 0
        self.server = LoopbackServer(self._hold)
        self.url = f"{self.server.url}/hook"

    def _hold(self, request: Received) -> Answer:
        self.count += 1
        self.arrived.set()
        self.release.wait(DEADLINE_SECONDS)
        return 200, {}, {"ok": True}

    def close(self) -> None:
        self.release.set()
        self.server.stop()


@pytest.fixture
def hook() -> Iterator[SlowHook]:
    server = SlowHook()
    yield server
    server.close()


def wait_for(condition: Any, what: str) -> None:
    """Poll until ``condition()`` holds; fail after the deadline (a bound, not a sleep the test relies on)."""
    give_up = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > give_up:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)
