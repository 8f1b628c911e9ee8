"""`incidentkit workflows run`, `runs ...` and `approvals ...`, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incidentkit.store import Store
from incidentkit.store.runs import RunStore
from tests.cli.conftest import Invoke

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
    assert (
        'would send (post, incident_io.update.post): {"incidentId": "INC-1", "message": "from a dry run"}'
        in (result.stdout)
    )
    assert result.stdout.rstrip().endswith("succeeded")


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
