"""Workflow steps refuse a dashboard URL of another organisation, through the client's resolver."""

from __future__ import annotations

import pytest

from incidentkit.api import Client
from incidentkit.workflows.nodes import NODE_TYPES, Completed, NodeContext, StepError

OTHER = "https://app.incident.io/some-other-org/incidents/1"
MINE = "https://app.incident.io/sandbox/incidents/1"


@pytest.mark.parametrize(
    ("step_type", "inputs"),
    [
        ("incident_io.incident.get", {"incidentId": OTHER}),
        ("incident_io.incident.resolve", {"incidentId": OTHER}),
        ("incident_io.update.post", {"incidentId": OTHER, "message": "x"}),
        ("incident_io.follow_up.create", {"incidentId": OTHER, "title": "x"}),
        (
            "incident_io.follow_up.create",
            {"incidentId": OTHER.replace("/1", "/01FDAG4SAP5TYPT98WGR2N7W91"), "title": "x"},
        ),
    ],
)
def test_a_step_given_another_organisations_url_fails_naming_both(
    step_type: str, inputs: dict[str, str], context: NodeContext
) -> None:
    node = NODE_TYPES[step_type]
    with pytest.raises(StepError) as excinfo:
        node.run(node.validate_inputs(inputs), context)
    assert "'some-other-org'" in excinfo.value.message and "'sandbox'" in excinfo.value.message
    assert not excinfo.value.retryable


def test_a_step_given_the_keys_organisations_url_works(context: NodeContext, step_client: Client) -> None:
    node = NODE_TYPES["incident_io.incident.get"]
    result = node.run(node.validate_inputs({"incidentId": MINE}), context)
    assert isinstance(result, Completed) and result.output["reference"] == "INC-1"
