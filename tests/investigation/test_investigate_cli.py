"""`incidentkit investigate` as a user runs it on the sandbox: sync, record a deploy, investigate, post."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from tests.cli.conftest import Invoke


def _prepared(invoke: Invoke, tmp_path: Path) -> str:
    """A store with the sandbox's history and a deploy of checkout-web twelve minutes before INC-47."""
    store = f"sqlite:///{tmp_path / 'history.db'}"
    assert invoke("sync", "--sandbox", "--store", store).exit_code == 0
    shown = invoke("incidents", "show", "INC-47", "--sandbox", "--json")
    assert shown.exit_code == 0, shown.stderr
    created = datetime.fromisoformat(json.loads(shown.stdout)["created_at"].replace("Z", "+00:00"))
    at = (created - timedelta(minutes=12)).isoformat()
    recorded = invoke(
        "changes", "record", "--service", "checkout-web", "--version", "v2.3.1", "--at", at, "--store", store
    )
    assert recorded.exit_code == 0, recorded.stderr
    return store


def test_investigate_states_the_findings_and_post_writes_them_once(invoke: Invoke, tmp_path: Path) -> None:
    store = _prepared(invoke, tmp_path)
    result = invoke("investigate", "INC-47", "--sandbox", "--store", store, "--json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["summary"].startswith("checkout-web deployed v2.3.1 twelve minutes before impact")
    assert body["root_cause"] == "checkout-web deployed v2.3.1 twelve minutes before impact"
    assert body["findings"][0]["confidence"] == "high" and "written" not in body

    posted = invoke("investigate", "INC-47", "--sandbox", "--store", store, "--post", "--json")
    assert posted.exit_code == 0, posted.stderr
    written = json.loads(posted.stdout)["written"]
    assert "update" in written["created"] and "timeline:Root cause identified" in written["created"]
    again = invoke("investigate", "47", "--sandbox", "--store", store, "--post", "--table")
    assert again.exit_code == 0, again.stderr
    assert "added: nothing" in again.stdout and "Root cause identified" in again.stdout

    timeline = invoke("timeline", "list", "INC-47", "--sandbox", "--json")
    titles = [item["title"] for item in json.loads(timeline.stdout)]
    assert titles.count("Investigation started") == 1 and titles.count("Investigation complete") == 1


def test_the_readable_form_lists_findings_similar_incidents_and_changes(
    invoke: Invoke, tmp_path: Path
) -> None:
    store = _prepared(invoke, tmp_path)
    result = invoke("investigate", "INC-47", "--sandbox", "--store", store, "--table")
    assert result.exit_code == 0, result.stderr
    assert "[high] checkout-web deployed v2.3.1" in result.stdout
    assert "Similar incidents" in result.stdout and "Changes before impact" in result.stdout


def test_append_summary_needs_post_and_a_missing_store_is_named(invoke: Invoke, tmp_path: Path) -> None:
    lone = invoke("investigate", "INC-47", "--sandbox", "--append-summary")
    assert lone.exit_code == 2 and "--post" in lone.stderr
    missing = invoke("investigate", "INC-47", "--sandbox", "--store", f"sqlite:///{tmp_path / 'nope.db'}")
    assert missing.exit_code == 2 and "no store at" in missing.stderr
    without = invoke("investigate", "INC-47", "--sandbox", "--json")  # no default store: context only
    assert without.exit_code == 0, without.stderr
    assert any("incidentkit sync" in note for note in json.loads(without.stdout)["notes"])
