from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from tests.conftest import FakeClock


@pytest.fixture
def emulator(clock: FakeClock) -> Emulator:
    return Emulator(seed="demo", clock=clock, random_seed=7)


@pytest.fixture
def api(emulator: Emulator) -> Iterator[httpx2.Client]:
    """Raw HTTP to the emulator with the sandbox key, through its transport (no sockets)."""
    with httpx2.Client(
        base_url="https://api.incident.io",
        transport=emulator.transport(),
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
    ) as client:
        yield client


def declare(api: httpx2.Client, key: str = "k1", **fields: object) -> dict[str, object]:
    """Declare an incident in the emulator; returns the incident."""
    severity = api.get("/v1/severities").json()["severities"][-1]["id"]
    body = {
        "idempotency_key": key,
        "visibility": "public",
        "name": "Disk full",
        "severity_id": severity,
        **fields,
    }
    response = api.post("/v2/incidents", json=body)
    assert response.status_code == 200, response.text
    incident: dict[str, object] = response.json()["incident"]
    return incident
