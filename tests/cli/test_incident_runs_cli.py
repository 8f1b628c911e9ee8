"""`workflows run NAME --incident REF`: incident-triggered workflows run by hand, $trigger as a webhook's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke

EXAMPLES = Path(__file__).parent.parent.parent / "examples" / "workflows"


@pytest.fixture
def common(tmp_path: Path) -> list[str]:
    return ["--workflows", str(EXAMPLES), "--store", f"sqlite:///{tmp_path / 'runs.db'}", "--sandbox"]


def _status(invoke: Invoke, ref: str) -> str:
    shown = json.loads(invoke("incidents", "show", ref, "--sandbox", "--json").stdout)
    return str(shown["incident_status"]["name"])


def test_a_dry_run_of_a_created_workflow_shows_each_request_and_changes_nothing(
    invoke: Invoke, common: list[str]
) -> None:
    assert _status(invoke, "INC-46") == "Triage"
    result = invoke(
        "workflows", "run", "acknowledge-and-announce", "--incident", "INC-46", "--dry-run", *common
    )
    assert result.exit_code == 0, result.output
    assert "(dry run)" in result.stdout
    assert 'would send (acknowledge, incident_io.incident.acknowledge): {"method": "POST"' in result.stdout
    assert '"path": "/v2/incident_updates"' in result.stdout
    assert "would send (announce, slack.post)" in result.stdout and "INC-46 acknowledged" in result.stdout
    assert _status(invoke, "INC-46") == "Triage"  # nothing was written
    listed = invoke("runs", "list", *common[2:4], "--csv").stdout
    assert "acknowledge-and-announce,succeeded (dry run)" in listed
    [run] = json.loads(invoke("runs", "list", *common[2:4], "--json").stdout)
    assert run["dry_run"] is True


def test_an_updated_workflow_needs_what_changed_and_applies_its_filter(
    invoke: Invoke, common: list[str]
) -> None:
    wf = ["workflows", "run", "resolve-with-approval", "--dry-run", *common]
    missing = invoke(*wf, "--incident", "INC-49")
    assert missing.exit_code == 1
    assert "give --changed FIELD=OLD_VALUE" in missing.stderr and "status" in missing.stderr
    unknown = invoke(*wf, "--incident", "INC-49", "--changed", "colour=red")
    assert unknown.exit_code == 1 and "this incident has no field colour" in unknown.stderr
    filtered = invoke(*wf, "--incident", "INC-48", "--changed", "status=Investigating")
    assert filtered.exit_code == 1
    assert "filter of workflow 'resolve-with-approval' is false for INC-48" in filtered.stderr
    ran = invoke(*wf, "--incident", "INC-49", "--changed", "status=Fixing")
    assert ran.exit_code == 0, ran.output
    assert "would send (resolve, incident_io.incident.resolve)" in ran.stdout


def test_the_event_must_be_one_that_starts_the_workflow(invoke: Invoke, common: list[str]) -> None:
    ack = ["workflows", "run", "acknowledge-and-announce", "--incident", "INC-46"]
    wrong = invoke(*ack, "--event", "resolved", "--dry-run", *common)
    assert wrong.exit_code == 1 and "an incident.resolved event would not start it" in wrong.stderr
    manual = invoke("workflows", "run", "open-incidents-digest", "--incident", "INC-46", "--dry-run", *common)
    assert manual.exit_code == 1 and "not on an incident lifecycle trigger" in manual.stderr
    mixed = invoke("workflows", "run", "acknowledge-and-announce", "--event", "created", *common)
    assert mixed.exit_code == 2 and "--event and --changed go with --incident" in mixed.stderr
