"""`incidentkit sync` and `incidentkit similar`, as a user runs them (against the sandbox)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from incidentkit.store import Store
from tests.cli.conftest import Invoke


def test_sync_then_similar_finds_the_incidents_like_one(invoke: Invoke, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'history.db'}"
    synced = invoke("sync", "--sandbox", "--store", store)
    assert synced.exit_code == 0, synced.stderr
    assert synced.stdout.startswith("Synced ") and "full" in synced.stdout
    again = invoke("sync", "--sandbox", "--store", store)
    assert "incremental" in again.stdout

    result = invoke("similar", "INC-10", "--k", "3", "--store", store, "--json")
    assert result.exit_code == 0, result.stderr
    matches = json.loads(result.stdout)
    assert 1 <= len(matches) <= 3
    assert all(m["reference"] != "INC-10" for m in matches)
    first = matches[0]
    assert {"score", "parts", "reasons", "resolution", "shared_terms"} <= set(first)
    assert first["score"] >= matches[-1]["score"]

    table = invoke("similar", "10", "--store", store, "--table", "--since", "2000-01-01")
    assert table.exit_code == 0, table.stderr
    assert "INC-" in table.stdout


def test_similar_for_an_incident_not_synced_says_to_sync(invoke: Invoke, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'empty.db'}"
    missing = invoke("similar", "INC-77", "--store", store)
    assert missing.exit_code == 2
    assert "no store at" in missing.stderr and "`incidentkit sync` creates it" in missing.stderr

    Store.open(store).close()
    result = invoke("similar", "INC-77", "--store", store)
    assert result.exit_code == 2
    assert "INC-77" in result.stderr and "incidentkit sync" in result.stderr


def test_a_bad_since_names_the_option(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(
        "similar", "INC-1", "--since", "last tuesday", "--store", f"sqlite:///{tmp_path / 'h.db'}"
    )
    assert result.exit_code == 2
    assert "--since" in result.stderr


def test_the_progress_bar_shows_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from incidentkit.cli import sync_cmd

    with sync_cmd._progress() as progress:
        assert progress is None  # tests, pipes and logs get no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with sync_cmd._progress() as progress:
        assert progress is not None
        progress(0, None)
        progress(5, 10)
