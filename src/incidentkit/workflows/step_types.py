"""Which step types exist and which inputs each accepts, as the loader needs to know.

The node registry (``incidentkit.workflows.nodes.NODE_TYPES``) is the authority for node steps;
the engine's own step types (``condition``, ``approval``, ``wait``, ``log``) are added here. The
registry is imported on first use, so loading this module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from incidentkit.workflows.schema import ENGINE_STEP_TYPES

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

    from incidentkit.workflows.nodes import NodeType


def node_types() -> dict[str, NodeType]:
    """The node registry: type name → ``NodeType``."""
    from incidentkit.workflows.nodes import NODE_TYPES

    return NODE_TYPES


def known_step_types() -> list[str]:
    """Every step type a workflow may use, sorted: the engine's own and the nodes'."""
    return sorted({*ENGINE_STEP_TYPES, *node_types()})


def node_inputs(step_type: str) -> dict[str, FieldInfo] | None:
    """The input fields of a node type (field name → info; ``alias`` is the YAML name), else None."""
    node = node_types().get(step_type)
    return None if node is None else dict(node.inputs.model_fields)
