"""``investigate``: registered so workflows that use it load, but not available yet."""

from __future__ import annotations

from incidentkit.workflows.nodes.base import NodeContext, NodeResult, StepError, StepInputs
from incidentkit.workflows.nodes.registry import register


class InvestigateInputs(StepInputs):
    """Inputs of ``investigate``."""

    incident_id: str | None = None
    write_findings: bool = False


@register("investigate", InvestigateInputs, writes=False)
def investigate(inputs: InvestigateInputs, context: NodeContext) -> NodeResult:
    """Fail, not retryably: the built-in investigation does not exist yet."""
    raise StepError(
        "investigate: investigation is not available yet in this version of incidentkit", retryable=False
    )
