"""The service's approval and agent-answer endpoints.

Bodies are read with a limit and one JSON parser; approvals and agent answers go over HTTP
(token-authenticated) to the whole engine of the harness; approvers are named by user or by role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from incidentkit.credentials import Secret
from incidentkit.emulator import serve_in_thread
from incidentkit.service.routes import MAX_AGENT_ANSWER_BYTES, MAX_DECISION_BYTES, engine_routes
from incidentkit.store import Store
from incidentkit.store.states import RunStatus
from incidentkit.workflows.config import EngineConfig
from incidentkit.workflows.runtime import EngineRuntime
from tests.harness import AgentServer, Harness, agent_settings

TOKEN = "approvals-token-for-tests"


@pytest.fixture
def http(tmp_path: Path) -> Iterator[TestClient]:
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        runtime = EngineRuntime(store, None)
        app = Starlette(routes=engine_routes(runtime, Secret(TOKEN)))
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            yield client


def test_an_oversized_decision_is_refused_before_it_is_read(http: TestClient) -> None:
    answer = http.post("/api/approvals/apr_1/approve", content=b"{" + b" " * MAX_DECISION_BYTES + b"}")
    assert answer.status_code == 413
    assert str(MAX_DECISION_BYTES) in answer.json()["error"]


def test_a_decision_that_is_not_json_says_why(http: TestClient) -> None:
    answer = http.post("/api/approvals/apr_1/approve", content=b'{"by": ')
    assert answer.status_code == 422
    assert "not valid JSON" in answer.json()["error"]


def test_a_decision_without_a_decider_names_the_field(http: TestClient) -> None:
    answer = http.post("/api/approvals/apr_1/approve", json={})
    assert answer.status_code == 422
    assert '"by"' in answer.json()["error"]


def test_an_oversized_agent_answer_is_refused(http: TestClient) -> None:
    answer = http.post("/api/agent-dispatch/any-token", content=b"x" * (MAX_AGENT_ANSWER_BYTES + 1))
    assert answer.status_code == 413


GATE = """
trigger:
  type: trigger.incident_io.incident.created
steps:
  - id: gate
    type: approval
  - id: after
    type: log
    message: "{{ $steps.gate.decision }} by {{ $steps.gate.decided_by }}"
"""


@contextmanager
def engine_http(harness: Harness, token: str | None = TOKEN) -> Iterator[httpx2.Client]:
    """The engine's endpoints served on loopback, as serve mounts them."""
    runtime = EngineRuntime(harness.store, None, harness.engine.client, EngineConfig())
    runtime.engines[0] = harness.engine
    runtime.settings = harness.engine.settings
    app = Starlette(routes=engine_routes(runtime, Secret(token) if token else None))
    with serve_in_thread(app) as served, httpx2.Client(base_url=served.url) as client:
        yield client


def test_approve_over_http_with_the_token_first_decision_wins(harness: Harness) -> None:
    harness.add(GATE)
    harness.declare()
    harness.engine.run_until_idle()
    [approval] = harness.runs.list_approvals()
    with engine_http(harness) as client:
        path = f"/api/approvals/{approval.id}/approve"
        assert client.post(path, json={"by": "ana"}).status_code == 401
        wrong = client.post(path, json={"by": "ana"}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and TOKEN not in wrong.text
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert client.post(path, json={}, headers=auth).status_code == 422
        ok = client.post(path, json={"by": "ana"}, headers=auth)
        assert ok.status_code == 200, ok.text
        assert ok.status_code == 200 and ok.json()["approval"]["decision"] == "approved"
        second = client.post(f"/api/approvals/{approval.id}/reject", json={"by": "bob"}, headers=auth)
        assert second.status_code == 409 and "already decided" in second.json()["error"]
        assert client.post("/api/approvals/apr_x/approve", json={"by": "a"}, headers=auth).status_code == 404
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED
    assert harness.runs.logs(run.id)[-2].message == "approved by ana"


def test_without_a_token_the_endpoints_are_off(harness: Harness) -> None:
    with engine_http(harness, token=None) as client:
        assert client.post("/api/approvals/apr_x/approve", json={"by": "a"}).status_code == 503
        assert client.post("/api/agent-dispatch/agt_x", json={}).status_code == 503


def test_an_agent_answers_over_http(
    harness_factory: Callable[..., Harness], agent_server: AgentServer
) -> None:
    harness = harness_factory(agents=agent_settings(agent_server.url))
    harness.add(
        "trigger:\n  type: trigger.incident_io.incident.created\nsteps:\n"
        "  - id: ask\n    type: agent.dispatch\n    inputs:\n      agentCard: incident-responder\n"
        "      payload:\n        incidentId: '{{ $trigger.incident_io.incident_id }}'\n"
        "  - id: say\n    type: log\n    message: '{{ $steps.ask.summary }}'\n"
    )
    harness.declare()
    harness.engine.run_until_idle()
    [sent] = agent_server.received
    assert TOKEN not in str(sent)  # the agent is never handed the token that decides approvals
    with engine_http(harness) as client:
        # The resume token in the path is the agent's only credential.
        assert client.post("/api/agent-dispatch/agt_wrong", json={}).status_code == 404
        token = sent["resume_token"]
        answered = client.post(f"/api/agent-dispatch/{token}", json={"summary": "restarted"})
        assert answered.status_code == 200, answered.text
        assert client.post(f"/api/agent-dispatch/{token}", json={}).status_code == 404
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED
    assert harness.runs.logs(run.id)[-2].message == "restarted"


AGENT_THEN_GATE = """
trigger:
  type: trigger.incident_io.incident.created
steps:
  - id: ask
    type: agent.dispatch
    inputs:
      agentCard: incident-responder
      payload:
        incidentId: "{{ $trigger.incident_io.incident_id }}"
  - id: gate
    type: approval
    prompt: "Apply the agent's plan: {{ $steps.ask.summary }}?"
"""


def test_an_agent_may_request_an_approval_but_never_grant_one(
    harness_factory: Callable[..., Harness], agent_server: AgentServer
) -> None:
    harness = harness_factory(agents=agent_settings(agent_server.url))
    harness.add(AGENT_THEN_GATE)
    harness.declare()
    harness.engine.run_until_idle()
    [sent] = agent_server.received
    token = sent["resume_token"]
    with engine_http(harness) as client:
        answered = client.post(f"/api/agent-dispatch/{token}", json={"summary": "roll back"})
        assert answered.status_code == 200, answered.text
        harness.engine.run_until_idle()
        [approval] = harness.runs.list_approvals()
        assert approval.prompt == "Apply the agent's plan: roll back?"
        path = f"/api/approvals/{approval.id}/approve"
        # The agent's own credential decides nothing ...
        as_agent = client.post(path, json={"by": "bot"}, headers={"Authorization": f"Bearer {token}"})
        assert as_agent.status_code == 401
        # ... and a decision in an agent's name is refused even with the approvals token.
        auth = {"Authorization": f"Bearer {TOKEN}"}
        named = client.post(path, json={"by": "incident-responder"}, headers=auth)
        assert named.status_code == 403
        assert "an agent may request an approval but never grant one" in named.json()["error"]
        assert harness.only_run().status is RunStatus.WAITING
        assert client.post(path, json={"by": "ana"}, headers=auth).status_code == 200
    harness.engine.run_until_idle()
    assert harness.only_run().status is RunStatus.SUCCEEDED


LEAD_GATE = GATE.replace(
    "    type: approval\n", "    type: approval\n    approvers:\n      roles: [incident-lead]\n"
)


def _lead_role(harness: Harness) -> dict[str, str]:
    [lead] = [
        role
        for role in harness.api.request("GET", "/v2/incident_roles")["incident_roles"]
        if role["role_type"] == "lead"
    ]
    return lead


def _user(harness: Harness, email: str) -> dict[str, str]:
    [user] = harness.api.request("GET", "/v2/users", params={"email": email})["users"]
    return user


def test_an_approval_naming_its_users_refuses_others_over_http(harness: Harness) -> None:
    harness.add(
        GATE.replace("    type: approval\n", "    type: approval\n    approvers: [priya@example.com]\n")
    )
    harness.declare()
    harness.engine.run_until_idle()
    [approval] = harness.runs.list_approvals()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with engine_http(harness) as client:
        path = f"/api/approvals/{approval.id}/approve"
        refused = client.post(path, json={"by": "sam@example.com"}, headers=auth)
        assert refused.status_code == 403, refused.text
        assert "sam@example.com may not decide" in refused.json()["error"]
        assert "users priya@example.com" in refused.json()["error"]
        unknown = client.post(path, json={"by": "random-person"}, headers=auth)
        assert unknown.status_code == 403 and "not an incident.io user" in unknown.json()["error"]
        assert harness.runs.list_approvals() == [approval]
        by_id = client.post(path, json={"by": _user(harness, "priya@example.com")["id"]}, headers=auth)
        assert by_id.status_code == 200, by_id.text
        assert by_id.json()["approval"]["decided_by"] == "priya@example.com"


def test_an_approval_by_role_takes_only_the_holder_of_that_role_on_the_incident(harness: Harness) -> None:
    harness.add(LEAD_GATE)
    sam = _user(harness, "sam@example.com")
    incident = harness.declare(
        incident_role_assignments=[
            {"incident_role_id": _lead_role(harness)["id"], "assignee": {"id": sam["id"]}}
        ]
    )
    harness.engine.run_until_idle()
    [approval] = harness.runs.list_approvals()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with engine_http(harness) as client:
        path = f"/api/approvals/{approval.id}/approve"
        for someone in ("random-person", "priya@example.com"):
            refused = client.post(path, json={"by": someone}, headers=auth)
            assert refused.status_code == 403, refused.text
        reason = refused.json()["error"]
        assert "holders of the incident role incident-lead" in reason
        assert f"on {incident['reference']} they hold no role" in reason
        assert harness.only_run().status is RunStatus.WAITING
        ok = client.post(path, json={"by": "SAM@example.com"}, headers=auth)
        assert ok.status_code == 200, ok.text
    harness.engine.run_until_idle()
    run = harness.only_run()
    assert run.status is RunStatus.SUCCEEDED
    assert harness.runs.logs(run.id)[-2].message == "approved by sam@example.com"


def test_without_a_client_to_identify_the_decider_a_gate_with_approvers_refuses(harness: Harness) -> None:
    harness.add(LEAD_GATE)
    harness.declare()
    harness.engine.run_until_idle()
    [approval] = harness.runs.list_approvals()
    runtime = EngineRuntime(harness.store, None, None, EngineConfig())
    app = Starlette(routes=engine_routes(runtime, Secret(TOKEN)))
    with serve_in_thread(app) as served, httpx2.Client(base_url=served.url) as client:
        refused = client.post(
            f"/api/approvals/{approval.id}/approve",
            json={"by": "sam@example.com"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert refused.status_code == 403 and "no incident.io API key is configured" in refused.json()["error"]
    assert harness.runs.list_approvals() == [approval]
