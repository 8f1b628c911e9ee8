"""Workflow files from a directory: reloads that keep the last good version, a missing directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from incidentkit.workflows.directory import WorkflowDirectory


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
