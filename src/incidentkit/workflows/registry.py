"""Which step types exist and which inputs each accepts, as the loader needs to know.

The node registry (``incidentkit.workflows.nodes.NODE_TYPES``) is the authority. Until it is
installed, the built-in node names documented for the format are known without input checks, so
workflows using them still load.
"""

from __future__ import annotations

import importlib
from typing import Any

from incidentkit.workflows.schema import ENGINE_STEP_TYPES

# The built-in node types of the documented format, used only when no registry is importable.
DOCUMENTED_NODE_TYPES = (
    "agent.dispatch",
    "http.request",
    "incident_io.follow_up.create",
    "incident_io.incident.acknowledge",
    "incident_io.incident.create",
    "incident_io.incident.escalate",
    "incident_io.incident.get",
    "incident_io.incident.list",
    "incident_io.incident.resolve",
    "incident_io.incident.update",
    "incident_io.timeline.add_event",
    "incident_io.update.post",
    "investigate",
    "slack.post",
)


def node_types() -> dict[str, Any]:
    """The node registry (type name → ``NodeType``), or an empty dict when it is not installed."""
    try:
        module = importlib.import_module("incidentkit.workflows.nodes")
    except ImportError:
        return {}
    registry: dict[str, Any] = getattr(module, "NODE_TYPES", {})
    return registry


def known_step_types() -> list[str]:
    """Every step type a workflow may use, sorted: the engine's own and the nodes'."""
    nodes = node_types() or dict.fromkeys(DOCUMENTED_NODE_TYPES)
    return sorted({*ENGINE_STEP_TYPES, *nodes})


def input_names(step_type: str) -> list[str] | None:
    """The input names a node type accepts (its field aliases), or None when unknown or unchecked."""
    node = node_types().get(step_type)
    if node is None:
        return None
    names: list[str] = []
    for name, info in node.inputs.model_fields.items():
        names.append(info.alias or name)
    return names


def required_input_names(step_type: str) -> list[str]:
    """The inputs a node type requires (its fields without defaults), or [] when unknown."""
    node = node_types().get(step_type)
    if node is None:
        return []
    return [info.alias or name for name, info in node.inputs.model_fields.items() if info.is_required()]
