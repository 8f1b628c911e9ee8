"""/healthz and /readyz tell the truth: the store's writes, the processor and the workers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx2
import sqlalchemy as sa

from incidentkit.emulator import serve_in_thread
from incidentkit.store import Store
from incidentkit.webhooks.receiver import StoreProbe, create_receiver_app
from incidentkit.webhooks.verify import WebhookVerifier

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_health_fails_while_the_store_refuses_writes_and_a_part_has_stopped(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        full = [True]
        probes: list[str] = []

        @sa.event.listens_for(store.engine, "before_cursor_execute")
        def disk(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
            if "store_health" in sql:
                probes.append(sql)
                if full[0]:
                    raise sqlite3.OperationalError("database or disk is full")

        ticks = Ticks()
        processor_running = [True]
        app = create_receiver_app(
            store,
            WebhookVerifier([SECRET]),
            alive={"processor": lambda: processor_running[0], "workers": lambda: True},
            probe=StoreProbe(store, cache_seconds=1.5, clock=ticks),
        )
        with serve_in_thread(app) as server, httpx2.Client(base_url=server.url, timeout=10) as http:
            health = http.get("/healthz")
            assert health.status_code == 503
            assert health.json() == {
                "status": "unavailable",
                "store": "cannot write: OperationalError: database or disk is full",
                "processor": "running",
                "workers": "running",
            }
            assert http.get("/readyz").status_code == 503
            probed = len(probes)

            full[0] = False
            assert http.get("/readyz").status_code == 503  # the last probe stands for 1.5 s
            assert len(probes) == probed
            ticks.now += 1.5
            assert http.get("/readyz").json() == {"status": "ok", "store": "ok"}

            processor_running[0] = False
            health = http.get("/healthz")
            assert health.status_code == 503 and health.json()["processor"] == "stopped"
            assert http.get("/readyz").status_code == 200  # deliveries are still stored
