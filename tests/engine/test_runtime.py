"""The serve pieces: approvals and agent answers over HTTP (token-authenticated), workflow reloads."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
from starlette.applications import Starlette

from incidentkit.emulator import serve_in_thread
from incidentkit.secrets import Secret
from incidentkit.store.runs import RunStatus
from incidentkit.workflows.config import EngineConfig
from incidentkit.workflows.directory import WorkflowDirectory
from incidentkit.workflows.runtime import EngineRuntime, engine_routes
from tests.engine.conftest import AgentServer, Harness, agent_settings

TOKEN = "approvals-token-for-tests"

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
def http(harness: Harness, token: str | None = TOKEN) -> Iterator[httpx2.Client]:
    """The engine's endpoints served on loopback, as serve mounts them."""
    runtime = EngineRuntime(harness.store, None, None, EngineConfig())
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
    with http(harness) as client:
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
    with http(harness, token=None) as client:
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
    with http(harness) as client:
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
    with http(harness) as client:
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


def test_a_broken_file_keeps_the_last_good_version_running(tmp_path: Path) -> None:
    good = "trigger:\n  type: manual\nsteps:\n  - id: a\n    type: log\n    message: v1\n"
    file = tmp_path / "wf.yaml"
    file.write_text(good)
    directory = WorkflowDirectory(tmp_path)
    [first] = directory.workflows()
    file.write_text("trigger:\n  type: manual\nsteps:\n  - id: a\n    type: nope\n")
    os.utime(file, ns=(1, 1))  # a different stamp even within the file system's time resolution
    assert directory.reload_if_changed() is True
    assert directory.workflows() == [first]
    [problem] = directory.problems
    assert problem.line == 5 and "nope" in problem.message
    file.write_text(good.replace("v1", "v2"))
    os.utime(file, ns=(2, 2))
    directory.reload_if_changed()
    [second] = directory.workflows()
    assert second.version != first.version and directory.problems == []
    file.unlink()
    directory.reload_if_changed()
    assert directory.workflows() == []


@pytest.mark.parametrize("missing", ["nowhere"])
def test_a_missing_directory_is_a_problem_not_a_crash(tmp_path: Path, missing: str) -> None:
    directory = WorkflowDirectory(tmp_path / missing)
    assert directory.workflows() == []
    assert "no such directory" in directory.problems[0].message


def test_an_approval_naming_its_users_refuses_others_over_http(harness: Harness) -> None:
    harness.add(GATE.replace("    type: approval\n", "    type: approval\n    approvers: [ana]\n"))
    harness.declare()
    harness.engine.run_until_idle()
    [approval] = harness.runs.list_approvals()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with http(harness) as client:
        refused = client.post(f"/api/approvals/{approval.id}/approve", json={"by": "mallory"}, headers=auth)
        assert refused.status_code == 403 and "its approvers are ana" in refused.json()["error"]
    assert harness.runs.list_approvals() == [approval]
