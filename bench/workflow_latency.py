"""Time from a webhook's arrival at the receiver to the workflow's first side effect reaching the emulator.

Everything runs as ``incidentkit serve`` runs it, in embedded SQLite mode (WAL, ``synchronous=FULL``):
the receiver under uvicorn on loopback verifies and stores each signed delivery; the processor
thread (woken by the receiver) re-fetches the incident and computes the lifecycle event; the
dispatcher stores a run and wakes the worker thread, which claims it and posts an incident update
to the emulator (served on loopback). The clock starts just before the delivery is sent and stops
when the emulator receives ``POST /v2/incident_updates``. Deliveries are sent one at a time.

Baseline, measured in the same run: the receiver's own answer time for the same deliveries (the
delivery made durable), so the ratio says what the engine path adds on top of the receiver.

Target: p50 under 100 ms.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread
from incidentkit.store import Store
from incidentkit.webhooks.handling import IncidentEventHandler
from incidentkit.webhooks.processor import Processor
from incidentkit.webhooks.receiver import INGEST_PATH, create_receiver_app
from incidentkit.webhooks.verify import WebhookVerifier, signed_headers
from incidentkit.workflows.runtime import EngineRuntime, engine_client

SAMPLES = 200
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
WORKFLOW = """
name: first-update
trigger:
  type: trigger.incident_io.incident.created
steps:
  - id: announce
    type: incident_io.update.post
    inputs:
      incidentId: "{{ $trigger.incident_io.incident_id }}"
      message: "Automation is on it"
"""


class SideEffects:
    """ASGI middleware in front of the emulator: notes when each incident update arrives."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.arrived = threading.Event()
        self.at = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/v2/incident_updates":
            self.at = time.perf_counter()
            self.arrived.set()
        await self.app(scope, receive, send)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    emulator = Emulator(seed="default")
    effects = SideEffects(emulator.asgi_app())
    with tempfile.TemporaryDirectory() as folder, serve_in_thread(effects) as api_server:
        workflows = Path(folder) / "workflows"
        workflows.mkdir()
        (workflows / "first-update.yaml").write_text(WORKFLOW)
        store = Store.open(f"sqlite:///{Path(folder) / 'store.db'}")
        api = Client(SANDBOX_API_KEY, base_url=api_server.url, rate_limit=None)
        steps_client = engine_client(SANDBOX_API_KEY, api_server.url)
        runtime = EngineRuntime(store, workflows, steps_client, poll_interval=5.0)
        processor = Processor(store, IncidentEventHandler(store, api, subscribers=[runtime.dispatcher]))
        app = create_receiver_app(store, WebhookVerifier([SECRET]), on_stored=processor.wake)
        processor.start(poll_interval=5.0)
        runtime.start()
        end_to_end: list[float] = []
        receiver_only: list[float] = []
        try:
            with serve_in_thread(app) as receiver, httpx2.Client(base_url=receiver.url) as http:
                for index in range(SAMPLES + 10):
                    incident = api.incidents.create(name=f"Latency {index}", severity="Minor").to_json()
                    body = json.dumps(
                        {
                            "event_type": "public_incident.incident_created_v2",
                            "public_incident.incident_created_v2": incident,
                        }
                    ).encode()
                    headers = signed_headers(SECRET, f"msg_lat_{index}", body, datetime.now(UTC))
                    effects.arrived.clear()
                    started = time.perf_counter()
                    answer = http.post(INGEST_PATH, content=body, headers=headers)
                    answered = time.perf_counter()
                    if answer.status_code != 202:
                        raise SystemExit(f"the receiver answered {answer.status_code}: {answer.text}")
                    if not effects.arrived.wait(10):
                        raise SystemExit(f"no side effect within 10 s for delivery {index}")
                    if index >= 10:  # the first deliveries warm up connections and caches
                        end_to_end.append((effects.at - started) * 1000)
                        receiver_only.append((answered - started) * 1000)
        finally:
            runtime.stop()
            processor.stop()
            steps_client.close()
            api.close()
            store.close()
    p50, p99 = percentile(end_to_end, 0.5), percentile(end_to_end, 0.99)
    base50 = statistics.median(receiver_only)
    print(f"{SAMPLES} deliveries, one at a time, embedded SQLite (WAL, synchronous=FULL)")
    print(f"receiver answer (baseline): p50 {base50:.1f} ms, p99 {percentile(receiver_only, 0.99):.1f} ms")
    print(
        f"webhook arrival -> first side effect at the emulator: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"({p50 / base50:.1f}x the receiver's answer; target p50 < 100 ms)"
    )


if __name__ == "__main__":
    main()
