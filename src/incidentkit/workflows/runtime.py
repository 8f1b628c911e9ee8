"""The engine assembled for a process: workflows from a directory, dispatcher, workers, HTTP endpoints.

``incidentkit serve`` builds one :class:`EngineRuntime`, subscribes its dispatcher to the webhook
processor and mounts :func:`engine_routes` next to the receiver; ``incidentkit worker`` builds one
and runs only its workers. Every round a worker reloads changed workflow files and starts the
runs of cron ticks that came due.

The HTTP endpoints (``POST /api/approvals/{id}/approve|reject``, ``POST /api/agent-dispatch/{token}``)
are off (503, fail closed) without a configured API token. Approvals require
``Authorization: Bearer <api token>``, compared in constant time and never logged. An agent's
answer is authenticated by the resume token in its path alone: signed for that one step, it is the
only credential an agent is given, and it cannot decide an approval, so an agent may request an
approval (a workflow step after its answer) but never grant one.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incidentkit.store import Store
from incidentkit.store.runs import DEFAULT_RUN_LEASE, Run, RunStore
from incidentkit.workflows.config import EngineConfig
from incidentkit.workflows.directory import WorkflowDirectory
from incidentkit.workflows.dispatcher import Dispatcher
from incidentkit.workflows.engine import Engine, EngineSettings, Worker

if TYPE_CHECKING:
    from starlette.routing import Route

    from incidentkit.api import Client
    from incidentkit.secrets import Secret

logger = logging.getLogger("incidentkit.workflows.runtime")

APPROVALS_PATH = "/api/approvals/{approval_id}/{decision}"
AGENT_ANSWER_PATH = "/api/agent-dispatch/{token}"


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


def engine_routes(runtime: EngineRuntime, api_token: Secret | None) -> list[Route]:
    """The approval and agent-answer endpoints, for the serve app."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from incidentkit.store.errors import AlreadyDecidedError, RunNotFoundError

    def off() -> JSONResponse | None:
        if api_token is None:
            return JSONResponse(
                {"error": "no API token is configured: this endpoint is off"}, status_code=503
            )
        return None

    def refused(request: Request) -> JSONResponse | None:
        if (answer := off()) is not None or api_token is None:
            return answer
        given = request.headers.get("authorization", "")
        expected = f"Bearer {api_token.reveal()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401)
        return None

    async def decide(request: Request) -> JSONResponse:
        if (answer := refused(request)) is not None:
            return answer
        decision = {"approve": "approved", "reject": "rejected"}.get(request.path_params["decision"])
        if decision is None:
            return JSONResponse({"error": "use /approve or /reject"}, status_code=404)
        try:
            body = await request.json()
        except ValueError:
            body = {}
        by = body.get("by") if isinstance(body, dict) else None
        if not isinstance(by, str) or not by.strip():
            return JSONResponse({"error": 'say who decides: {"by": "name"}'}, status_code=422)
        if by.strip() in runtime.settings.agents.agents:
            refusal = f"{by.strip()!r} is an agent: an agent may request an approval but never grant one"
            return JSONResponse({"error": refusal}, status_code=403)
        try:
            approval = await run_in_threadpool(
                runtime.runs.decide, request.path_params["approval_id"], decision, by
            )
        except RunNotFoundError as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        except AlreadyDecidedError as error:
            return JSONResponse({"error": str(error)}, status_code=409)
        except ValueError as error:  # not one of the approvers it names
            return JSONResponse({"error": str(error)}, status_code=403)
        runtime.wake()
        return JSONResponse({"approval": {**approval.to_dict(), "decision": decision, "decided_by": by}})

    async def agent_answer(request: Request) -> JSONResponse:
        # The resume token in the path is the agent's credential (checked by answer_agent); the
        # API token, which can decide approvals, is never needed by an agent.
        if (answer := off()) is not None:
            return answer
        from incidentkit.workflows.nodes import AgentAnswerError

        try:
            result = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be a JSON object"}, status_code=422)
        try:
            record = await run_in_threadpool(
                runtime.engines[0].answer_agent, request.path_params["token"], result
            )
        except RunNotFoundError as error:
            return JSONResponse({"error": str(error)}, status_code=404)
        except AgentAnswerError as error:
            return JSONResponse({"error": str(error)}, status_code=422)
        except AlreadyDecidedError as error:
            return JSONResponse({"error": str(error)}, status_code=409)
        runtime.wake()
        return JSONResponse({"run_id": record.run_id, "step": record.step_key, "status": record.status})

    return [
        Route(APPROVALS_PATH, decide, methods=["POST"]),
        Route(AGENT_ANSWER_PATH, agent_answer, methods=["POST"]),
    ]
