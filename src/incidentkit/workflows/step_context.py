"""What a step is given besides its inputs: the engine's settings, its idempotency key, its run log.

Every step gets an idempotency key derived from the run id and the step key (``id`` or
``id[index]``): the same on every retry and after a crash, so a create is never made twice.
:func:`node_context` puts these together into the :class:`~incidentkit.workflows.nodes.NodeContext`
a node runs with, its Slack and HTTP timeouts capped by the step's ``timeout:``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from incidentkit.store.run_records import NewLogLine, Run
from incidentkit.workflows.nodes import AgentSettings, HttpSettings, NodeContext, SlackSettings

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.store import Store


@dataclass(frozen=True)
class EngineSettings:
    """What steps may use besides the client: the same for every run.

    Attributes:
        severity_map: the configuration's ``severity_map``.
        team_field: the custom field holding the team.
        slack: ``slack.post`` settings.
        http: ``http.request`` settings.
        agents: ``agent.dispatch`` settings.
        workflow_metadata: extra ``$workflow`` fields by workflow name (``agent``, ...).
    """

    severity_map: Mapping[str, str] = field(default_factory=dict)
    team_field: str | None = None
    slack: SlackSettings = field(default_factory=SlackSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    workflow_metadata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def idempotency_key(run_id: str, step_key: str) -> str:
    """The key every attempt of one step sends: a hash of the run id and the step key (``id[index]``)."""
    return "ik-" + hashlib.sha256(f"{run_id}\x00{step_key}".encode()).hexdigest()[:40]


class RunLog(logging.LoggerAdapter[logging.Logger]):
    """The ``log`` a step gets: lines go to the process log and, with the checkpoint, to the run log."""

    def __init__(self, base: logging.Logger, run_id: str, step_key: str) -> None:
        super().__init__(base, {"run_id": run_id, "step_key": step_key})
        self.step_key = step_key
        self.lines: list[NewLogLine] = []

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        text = str(msg) % args if args else str(msg)
        self.lines.append(NewLogLine(logging.getLevelName(level).lower(), text, self.step_key))
        super().log(level, msg, *args, **kwargs)


def seconds_left(deadline: datetime, clock: Callable[[], datetime]) -> float:
    """Seconds until ``deadline`` by ``clock``; never zero, so a timeout made of it still times out."""
    return max((deadline - clock()).total_seconds(), 0.001)


def node_context(
    run: Run,
    step_key: str,
    log: RunLog,
    deadline: datetime | None,
    *,
    client: Client | None,
    settings: EngineSettings,
    clock: Callable[[], datetime],
    store: Store | None = None,
) -> NodeContext:
    """What a node step of ``run`` runs with; ``deadline`` is when its ``timeout:`` ends, if it has one."""
    slack, http = settings.slack, settings.http
    if deadline is not None:
        # The step's ``timeout:`` bounds what it waits for outside (Slack, HTTP; the
        # incident.io client is bounded by the engine's ``_api_bound``).
        seconds = seconds_left(deadline, clock)
        slack = replace(slack, timeout=min(slack.timeout, seconds))
        http = replace(http, timeout=min(http.timeout, seconds))
    return NodeContext(
        client=client,
        idempotency_key=idempotency_key(run.id, step_key),
        dry_run=run.dry_run,
        clock=clock,
        log=log,
        severity_map=settings.severity_map,
        team_field=settings.team_field,
        slack=slack,
        http=http,
        agents=settings.agents,
        store=store,
    )
