"""Step implementations for workflows: incident.io actions, Slack, HTTP and agent dispatch.

The engine looks a step's ``type`` up in :data:`NODE_TYPES`, validates its ``inputs`` with the
node's model (:meth:`NodeType.validate_inputs`), and calls ``run(inputs, context)``. A run
returns :class:`Completed` or :class:`Park`, or raises :class:`StepError` (``retryable`` says
whether to schedule another attempt, ``retry_after`` how long the other side asked to wait).

>>> from incidentkit.workflows.nodes import NODE_TYPES
>>> NODE_TYPES["incident_io.incident.acknowledge"].writes
True
"""

from __future__ import annotations

# Importing the node modules registers their step types.
from incidentkit.workflows.nodes import agent, alerts, http_request, incidents, investigate, paging, slack
from incidentkit.workflows.nodes.agent import AgentAnswerError, complete_agent_dispatch
from incidentkit.workflows.nodes.base import (
    AgentEndpoint,
    AgentSettings,
    Completed,
    HttpSettings,
    NodeContext,
    NodeResult,
    NodeType,
    Park,
    SlackSettings,
    StepError,
    StepInputs,
    validate_inputs,
)
from incidentkit.workflows.nodes.registry import NODE_TYPES

__all__ = [
    "NODE_TYPES",
    "AgentAnswerError",
    "AgentEndpoint",
    "AgentSettings",
    "Completed",
    "HttpSettings",
    "NodeContext",
    "NodeResult",
    "NodeType",
    "Park",
    "SlackSettings",
    "StepError",
    "StepInputs",
    "complete_agent_dispatch",
    "validate_inputs",
]

del agent, alerts, http_request, incidents, investigate, paging, slack
