"""The seam between the workflow engine and the step implementations.

A step type (``incident_io.incident.acknowledge``, ``slack.post``, ...) is a :class:`NodeType`:
a pydantic model of its inputs, whether it has side effects, and a ``run`` function. ``run``
takes the validated inputs and a :class:`NodeContext` and returns a :class:`Completed` result
or a :class:`Park` (the run waits, without a worker, for an answer that arrives later), or raises
a :class:`StepError` that says whether retrying can help.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import pydantic
from pydantic.alias_generators import to_camel

from incidentkit.credentials import Secret
from incidentkit.workflows.errors import WorkflowError

if TYPE_CHECKING:
    from incidentkit.api import Client
    from incidentkit.store import Store

logger = logging.getLogger("incidentkit.workflows.nodes")


class StepInputs(pydantic.BaseModel):
    """Base of every node's inputs: camelCase names as in the YAML (snake_case accepted), nothing unknown."""

    model_config = pydantic.ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        frozen=True,
    )


class StepError(WorkflowError):
    """A step failed; ``retryable`` says whether the engine should schedule another attempt.

    Args:
        message: what went wrong, for the run log and the person reading it.
        retryable: True for transient failures (408, 409, 429, 5xx, network errors).
        retry_after: seconds the other side asked us to wait (``Retry-After``), when it did.
    """

    def __init__(self, message: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"StepError({self.message!r}, retryable={self.retryable}, retry_after={self.retry_after})"


@dataclass(frozen=True)
class Completed:
    """The step finished; ``output`` becomes ``$steps.<id>.*``."""

    output: dict[str, Any]


@dataclass(frozen=True)
class Park:
    """The step waits for an answer from outside (an agent, like an approval), without holding a worker.

    The engine stores this, marks the run ``waiting`` and resumes it when an answer arrives that
    carries ``resume_token``, or when ``deadline`` passes.

    Attributes:
        kind: what is awaited, such as ``"agent"``.
        resume_token: the durable token the answer must present.
        payload: what the engine needs to finish the step later (for example, which agent).
        deadline: when to stop waiting.
    """

    kind: str
    resume_token: str
    payload: dict[str, Any]
    deadline: datetime

    def __repr__(self) -> str:
        # The token lets whoever holds it finish the step: keep it out of logs.
        return f"Park(kind={self.kind!r}, resume_token='********', deadline={self.deadline.isoformat()})"


NodeResult = Completed | Park


@dataclass(frozen=True)
class SlackSettings:
    """Where and as whom ``slack.post`` posts.

    Attributes:
        token: the bot token (from the credential store or the config file).
        base_url: the Slack Web API's base URL; point it elsewhere for tests.
        timeout: seconds to wait for Slack.
    """

    token: Secret | None = None
    base_url: str = "https://slack.com/api/"
    timeout: float = 30.0


@dataclass(frozen=True)
class HttpSettings:
    """What ``http.request`` may call.

    Attributes:
        allowed_hosts: host names (exact, case-insensitive) requests and redirects may go to;
            empty means ``http.request`` can call nothing.
        timeout: the default seconds to wait for a response.
        max_redirects: how many allow-listed redirects to follow.
    """

    allowed_hosts: frozenset[str] = frozenset()
    timeout: float = 30.0
    max_redirects: int = 5


@dataclass(frozen=True)
class AgentEndpoint:
    """One agent that ``agent.dispatch`` can hand work to, named by its agent card.

    Attributes:
        url: where the dispatch is POSTed.
        token: a bearer token for the agent, if it wants one.
        timeout_seconds: how long the run waits for the answer.
    """

    url: str
    token: Secret | None = None
    timeout_seconds: float = 1800.0


@dataclass(frozen=True)
class AgentSettings:
    """The configured agents and how they answer.

    Attributes:
        agents: endpoints by agent card name.
        token_key: the secret resume tokens are derived from (the same key must be used to
            check the answers, so a token survives restarts).
        callback_url: where agents send their answers; the token is appended as a path segment.
    """

    agents: Mapping[str, AgentEndpoint] = field(default_factory=dict)
    token_key: Secret | None = None
    callback_url: str | None = None


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class NodeContext:
    """Everything a step may use besides its inputs; the engine builds one per attempt.

    Attributes:
        client: the incident.io client. Build it with retries off
            (``retry=RetryPolicy(max_retries=0)``) so failures reach the engine, which schedules
            retries itself instead of sleeping in a worker.
        idempotency_key: derived by the engine from run id + step id (+ foreach index); the same
            on every retry, and sent with every create.
        dry_run: write steps return what they would send and send nothing.
        clock: the current time (aware); injectable for tests.
        log: the run log.
        severity_map: the organisation's ``severity_map`` config: ``SEV-1``/``P0``/any name →
            the organisation's severity name.
        team_field: the custom field that holds an incident's team, by name; by default any
            custom field whose name contains "team".
        slack: settings for ``slack.post``.
        http: settings for ``http.request``.
        agents: settings for ``agent.dispatch``.
        store: the engine's store (the incident history and change log ``investigate`` reads).
    """

    client: Client | None = None
    idempotency_key: str = ""
    dry_run: bool = False
    clock: Callable[[], datetime] = utc_now
    log: logging.Logger | logging.LoggerAdapter[logging.Logger] = logger
    severity_map: Mapping[str, str] = field(default_factory=dict)
    team_field: str | None = None
    slack: SlackSettings = field(default_factory=SlackSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)
    store: Store | None = None

    def api(self) -> Client:
        """The incident.io client, or a clear error when the engine configured none."""
        if self.client is None:
            raise StepError("no incident.io client is configured for this run", retryable=False)
        return self.client


InputsT = TypeVar("InputsT", bound=pydantic.BaseModel)


@dataclass(frozen=True)
class NodeType:
    """A step type: its name, its inputs model, whether it writes, and how it runs.

    Attributes:
        name: the ``type:`` of the step in YAML, such as ``incident_io.incident.acknowledge``.
        inputs: the model that validates ``inputs:`` (unknown inputs are refused).
        writes: True for side effects; in a dry run such steps send nothing.
        run: performs the step.
    """

    name: str
    inputs: type[pydantic.BaseModel]
    writes: bool
    run: Callable[[pydantic.BaseModel, NodeContext], NodeResult]

    def validate_inputs(self, raw: Mapping[str, Any]) -> pydantic.BaseModel:
        """Check a step's ``inputs:``; raises :class:`StepError` naming every bad input."""
        return validate_inputs(self.name, self.inputs, raw)

    def input_names(self) -> frozenset[str]:
        """The input names as written in YAML (camelCase), for checks before values are known."""
        return frozenset(f.alias or name for name, f in self.inputs.model_fields.items())

    def required_inputs(self) -> frozenset[str]:
        """The input names a step of this type must give."""
        return frozenset(f.alias or name for name, f in self.inputs.model_fields.items() if f.is_required())


def validate_inputs(step_type: str, model: type[InputsT], raw: Mapping[str, Any]) -> InputsT:
    """Validate ``raw`` with ``model``; a :class:`StepError` (not retryable) lists each problem by input name.

    The message never quotes the values: an input may hold a secret (an Authorization header).
    """
    try:
        return model.model_validate(dict(raw))
    except pydantic.ValidationError as error:
        problems = []
        for detail in error.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in detail["loc"]) or "inputs"
            problems.append(f"input {where!r}: {detail['msg']}")
        raise StepError(f"{step_type}: invalid inputs: " + "; ".join(problems), retryable=False) from None
