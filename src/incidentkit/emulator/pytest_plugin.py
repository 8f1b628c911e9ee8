"""pytest fixtures for testing your code against the emulator, loaded once incidentkit is installed.

- ``emulator``: a fresh :class:`~incidentkit.emulator.Emulator` (the ``default`` seed) for each test;
- ``client`` / ``async_client``: clients wired to it through its transport, with no sockets and no rate limit;
- ``emulator_server``: the same emulator served on 127.0.0.1, for code that needs a URL.

Mark a test ``@pytest.mark.incidentkit_seed("demo")`` to start from another seed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from incidentkit.api import AsyncClient, Client
    from incidentkit.emulator import Emulator, RunningServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "incidentkit_seed(name): the emulator seed for this test")


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Emulator:
    """A fresh emulator that accepts ``SANDBOX_API_KEY``."""
    from incidentkit.emulator import Emulator

    marker = request.node.get_closest_marker("incidentkit_seed")
    return Emulator(seed=marker.args[0] if marker else "default", random_seed=request.node.nodeid)


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    """A :class:`~incidentkit.api.Client` talking to ``emulator``."""
    from incidentkit.api import Client
    from incidentkit.emulator import SANDBOX_API_KEY

    with Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None) as connected:
        yield connected


@pytest.fixture
async def async_client(emulator: Emulator) -> AsyncIterator[AsyncClient]:
    """An :class:`~incidentkit.api.AsyncClient` talking to ``emulator`` (needs an async test runner)."""
    from incidentkit.api import AsyncClient
    from incidentkit.emulator import SANDBOX_API_KEY

    async with AsyncClient(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None) as connected:
        yield connected


@pytest.fixture
def emulator_server(emulator: Emulator) -> Iterator[RunningServer]:
    """``emulator`` served on 127.0.0.1 at a free port; ``.url`` is its base URL.

    Like ``incidentkit emulator serve``, it delivers webhooks to registered endpoints in the
    background. (With ``emulator`` alone, call ``emulator.deliver_webhooks()`` to send what is due.)
    """
    from incidentkit.emulator import serve_in_thread

    worker = emulator.deliver_in_background()
    try:
        with serve_in_thread(emulator.asgi_app()) as server:
            yield server
    finally:
        worker.stop()
