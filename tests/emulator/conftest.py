from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from tests.conftest import FakeClock


@pytest.fixture
def demo(clock: FakeClock) -> Emulator:
    return Emulator(seed="demo", read_only_keys=["viewer-key"], clock=clock, random_seed=3)


@pytest.fixture
def http(demo: Emulator) -> Iterator[httpx2.Client]:
    """Raw HTTP to the demo emulator with the sandbox key, through its transport."""
    with httpx2.Client(
        base_url="https://api.incident.io",
        transport=demo.transport(),
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
    ) as client:
        yield client
