"""``agent.dispatch`` against a local agent, and the step table the loader relies on."""

from __future__ import annotations

import dataclasses
import json
import types
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from incidentkit.api import Client
from incidentkit.credentials import Secret
from incidentkit.workflows import nodes
from incidentkit.workflows.nodes import (
    NODE_TYPES,
    AgentAnswerError,
    AgentEndpoint,
    AgentSettings,
    Completed,
    NodeContext,
    Park,
    StepError,
    complete_agent_dispatch,
)
from tests.workflows.nodes.conftest import NOW, LocalServer, Responder

AGENT_TOKEN = "agent-bearer-secret"


def accept(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
    if path == "/busy":
        return 503, {}, {"error": "overloaded"}
    if path == "/refuses":
        return 400, {}, {"error": "unknown payload"}
    return 202, {}, {"accepted": True}


@pytest.fixture
def agent(local_server: Callable[[Responder], LocalServer]) -> LocalServer:
    return local_server(accept)


def agent_context(context: NodeContext, server: LocalServer, path: str = "/dispatch") -> NodeContext:
    settings = AgentSettings(
        agents={
            "incident-responder": AgentEndpoint(
                url=server.url + path, token=Secret(AGENT_TOKEN), timeout_seconds=600
            )
        },
        token_key=Secret("resume-token-key"),
        callback_url="http://127.0.0.1:8080/agents/answers/",
    )
    return dataclasses.replace(context, agents=settings)


def dispatch(context: NodeContext, inputs: dict[str, Any]) -> Park:
    node = NODE_TYPES["agent.dispatch"]
    result = node.run(node.validate_inputs(inputs), context)
    assert isinstance(result, Park)
    return result


EXAMPLE = {"agentCard": "incident-responder", "payload": {"incidentId": "INC-1", "severity": "Minor"}}


def test_dispatch_posts_the_incident_and_payload_then_parks(
    context: NodeContext, agent: LocalServer, step_client: Client
) -> None:
    park = dispatch(agent_context(context, agent), EXAMPLE)
    assert park.kind == "agent" and park.resume_token.startswith("agt_")
    assert park.deadline == NOW + timedelta(seconds=600)
    (request,) = agent.received
    sent = request.json()
    assert sent["payload"] == EXAMPLE["payload"] and sent["agent"] == "incident-responder"
    assert sent["incident"]["reference"] == "INC-1" and sent["incident"]["status"] == "Investigating"
    assert sent["resume_token"] == park.resume_token
    assert sent["callback_url"] == f"http://127.0.0.1:8080/agents/answers/{park.resume_token}"
    assert request.headers["authorization"] == f"Bearer {AGENT_TOKEN}"
    assert request.headers["idempotency-key"] == "run-1:step-1"
    assert park.resume_token not in repr(park)


def test_a_retried_dispatch_carries_the_same_token_and_another_step_another(
    context: NodeContext, agent: LocalServer
) -> None:
    configured = agent_context(context, agent)
    first = dispatch(configured, EXAMPLE)
    again = dispatch(configured, EXAMPLE)
    other = dispatch(dataclasses.replace(configured, idempotency_key="run-1:step-2"), EXAMPLE)
    assert first.resume_token == again.resume_token != other.resume_token


def test_the_answer_completes_the_step_with_its_fields(context: NodeContext, agent: LocalServer) -> None:
    park = dispatch(agent_context(context, agent), EXAMPLE)
    result = {"summary": "Rolled back deploy 42", "recommendation": "resolve"}
    completed = complete_agent_dispatch(park, park.resume_token, result)
    assert isinstance(completed, Completed)
    assert completed.output["summary"] == "Rolled back deploy 42"
    assert completed.output["agent"] == "incident-responder" and completed.output["result"] == result


def test_a_wrong_token_or_a_bad_answer_is_refused(context: NodeContext, agent: LocalServer) -> None:
    park = dispatch(agent_context(context, agent), EXAMPLE)
    with pytest.raises(AgentAnswerError, match="does not match"):
        complete_agent_dispatch(park, park.resume_token[:-1] + "x", {"summary": "forged"})
    with pytest.raises(AgentAnswerError, match="JSON object"):
        complete_agent_dispatch(park, park.resume_token, ["not", "a", "map"])  # type: ignore[arg-type]
    with pytest.raises(StepError, match="failed: out of budget") as raised:
        complete_agent_dispatch(park, park.resume_token, {"status": "failed", "error": "out of budget"})
    assert not raised.value.retryable


@pytest.mark.parametrize(("path", "retryable"), [("/busy", True), ("/refuses", False)])
def test_an_agent_failure_is_classified(
    context: NodeContext, agent: LocalServer, path: str, retryable: bool
) -> None:
    with pytest.raises(StepError, match="answered") as raised:
        dispatch(agent_context(context, agent, path), EXAMPLE)
    assert raised.value.retryable is retryable


def test_an_unknown_agent_names_the_configured_ones(context: NodeContext, agent: LocalServer) -> None:
    with pytest.raises(StepError, match=r"no agent 'triage'.*incident-responder") as raised:
        dispatch(agent_context(context, agent), {"agentCard": "triage"})
    assert not raised.value.retryable and agent.received == []


def test_without_a_token_key_nothing_is_dispatched(context: NodeContext, agent: LocalServer) -> None:
    configured = agent_context(context, agent)
    no_key = dataclasses.replace(configured, agents=dataclasses.replace(configured.agents, token_key=None))
    with pytest.raises(StepError, match="token_key"):
        dispatch(no_key, EXAMPLE)
    assert agent.received == []


def test_an_agent_dry_run_sends_nothing(context: NodeContext, agent: LocalServer) -> None:
    node = NODE_TYPES["agent.dispatch"]
    configured = dataclasses.replace(agent_context(context, agent), dry_run=True)
    result = node.run(node.validate_inputs(EXAMPLE), configured)
    assert isinstance(result, Completed) and result.output["would_send"]["url"] == agent.url + "/dispatch"
    assert agent.received == []


# The step table


ENGINE_LEVEL = {"condition", "approval", "wait", "log"}
STEP_TABLE = {
    "incident_io.incident.get": False,
    "incident_io.incident.list": False,
    "incident_io.incident.acknowledge": True,
    "incident_io.incident.resolve": True,
    "incident_io.incident.update": True,
    "incident_io.incident.escalate": True,
    "incident_io.incident.create": True,
    "incident_io.update.post": True,
    "incident_io.timeline.add_event": True,
    "incident_io.follow_up.create": True,
    "incident_io.alert.send": True,
    "incident_io.alert.resolve": True,
    "slack.post": True,
    "http.request": True,
    "investigate": False,
    "agent.dispatch": True,
    "incident_io.escalation.create": True,
    "incident_io.escalation.respond": True,
    "incident_io.oncall.who": False,
}


def test_every_step_of_the_table_is_registered_with_whether_it_writes() -> None:
    assert {name: node.writes for name, node in NODE_TYPES.items()} == STEP_TABLE
    assert not ENGINE_LEVEL & set(NODE_TYPES)
    assert all(node.name == name for name, node in NODE_TYPES.items())


def test_the_package_exports_exactly_its_public_names() -> None:
    public = {
        name
        for name, value in vars(nodes).items()
        if name[0].isalpha() and name != "annotations" and not isinstance(value, types.ModuleType)
    }
    assert public == set(nodes.__all__)


@pytest.mark.parametrize(
    ("step_type", "inputs"),
    [
        (
            "incident_io.incident.acknowledge",
            {"incidentId": "01HDH3SMWK0C2D8TN41PVW61TA", "message": "Acknowledged by automated workflow"},
        ),
        ("incident_io.incident.list", {"status": "open", "team": "eng-on-call", "limit": 10}),
        (
            "incident_io.timeline.add_event",
            {
                "incidentId": "INC-1",
                "eventType": "custom",
                "title": "Automated mitigation started",
                "description": "x",
            },
        ),
        ("incident_io.incident.update", {"incidentId": "INC-1", "severity": "SEV-1"}),
        ("slack.post", {"channel": "#oncall", "message": "🚨 SEV-1 Incident: Checkout down"}),
        ("agent.dispatch", EXAMPLE),
    ],
)
def test_the_documented_examples_validate(step_type: str, inputs: dict[str, Any]) -> None:
    validated = NODE_TYPES[step_type].validate_inputs(inputs)
    assert validated.model_dump(by_alias=True, exclude_unset=True) == inputs


def test_input_names_are_known_before_values_are() -> None:
    node = NODE_TYPES["incident_io.timeline.add_event"]
    assert node.input_names() == {"incidentId", "eventType", "title", "description", "timestamp"}
    assert node.required_inputs() == {"incidentId", "title"}
    assert NODE_TYPES["agent.dispatch"].required_inputs() == {"agentCard"}


def test_snake_case_names_are_accepted_too() -> None:
    validated = NODE_TYPES["incident_io.incident.get"].validate_inputs({"incident_id": "INC-1"})
    assert validated.model_dump(by_alias=True) == {"incidentId": "INC-1"}


@pytest.mark.parametrize("step_type", sorted(STEP_TABLE))
def test_an_unknown_input_is_refused_by_name(step_type: str) -> None:
    with pytest.raises(StepError, match=r"input 'colour'.*Extra inputs are not permitted") as raised:
        NODE_TYPES[step_type].validate_inputs({"colour": "red"})
    assert step_type in raised.value.message and not raised.value.retryable


def test_a_missing_or_mistyped_input_is_named_and_its_value_not_echoed() -> None:
    with pytest.raises(StepError) as raised:
        NODE_TYPES["incident_io.incident.list"].validate_inputs({"limit": "lots", "team": {"x": "secret"}})
    message = raised.value.message
    assert "input 'limit'" in message and "input 'team'" in message and "secret" not in message
    with pytest.raises(StepError, match="input 'incidentId': Field required"):
        NODE_TYPES["incident_io.incident.acknowledge"].validate_inputs({"message": "hi"})


def test_investigate_of_an_incident_that_is_not_there_fails_for_good(context: NodeContext) -> None:
    node = NODE_TYPES["investigate"]
    with pytest.raises(StepError, match="404") as raised:
        node.run(node.validate_inputs({"incidentId": "INC-9999"}), context)
    assert not raised.value.retryable


def test_a_run_given_another_steps_inputs_is_a_programming_error(context: NodeContext) -> None:
    other = NODE_TYPES["slack.post"].validate_inputs({"channel": "#x", "message": "y"})
    with pytest.raises(TypeError, match="GetInputs"):
        NODE_TYPES["incident_io.incident.get"].run(other, context)


def test_a_step_without_a_client_fails_clearly() -> None:
    node = NODE_TYPES["incident_io.incident.get"]
    with pytest.raises(StepError, match=r"no incident\.io client") as raised:
        node.run(node.validate_inputs({"incidentId": "INC-1"}), NodeContext())
    assert not raised.value.retryable


def test_step_error_json_of_a_park_is_plain_data(context: NodeContext, agent: LocalServer) -> None:
    """What the engine stores for a parked step serialises as JSON."""
    park = dispatch(agent_context(context, agent), EXAMPLE)
    stored = json.dumps({"kind": park.kind, "token": park.resume_token, "payload": park.payload})
    assert json.loads(stored)["payload"]["agent"] == "incident-responder"
