"""Faults injected over the admin API of a served emulator, and what the client does about them."""

from __future__ import annotations

import httpx2

from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread
from tests.conftest import FakeClock


def test_a_lost_answer_to_a_create_is_retried_with_the_same_key_and_creates_nothing_twice() -> None:
    emulator = Emulator(seed="demo", clock=FakeClock(), random_seed=5)
    waits: list[float] = []
    with (
        serve_in_thread(emulator.asgi_app()) as served,
        httpx2.Client(base_url=served.url, timeout=10) as admin,
        Client(SANDBOX_API_KEY, base_url=served.url, rate_limit=None, sleep=waits.append) as client,
    ):
        before = len(emulator.state.incidents)
        fault = {"status": 500, "path": "/v2/incidents", "method": "POST", "processed": True}
        answer = admin.post("/_emulator/faults", json=fault)
        assert answer.status_code == 201, answer.text

        incident = client.incidents.create(name="Lost answer", severity="Minor", idempotency_key="same-key")

        assert waits, "the 500 was retried"
        assert len(emulator.state.incidents) == before + 1
        assert [i for i in emulator.state.incidents.values() if i["name"] == "Lost answer"] == [
            emulator.state.incidents[incident.id]
        ]


def test_a_fault_option_of_the_wrong_type_is_refused_by_name() -> None:
    emulator = Emulator(seed="demo", clock=FakeClock())
    with (
        serve_in_thread(emulator.asgi_app()) as served,
        httpx2.Client(base_url=served.url, timeout=10) as admin,
    ):
        answer = admin.post("/_emulator/faults", json={"status": 500, "processed": "yes"})
        assert answer.status_code == 422 and "processed" in answer.text
