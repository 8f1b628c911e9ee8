"""A worker killed with SIGKILL mid-run (a real process); another finishes the run once the lease expires.

The first worker is a real ``incidentkit worker`` subprocess. It posts an update (checkpointed),
then blocks in an ``http.request`` to a local server that does not answer. It is killed there. A
second worker (in this process, its clock past the first one's lease) finishes the run: the
finished step is not run again, and the emulator holds exactly one update and one timeline item.
Waits on the subprocess are bounded by polling the store.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread
from incidentkit.store import Store
from incidentkit.store.runs import RunStore
from incidentkit.store.states import RunStatus
from incidentkit.workflows.engine import Engine
from incidentkit.workflows.loader import load_directory
from incidentkit.workflows.nodes import HttpSettings
from incidentkit.workflows.runtime import engine_client
from incidentkit.workflows.step_context import EngineSettings
from tests.conftest import FakeClock
from tests.harness import DEADLINE_SECONDS, SlowHook, wait_for

WORKFLOW = """
name: crash-test
trigger:
  type: manual
  inputs:
    incident: string
    hook: string
steps:
  - id: one
    type: incident_io.update.post
    inputs:
      incidentId: "{{ $trigger.inputs.incident }}"
      message: "step one"
  - id: two
    type: http.request
    inputs:
      method: POST
      url: "{{ $trigger.inputs.hook }}"
      body:
        incident: "{{ $trigger.inputs.incident }}"
  - id: three
    type: incident_io.timeline.add_event
    inputs:
      incidentId: "{{ $trigger.inputs.incident }}"
      eventType: custom
      title: "step three"
"""


def test_a_killed_worker_leaves_its_run_to_another_that_repeats_nothing(
    tmp_path: Path, hook: SlowHook
) -> None:
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "crash-test.yaml").write_text(WORKFLOW)
    config = tmp_path / "config.toml"
    config.write_text('[http]\nallowed_hosts = ["127.0.0.1"]\n')
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    emulator = Emulator(seed="default")
    with serve_in_thread(emulator.asgi_app()) as served, Client(SANDBOX_API_KEY, base_url=served.url) as api:
        incident = api.incidents.create(name="Crash test", severity="Minor")
        with Store.open(store_url) as store:
            runs = RunStore(store)
            from incidentkit.workflows.dispatcher import Dispatcher

            [workflow] = load_directory(workflows)
            dispatcher = Dispatcher(runs, lambda: [workflow])
            run = dispatcher.start_manual("crash-test", {"incident": incident.id, "hook": hook.url})

            env = {
                **os.environ,
                "INCIDENT_IO_API_KEY": SANDBOX_API_KEY,
                "INCIDENT_IO_BASE_URL": served.url,
                "INCIDENTKIT_CONFIG": str(config),
                "HOME": str(tmp_path),
                "XDG_CONFIG_HOME": str(tmp_path / "config"),
            }
            command = [sys.executable, "-m", "incidentkit", "worker", "--store", store_url]
            command += ["--workflows", str(workflows), "--lease", "2", "--poll-interval", "0.05"]
            worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                wait_for(
                    lambda: (
                        any(s.step_key == "one" and s.status == "succeeded" for s in runs.steps(run.id))
                        and hook.arrived.is_set()
                    ),
                    "the first worker to checkpoint step one and call the hook",
                )
                assert runs.get_run(run.id).status is RunStatus.RUNNING
                [one_before] = runs.steps(run.id)
                worker.send_signal(signal.SIGKILL)
                worker.wait(DEADLINE_SECONDS)
            finally:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
                assert worker.stderr is not None
                worker.stderr.close()
            assert worker.returncode == -signal.SIGKILL

        # The second worker: its clock is past the dead worker's lease (2 s).
        hook.release.set()
        clock = FakeClock(datetime.now(UTC) + timedelta(seconds=30))
        with (
            Store.open(store_url, clock=clock) as store,
            engine_client(SANDBOX_API_KEY, served.url) as client,
        ):
            runs = RunStore(store)
            settings = EngineSettings(http=HttpSettings(allowed_hosts=frozenset({"127.0.0.1"})))
            engine = Engine(runs, client, settings=settings, owner="worker-b")
            assert engine.run_until_idle() == 1
            finished = runs.get_run(run.id)
            steps = {s.step_key: s for s in runs.steps(run.id)}

        assert finished.status is RunStatus.SUCCEEDED, finished.error
        assert steps["one"] == one_before  # not run again: same checkpoint, same update
        assert steps["two"].status == steps["three"].status == "succeeded"
        updates = api.request("GET", "/v2/incident_updates", params={"incident_id": incident.id})
        assert [u.get("message") for u in updates["incident_updates"]].count("step one") == 1
        timeline = api.request("GET", "/v2/incident_timeline_items", params={"incident_id": incident.id})
        titles = [item.get("title") for item in timeline["incident_timeline_items"]]
        assert titles.count("step three") == 1
        assert hook.count == 2  # the interrupted call, and the retry by the second worker
