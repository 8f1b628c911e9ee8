"""The service's approval and agent-answer endpoints read bodies with a limit and one JSON parser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from incidentkit.secrets import Secret
from incidentkit.service.routes import MAX_AGENT_ANSWER_BYTES, MAX_DECISION_BYTES, engine_routes
from incidentkit.store import Store
from incidentkit.workflows.runtime import EngineRuntime

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
