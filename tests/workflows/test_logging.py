"""Process log lines of the engine and of a worker process carry time, run id, workflow and step."""

from __future__ import annotations

import io
import json
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentkit.logs import configure_logging
from incidentkit.store import Store
from incidentkit.workflows.config import EngineConfig
from incidentkit.workflows.runtime import EngineRuntime
from tests.cli.conftest import read_log_until, running
from tests.harness import Harness

FAILING = """
name: ack
trigger:
  type: trigger.incident_io.incident.created
steps:
  - id: note
    type: log
    message: "noted"
  - id: missing
    type: incident_io.incident.get
    inputs:
      incidentId: INC-99999
"""


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    configure_logging("debug", "json", stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in before[0]:
        root.addHandler(handler)
    root.setLevel(before[1])


def test_engine_lines_name_the_run_the_workflow_and_the_step(harness: Harness, captured: io.StringIO) -> None:
    harness.add(FAILING, name="ack")
    harness.declare()
    harness.engine.run_until_idle()
    run = harness.only_run()
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    engine_lines = [line for line in lines if line["logger"] == "incidentkit.workflows.engine"]
    assert engine_lines, lines
    for line in engine_lines:
        assert line["run_id"] == run.id and line["workflow"] == "ack", line
        assert line["time"].endswith("Z") and line["level"] in ("info", "warning", "error")
    step_lines = [line for line in engine_lines if "not retryable" in line["message"]]
    assert [line["step"] for line in step_lines] == ["missing"]
    started = [line for line in lines if "started for" in line["message"]]
    assert started and started[0]["run_id"] == run.id and started[0]["workflow"] == "ack"


def test_worker_logs_json_with_the_run_context(tmp_path: Path) -> None:
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "hello.yaml").write_text(
        "name: hello\ntrigger:\n  type: manual\nsteps:\n  - id: say\n    type: log\n    message: hi\n"
    )
    url = f"sqlite:///{tmp_path / 'w.db'}"
    with Store.open(url) as store:
        run = EngineRuntime(store, folder, None, EngineConfig()).dispatcher.start_manual("hello", {})
    command = [sys.executable, "-m", "incidentkit", "worker", "--store", url, "--workflows", str(folder),
               "--api-key", "k", "--base-url", "http://127.0.0.1:9", "--poll-interval", "0.05",
               "--log-format", "json", "--log-level", "debug"]  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c")}
    with running(command, env) as process:
        log = read_log_until(process, "succeeded")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    [done] = [json.loads(line) for line in log if "succeeded" in line]
    assert done["run_id"] == run.id and done["workflow"] == "hello" and done["level"] == "info"
