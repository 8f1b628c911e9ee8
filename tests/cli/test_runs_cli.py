"""`incidentkit workflows run`, `runs ...` and `approvals ...`, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incidentkit.store import Store
from incidentkit.store.runs import RunStore
from incidentkit.store.states import RunStatus
from tests.cli.conftest import Invoke, read_log_until, running

GATED = """
name: gated
trigger:
  type: manual
  inputs:
    note: string
steps:
  - id: gate
    type: approval
    prompt: "Go ahead with {{ $trigger.inputs.note }}?"
  - id: say
    type: log
    message: "decided: {{ $steps.gate.decision }}"
"""

BROKEN_WRITE = """
name: post-update
trigger:
  type: manual
  inputs:
    incident: string
steps:
  - id: post
    type: incident_io.update.post
    inputs:
      incidentId: "{{ $trigger.inputs.incident }}"
      message: "from a dry run"
"""


@pytest.fixture
def workflows(tmp_path: Path) -> Path:
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "gated.yaml").write_text(GATED)
    (folder / "post-update.yaml").write_text(BROKEN_WRITE)
    return folder


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"


def test_a_manual_run_waits_for_approval_and_the_cli_decides_it(
    invoke: Invoke, workflows: Path, store_url: str
) -> None:
    common = ["--workflows", str(workflows), "--store", store_url]
    result = invoke("workflows", "run", "gated", "--input", "note=the deploy", *common)
    assert result.exit_code == 0, result.output
    assert "waiting" in result.stdout

    listed = json.loads(invoke("approvals", "list", "--store", store_url, "--json").stdout)
    [approval] = listed
    assert approval["prompt"] == "Go ahead with the deploy?"
    approved = invoke("approvals", "approve", approval["id"], "--by", "ana", "--store", store_url)
    assert approved.exit_code == 0 and "approved by ana" in approved.stdout
    again = invoke("approvals", "reject", approval["id"], "--by", "bob", "--store", store_url)
    assert again.exit_code == 1 and "already decided: approved by ana" in again.stderr

    [run] = json.loads(invoke("runs", "list", "--store", store_url, "--json").stdout)
    assert run["status"] == "pending"
    shown = json.loads(invoke("runs", "show", run["id"], "--store", store_url, "--json").stdout)
    assert [s["step_key"] for s in shown["steps"]] == ["gate"]
    assert "Go ahead" in invoke("runs", "logs", run["id"], "--store", store_url).stdout

    cancelled = invoke("runs", "cancel", run["id"], "--store", store_url)
    assert cancelled.exit_code == 0
    retried = invoke("runs", "retry", run["id"], "--from-step", "say", "--store", store_url)
    assert retried.exit_code == 0 and "pending again" in retried.stdout
    unknown = invoke("runs", "retry", run["id"], "--from-step", "nope", "--store", store_url)
    assert unknown.exit_code == 1 and "has no step 'nope'" in unknown.stderr


def test_a_dry_run_prints_what_it_would_send_and_sends_nothing(
    invoke: Invoke, workflows: Path, store_url: str
) -> None:
    result = invoke(
        "workflows",
        "run",
        "post-update",
        "--input",
        "incident=INC-1",
        "--dry-run",
        "--workflows",
        str(workflows),
        "--store",
        store_url,
    )
    assert result.exit_code == 0, result.output
    # With no API key nothing can be resolved, so the dry run shows the step's inputs.
    assert (
        "would send (post, incident_io.update.post): "
        '{"inputs": {"incidentId": "INC-1", "message": "from a dry run"}}' in result.stdout
    )
    assert result.stdout.rstrip().endswith("succeeded")

    # Against an organisation, it shows the exact request, with the reference resolved to the id.
    sandboxed = invoke(
        "workflows",
        "run",
        "post-update",
        "--input",
        "incident=INC-1",
        "--dry-run",
        "--sandbox",
        "--workflows",
        str(workflows),
        "--store",
        store_url,
    )
    assert sandboxed.exit_code == 0, sandboxed.output
    [line] = [line for line in sandboxed.stdout.splitlines() if "would send" in line]
    request = json.loads(line.split(": ", 1)[1])
    assert (request["method"], request["path"]) == ("POST", "/v2/incident_updates")
    assert request["body"]["message"] == "from a dry run" and request["body"]["incident_id"] != "INC-1"


def test_bad_inputs_and_unknown_workflows_are_clear(invoke: Invoke, workflows: Path, store_url: str) -> None:
    common = ["--workflows", str(workflows), "--store", store_url]
    missing = invoke("workflows", "run", "gated", *common)
    assert missing.exit_code == 1 and "missing input 'note' (string)" in missing.stderr
    unknown = invoke("workflows", "run", "nope", *common)
    assert (
        unknown.exit_code == 1 and "no workflow named 'nope' (loaded: gated, post-update)" in unknown.stderr
    )
    with Store.open(store_url) as store:
        assert RunStore(store).count_runs() == 0


ACK = """
name: acknowledge
trigger:
  type: trigger.incident_io.incident.created
steps:
  - id: acknowledge
    type: incident_io.incident.acknowledge
    inputs:
      incidentId: "{{ $trigger.incident_io.incident_id }}"
      message: "Acknowledged by serve"
"""


def test_serve_sandbox_runs_workflows_on_the_emulators_webhooks(tmp_path: Path) -> None:
    import signal
    import sys

    import httpx2

    from incidentkit.emulator import SANDBOX_API_KEY

    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "acknowledge.yaml").write_text(ACK)
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    command = [sys.executable, "-m", "incidentkit", "serve", "--sandbox", "--port", "0", "--store", url]
    command += ["--workflows", str(folder)]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    with running(command, env) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(8)]
        emulator_url = lines[4].split()[3]
        assert lines[5].startswith("Slack stand-in on http://127.0.0.1:")
        assert lines[6] == f"Workflows from {folder}: acknowledge"
        # Asked last, so that a slow API never holds up the receiver.
        assert lines[7].startswith("Organisation: 'sandbox' (https://app.incident.io/sandbox)")
        with httpx2.Client(
            base_url=emulator_url, headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"}
        ) as api:
            severity = api.get("/v1/severities").json()["severities"][0]["id"]
            statuses = api.get("/v1/incident_statuses").json()["incident_statuses"]
            triage = next(s["id"] for s in statuses if s["category"] == "triage")
            incident = api.post(
                "/v2/incidents",
                json={
                    "idempotency_key": "serve-workflow",
                    "name": "Served outage",
                    "severity_id": severity,
                    "incident_status_id": triage,
                    "visibility": "public",
                },
            ).json()["incident"]
            read_log_until(process, "of acknowledge succeeded")
            after = api.get(f"/v2/incidents/{incident['id']}").json()["incident"]
        assert after["incident_status"]["category"] == "live"
        with Store.open(url) as store:
            [run] = RunStore(store).list_runs()
            assert (run.workflow, run.status) == ("acknowledge", "succeeded")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


LEAD_GATED = """
name: lead-gated
trigger:
  type: manual
  inputs:
    incident: string
steps:
  - id: gate
    type: approval
    approvers:
      roles: [incident-lead]
  - id: say
    type: log
    message: "decided by {{ $steps.gate.decided_by }}"
"""


def test_approve_by_checks_the_role_on_the_incident_through_the_api(
    invoke: Invoke, tmp_path: Path, store_url: str
) -> None:
    folder = tmp_path / "lead"
    folder.mkdir()
    (folder / "lead-gated.yaml").write_text(LEAD_GATED)
    shown = json.loads(invoke("incidents", "show", "INC-1", "--sandbox", "--json").stdout)
    [lead] = [a["assignee"] for a in shown["incident_role_assignments"] if a["role"]["role_type"] == "lead"]
    started = invoke(
        "workflows",
        "run",
        "lead-gated",
        "--input",
        f"incident={shown['id']}",
        "--workflows",
        str(folder),
        "--store",
        store_url,
    )
    assert started.exit_code == 0, started.output
    [approval] = json.loads(invoke("approvals", "list", "--store", store_url, "--json").stdout)

    no_key = invoke("approvals", "approve", approval["id"], "--by", lead["email"], "--store", store_url)
    assert no_key.exit_code == 1 and "no incident.io API key is configured" in no_key.stderr
    stranger = invoke(
        "approvals", "approve", approval["id"], "--by", "random-person", "--store", store_url, "--sandbox"
    )
    assert stranger.exit_code == 1 and "not an incident.io user" in stranger.stderr
    others = [u["email"] for u in json.loads(invoke("users", "list", "--sandbox", "--json").stdout)]
    other = next(email for email in others if email and email != lead["email"])
    refused = invoke("approvals", "approve", approval["id"], "--by", other, "--store", store_url, "--sandbox")
    assert refused.exit_code == 1 and "holders of the incident role incident-lead" in refused.stderr
    assert json.loads(invoke("approvals", "list", "--store", store_url, "--json").stdout) != []

    approved = invoke(
        "approvals", "approve", approval["id"], "--by", lead["email"], "--store", store_url, "--sandbox"
    )
    assert approved.exit_code == 0, approved.stderr
    assert f"approved by {lead['email']}" in approved.stdout


STEPS = """
name: {name}
trigger:
  type: manual
steps:
  - id: first
    type: log
    message: "one"
  - id: second
    type: {second}
"""


def test_runs_list_failed_shows_every_run_a_person_must_look_at(
    invoke: Invoke, tmp_path: Path, store_url: str
) -> None:
    from datetime import UTC, datetime

    from incidentkit.store.run_records import RunUpdate, StepRecord

    folder = tmp_path / "states"
    folder.mkdir()
    (folder / "ok.yaml").write_text(STEPS.format(name="ok", second="log\n    message: two"))
    broken = "incident_io.incident.get\n    inputs:\n      incidentId: INC-99999"
    (folder / "broken.yaml").write_text(STEPS.format(name="broken", second=broken))
    common = ["--workflows", str(folder), "--store", store_url]
    assert invoke("workflows", "run", "ok", *common).exit_code == 0
    failed = invoke("workflows", "run", "broken", *common, "--sandbox")
    assert failed.exit_code == 1 and "failed" in failed.stdout
    # A run whose step failed every retry is dead: made here directly (waiting out retries takes hours).
    invoke("workflows", "run", "broken", *common, "--sandbox")
    with Store.open(store_url) as store:
        runs = RunStore(store)
        newest = runs.list_runs(limit=1)[0]
        runs.retry(newest.id, [], note="to mark it dead")
        [claimed] = runs.claim_runs("test")
        now = datetime.now(UTC)
        runs.checkpoint(
            claimed.id,
            "test",
            step=StepRecord(claimed.id, "second", "failed", error="503", retryable=True, finished_at=now),
            run=RunUpdate(RunStatus.DEAD, error="503", failed_step="second"),
        )

    listed = json.loads(invoke("runs", "list", "--status", "failed", "--store", store_url, "--json").stdout)
    assert sorted(run["status"] for run in listed) == ["dead", "failed"]
    dead = json.loads(invoke("runs", "list", "--status", "dead", "--store", store_url, "--json").stdout)
    assert [run["status"] for run in dead] == ["dead"]


def test_a_succeeded_run_is_re_run_only_on_purpose(invoke: Invoke, tmp_path: Path, store_url: str) -> None:
    folder = tmp_path / "ok"
    folder.mkdir()
    (folder / "ok.yaml").write_text(STEPS.format(name="ok", second="log\n    message: two"))
    assert invoke("workflows", "run", "ok", "--workflows", str(folder), "--store", store_url).exit_code == 0
    [run] = json.loads(invoke("runs", "list", "--store", store_url, "--json").stdout)
    assert run["status"] == "succeeded"

    plain = invoke("runs", "retry", run["id"], "--from-step", "second", "--store", store_url)
    assert plain.exit_code == 1 and "--from-step STEP --force" in plain.stderr
    no_step = invoke("runs", "retry", run["id"], "--force", "--store", store_url)
    assert no_step.exit_code == 1 and "say where to start with --from-step" in no_step.stderr
    forced = invoke("runs", "retry", run["id"], "--from-step", "second", "--force", "--store", store_url)
    assert forced.exit_code == 0, forced.stderr
    assert "pending again" in forced.stdout
    shown = json.loads(invoke("runs", "show", run["id"], "--store", store_url, "--json").stdout)
    assert shown["status"] == "pending" and [s["step_key"] for s in shown["steps"]] == ["first"]
    assert (
        "retried from step second (forced)" in invoke("runs", "logs", run["id"], "--store", store_url).stdout
    )
