"""``agent.dispatch``: hand the incident to a configured agent and wait for its answer without a worker.

The step POSTs the incident and the step's ``payload`` to the agent named by ``agentCard``,
with a resume token, and returns :class:`~incidentkit.workflows.nodes.base.Park`. The engine
parks the run; when the agent answers (a callback or a poll) the engine calls
:func:`complete_agent_dispatch`, which checks the token and turns the answer into the step's
output. This is the same shape as an approval: a durable token that the answer must present.

The token is an HMAC of the engine's idempotency key under a configured secret, so a retried
dispatch sends the same token (the agent can deduplicate) and a restarted engine can still
check the answer. Nobody without the secret can forge the token for another step.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import Field

from incidentkit.api.retry import is_retryable_status
from incidentkit.credentials import Secret
from incidentkit.workflows.errors import WorkflowError
from incidentkit.workflows.nodes.base import Completed, NodeContext, Park, StepError, StepInputs
from incidentkit.workflows.nodes.incidents import incident_output
from incidentkit.workflows.nodes.registry import register

PARK_KIND = "agent"


class AgentAnswerError(WorkflowError, ValueError):
    """Raised when an agent's answer cannot finish the step: a wrong token or a malformed result."""


def resume_token(token_key: Secret, idempotency_key: str) -> str:
    """The resume token of a dispatch: the same for every attempt of one step, unguessable otherwise."""
    digest = hmac.new(
        token_key.reveal().encode(), b"agent.dispatch:" + idempotency_key.encode(), hashlib.sha256
    ).digest()
    return "agt_" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class AgentDispatchInputs(StepInputs):
    """Inputs of ``agent.dispatch``."""

    agent_card: str = Field(description="the agent's name in the agents configuration")
    payload: dict[str, Any] = Field(default_factory=dict)
    incident_id: str | None = Field(None, description="the incident to send; by default payload.incidentId")
    timeout: float | None = Field(None, gt=0, description="seconds to wait for the answer")


def _preview(inputs: AgentDispatchInputs, context: NodeContext) -> dict[str, Any]:
    endpoint = context.agents.agents.get(inputs.agent_card)
    return {
        "agent": inputs.agent_card,
        "url": endpoint.url if endpoint else None,
        "payload": inputs.payload,
    }


@register("agent.dispatch", AgentDispatchInputs, writes=True, preview=_preview)
def dispatch_to_agent(inputs: AgentDispatchInputs, context: NodeContext) -> Park:
    """Send the incident and ``payload`` to the agent, then park until it answers or the deadline passes."""
    import httpx2

    settings = context.agents
    endpoint = settings.agents.get(inputs.agent_card)
    if endpoint is None:
        known = ", ".join(sorted(settings.agents)) or "(none are configured)"
        raise StepError(
            f"agent.dispatch: no agent {inputs.agent_card!r} is configured; agents: {known}", retryable=False
        )
    if settings.token_key is None:
        raise StepError(
            "agent.dispatch: no agents token_key is configured to sign resume tokens", retryable=False
        )
    if not context.idempotency_key:
        raise StepError("agent.dispatch: the engine gave no idempotency key for this step", retryable=False)
    token = resume_token(settings.token_key, context.idempotency_key)
    deadline = context.clock() + timedelta(seconds=inputs.timeout or endpoint.timeout_seconds)
    incident_ref = inputs.incident_id or inputs.payload.get("incidentId") or inputs.payload.get("incident_id")
    incident = None
    if incident_ref and context.client is not None:
        incident = incident_output(context.client.incidents.get(str(incident_ref)))
    body = {
        "agent": inputs.agent_card,
        "resume_token": token,
        "callback_url": f"{settings.callback_url.rstrip('/')}/{token}" if settings.callback_url else None,
        "deadline": deadline.isoformat(),
        "incident": incident,
        "payload": inputs.payload,
    }
    headers = {"Idempotency-Key": context.idempotency_key}
    if endpoint.token is not None:
        headers["Authorization"] = f"Bearer {endpoint.token.reveal()}"
    context.log.info("dispatching to agent %s", inputs.agent_card)
    try:
        with httpx2.Client(timeout=30.0) as client:
            response = client.post(endpoint.url, json=body, headers=headers)
    except httpx2.TransportError as error:
        raise StepError(
            f"agent.dispatch: could not reach agent {inputs.agent_card!r}: {type(error).__name__}",
            retryable=True,
        ) from None
    if not response.is_success:
        status = response.status_code
        raise StepError(
            f"agent.dispatch: agent {inputs.agent_card!r} answered {status}: {response.text[:300]}",
            retryable=is_retryable_status(status),
        )
    return Park(
        kind=PARK_KIND,
        resume_token=token,
        payload={"agent": inputs.agent_card, "incident_id": incident["incident_id"] if incident else None},
        deadline=deadline,
    )


def complete_agent_dispatch(park: Park, token: str, result: Mapping[str, Any]) -> Completed:
    """Finish a parked ``agent.dispatch`` with the agent's answer (pure: no I/O).

    The answer's fields become the step's output (``$steps.<id>.summary``), next to ``agent``
    and the whole ``result``. An answer with ``"status": "failed"`` fails the step.

    Raises:
        AgentAnswerError: the token is not this step's, or the result is not a JSON object.
        StepError: the agent reported that it failed (not retryable: the agent already tried).
    """
    if park.kind != PARK_KIND:
        raise AgentAnswerError(f"this step waits for {park.kind!r}, not for an agent's answer")
    if not hmac.compare_digest(token.encode(), park.resume_token.encode()):
        raise AgentAnswerError("the resume token does not match this step")
    if not isinstance(result, Mapping):
        raise AgentAnswerError(f"an agent's result must be a JSON object, not {type(result).__name__}")
    agent = park.payload.get("agent")
    if result.get("status") == "failed":
        reason = result.get("error") or result.get("summary") or "no reason given"
        raise StepError(f"agent {agent!r} failed: {reason}", retryable=False)
    return Completed({**result, "agent": agent, "result": dict(result)})
