"""Stopping a worker at a step boundary, and a 429's wait shared by everyone using the client."""

from __future__ import annotations

from incidentkit.api.ratelimit import TokenBucket
from incidentkit.store.states import RunStatus
from tests.harness import Harness

POST_UPDATE = """
trigger:
  type: trigger.incident_io.incident.created
steps:
  - id: announce
    type: incident_io.update.post
    inputs:
      incidentId: "{{ $trigger.incident_io.incident_id }}"
      message: "Automation is looking at {{ $trigger.incident_io.reference }}"
  - id: mark
    type: incident_io.timeline.add_event
    inputs:
      incidentId: "{{ $trigger.incident_io.incident_id }}"
      eventType: custom
      title: "Automation started"
"""


def test_a_stopping_worker_checkpoints_the_step_done_and_gives_the_run_back(harness: Harness) -> None:
    harness.add(POST_UPDATE)
    harness.declare()
    engine = harness.engine
    told: list[str] = []

    def on_event(run: object, message: str) -> None:
        told.append(message)
        if message.startswith("step announce"):
            engine.request_stop()  # a SIGTERM arriving while the first step runs

    engine.on_event = on_event
    engine.run_until_idle()

    run = harness.only_run()
    assert run.status is RunStatus.PENDING and run.lease_owner is None
    assert harness.steps(run) == {"announce": "succeeded"}
    assert told[-1] == "released: the worker is stopping"

    engine.resume()
    engine.run_until_idle()
    run = harness.runs.get_run(run.id)
    assert run.status is RunStatus.SUCCEEDED
    assert harness.steps(run) == {"announce": "succeeded", "mark": "succeeded"}


def test_a_hold_makes_every_caller_of_the_bucket_wait() -> None:
    now = [0.0]
    bucket = TokenBucket.per_minute(1200, clock=lambda: now[0])
    bucket.hold(30)
    assert 29.9 < bucket.reserve() <= 30.0
    now[0] += 30
    assert bucket.reserve() < 0.1
