"""The change intake: ``POST /api/changes`` for CI, and GitHub ``deployment_status`` webhooks.

The GitHub payload in ``fixtures/github_deployment_status.json`` follows the example of the
``deployment_status`` event in GitHub's "Webhook events and payloads" documentation and the
deployment-status schema of GitHub's REST API description, with names and ids of our own.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from incidentkit.config_file import ConfigFileError
from incidentkit.credentials import Secret
from incidentkit.investigation import ChangeLog
from incidentkit.investigation.github_changes import sign
from incidentkit.service import Service, ServiceSettings, describe
from incidentkit.service.changes_routes import (
    MAX_CHANGE_BYTES,
    ChangeIntake,
    change_intake_from_configuration,
    changes_routes,
)
from incidentkit.store import Store

TOKEN = "changes-token-for-tests"
GITHUB_SECRET = "github-secret-for-tests"
PAYLOAD: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "github_deployment_status.json").read_text()
)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[ChangeLog]:
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        yield ChangeLog(store)


def app_for(log: ChangeLog, **intake: Any) -> TestClient:
    return TestClient(Starlette(routes=changes_routes(log, ChangeIntake(**intake))))


@pytest.fixture
def http(log: ChangeLog) -> Iterator[TestClient]:
    with app_for(
        log,
        token=Secret(TOKEN),
        github_secret=Secret(GITHUB_SECRET),
        repositories={"ACME/checkout-web": "checkout"},
    ) as client:
        yield client


def post_change(http: TestClient, body: Any, token: str = TOKEN) -> httpx2.Response:
    return http.post("/api/changes", json=body, headers={"Authorization": f"Bearer {token}"})


def deliver(
    http: TestClient, payload: Any, *, event: str = "deployment_status", secret: str | None = GITHUB_SECRET
) -> httpx2.Response:
    body = json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(secret, body)
    return http.post("/github/webhooks", content=body, headers=headers)


# POST /api/changes


def test_a_ci_pipeline_records_a_change_once_per_external_id(http: TestClient, log: ChangeLog) -> None:
    body = {
        "service": "checkout",
        "version": "v1.4.2",
        "kind": "deploy",
        "author": "ci",
        "at": "2026-03-01T10:42:00Z",
        "link": "https://ci.example.com/runs/7",
        "external_id": "pipeline-7",
    }
    created = post_change(http, body)
    assert created.status_code == 201, created.text
    change = created.json()["change"]
    assert created.json()["new"] is True
    assert (change["service"], change["version"], change["source"], change["at"]) == (
        "checkout",
        "v1.4.2",
        "api",
        "2026-03-01T10:42:00Z",
    )
    retried = post_change(http, body)
    assert retried.status_code == 200 and retried.json() == {"change": change, "new": False}
    assert [c.id for c in log.recent()] == [change["id"]]


def test_without_the_right_token_nothing_is_recorded(http: TestClient, log: ChangeLog) -> None:
    assert post_change(http, {"service": "web", "version": "1"}, token="wrong").status_code == 401
    bare = http.post("/api/changes", json={"service": "web", "version": "1"})
    assert bare.status_code == 401 and TOKEN not in bare.text
    assert log.recent() == []


def test_the_endpoint_is_off_without_a_token(log: ChangeLog) -> None:
    with app_for(log) as client:
        assert client.post("/api/changes", json={"service": "web", "version": "1"}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": "1"}, "service"),
        ({"service": "web", "version": 2}, "version"),
        ({"service": "web"}, "version"),
        ({"service": "web", "version": "1", "at": "yesterday"}, "at"),
        ({"service": "web", "version": "1", "kind": "hotfix"}, "kind"),
        ({"service": "web", "version": "1", "link": "ftp://x"}, "link"),
        ({"service": "web", "version": "1", "source": "github"}, "source"),
        (["web"], "body"),
    ],
)
def test_bad_input_is_422_naming_the_field(http: TestClient, body: Any, field: str) -> None:
    answer = post_change(http, body)
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert field in answer.json()["error"]


def test_a_body_that_is_not_json_or_too_large_is_refused(http: TestClient) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    broken = http.post("/api/changes", content=b'{"service": ', headers=headers)
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["error"]
    huge = http.post("/api/changes", content=b"{" + b" " * MAX_CHANGE_BYTES + b"}", headers=headers)
    assert huge.status_code == 413


# POST /github/webhooks


def test_a_successful_deployment_records_a_deploy_once(http: TestClient, log: ChangeLog) -> None:
    first = deliver(http, PAYLOAD)
    assert first.status_code == 201, first.text
    change = first.json()["change"]
    assert change == {
        **change,
        "service": "checkout",  # the configured service of acme/checkout-web
        "kind": "deploy",
        "version": "v1.4.2 (3f1c0a9)",
        "description": "deployed to production: Deployment finished",
        "author": "octocat",  # who asked for the deployment, not the bot that reported it
        "at": "2026-03-01T10:42:17Z",
        "link": "https://github.com/acme/checkout-web/actions/runs/2309489114/jobs/3",
        "source": "github",
        "external_id": "acme/checkout-web/deployments/145988746",
    }
    # GitHub redelivers (or a second success is posted for the same deployment): one change.
    again = deliver(http, PAYLOAD)
    assert again.status_code == 200 and again.json()["change"]["id"] == change["id"]
    assert len(log.recent()) == 1


def test_forged_and_unsigned_deliveries_are_refused(http: TestClient, log: ChangeLog) -> None:
    assert deliver(http, PAYLOAD, secret="not-the-secret").status_code == 401
    assert deliver(http, PAYLOAD, secret=None).status_code == 401
    body = json.dumps(PAYLOAD).encode()
    tampered = json.dumps({**PAYLOAD, "action": "edited"}).encode()
    answer = http.post(
        "/github/webhooks",
        content=tampered,
        headers={"X-GitHub-Event": "deployment_status", "X-Hub-Signature-256": sign(GITHUB_SECRET, body)},
    )
    assert answer.status_code == 401 and GITHUB_SECRET not in answer.text
    assert log.recent() == []


def test_without_a_github_secret_every_delivery_is_refused(log: ChangeLog) -> None:
    with app_for(log, token=Secret(TOKEN)) as client:
        answer = deliver(client, PAYLOAD, secret="anything")
    assert answer.status_code == 503 and "no GitHub webhook secret" in answer.json()["error"]
    assert log.recent() == []


def test_other_events_and_states_are_ignored(http: TestClient, log: ChangeLog) -> None:
    assert deliver(http, {"zen": "Keep it logically awesome."}, event="ping").status_code == 204
    assert deliver(http, {"ref": "refs/heads/main"}, event="push").status_code == 204
    pending = copy.deepcopy(PAYLOAD)
    pending["deployment_status"]["state"] = "pending"
    assert deliver(http, pending).status_code == 204
    assert log.recent() == []


def test_the_service_comes_from_the_payload_then_the_mapping_then_the_repository(log: ChangeLog) -> None:
    named = copy.deepcopy(PAYLOAD)
    named["deployment"]["payload"] = {"service": "checkout-api"}
    named["deployment"]["id"] = 1
    plain = copy.deepcopy(PAYLOAD)
    plain["deployment"]["id"] = 2
    with app_for(log, github_secret=Secret(GITHUB_SECRET), repositories={"checkout-web": "shop"}) as client:
        assert deliver(client, named).json()["change"]["service"] == "checkout-api"
        assert deliver(client, plain).json()["change"]["service"] == "shop"
    with app_for(log, github_secret=Secret(GITHUB_SECRET)) as client:
        plain["deployment"]["id"] = 3
        assert deliver(client, plain).json()["change"]["service"] == "checkout-web"


def test_only_the_configured_environments_count(log: ChangeLog) -> None:
    staging = copy.deepcopy(PAYLOAD)
    staging["deployment_status"]["environment"] = "staging"
    with app_for(log, github_secret=Secret(GITHUB_SECRET), environments=("Production",)) as client:
        assert deliver(client, staging).status_code == 204
        assert deliver(client, PAYLOAD).status_code == 201


def test_a_signed_payload_without_a_deployment_is_422(http: TestClient) -> None:
    broken = {key: value for key, value in PAYLOAD.items() if key != "deployment"}
    answer = deliver(http, broken)
    assert answer.status_code == 422 and answer.json()["field"] == "deployment"
    assert deliver(http, ["not", "an", "object"]).status_code == 422


# Where the secrets come from, and the service that mounts the routes


def test_options_win_over_the_environment_over_the_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[changes]\ntoken = "from-file"\ngithub_secret = "gh-file"\nenvironments = ["production"]\n'
        '[changes.repositories]\n"acme/web" = "web"\n'
    )
    from_file = change_intake_from_configuration(environ={}, config_file=config)
    assert from_file.token is not None and from_file.token.reveal() == "from-file"
    assert from_file.repositories == {"acme/web": "web"} and from_file.environments == ("production",)
    env = {"INCIDENTKIT_CHANGES_TOKEN": "from-env", "INCIDENTKIT_GITHUB_SECRET": "gh-env"}
    from_env = change_intake_from_configuration(environ=env, config_file=config)
    assert from_env.token is not None and from_env.token.reveal() == "from-env"
    assert from_env.github_secret is not None and from_env.github_secret.reveal() == "gh-env"
    given = change_intake_from_configuration("opt", "gh-opt", environ=env, config_file=config)
    assert given.token is not None and given.token.reveal() == "opt"
    assert "opt" not in repr(given) and "gh-opt" not in repr(given)
    nothing = change_intake_from_configuration(environ={}, config_file=tmp_path / "absent.toml")
    assert (nothing.token, nothing.github_secret) == (None, None)
    config.write_text("[changes]\ntoken = 12\n")
    with pytest.raises(ConfigFileError, match=r"\[changes\] token must be text"):
        change_intake_from_configuration(environ={}, config_file=config)


def test_the_service_takes_changes_over_http(tmp_path: Path) -> None:
    settings = ServiceSettings(
        store_url=f"sqlite:///{tmp_path / 'service.db'}",
        port=0,
        workers=0,
        changes=ChangeIntake(token=Secret(TOKEN), github_secret=Secret(GITHUB_SECRET)),
    )
    with Service(settings) as service:
        service.start()
        lines = "\n".join(describe(service))
        answer = httpx2.post(
            f"{service.url}/api/changes",
            json={"service": "search", "description": "flag new-ranker on", "kind": "flag"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        body = json.dumps(PAYLOAD).encode()
        github = httpx2.post(
            f"{service.url}/github/webhooks",
            content=body,
            headers={"X-GitHub-Event": "deployment_status", "X-Hub-Signature-256": sign(GITHUB_SECRET, body)},
        )
        recorded = ChangeLog(service.store).recent()
    assert answer.status_code == 201 and github.status_code == 201
    assert {c.service for c in recorded} == {"search", "checkout-web"}
    assert f"Changes API: {service.url}/api/changes (token sha256:" in lines
    assert f"GitHub deployments: {service.url}/github/webhooks (secret sha256:" in lines
    assert TOKEN not in lines and GITHUB_SECRET not in lines
