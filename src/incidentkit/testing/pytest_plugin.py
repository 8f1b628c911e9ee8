"""pytest fixtures for testing your code against the emulator, loaded once incidentkit is installed.

Every fixture's name starts with ``incidentkit_``, so that installing the package never shadows a
project's own fixtures (Django's and Flask's ``client`` among them):

- ``incidentkit_emulator``: a fresh :class:`~incidentkit.emulator.Emulator` (the ``default`` seed);
- ``incidentkit_client`` / ``incidentkit_async_client``: clients wired to it through its transport, with
  no sockets and no rate limit;
- ``incidentkit_server``: the same emulator served on 127.0.0.1, for code that needs a URL.

Mark a test ``@pytest.mark.incidentkit_seed("demo")`` to start from another seed. Run pytest with
``-p no:incidentkit`` to keep the plugin out altogether.
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
def incidentkit_emulator(request: pytest.FixtureRequest) -> Emulator:
    """A fresh emulator that accepts ``SANDBOX_API_KEY``."""
    from incidentkit.emulator import Emulator

    marker = request.node.get_closest_marker("incidentkit_seed")
    return Emulator(seed=marker.args[0] if marker else "default", random_seed=request.node.nodeid)


@pytest.fixture
def incidentkit_client(incidentkit_emulator: Emulator) -> Iterator[Client]:
    """A :class:`~incidentkit.api.Client` talking to ``incidentkit_emulator``."""
    from incidentkit.api import Client
    from incidentkit.emulator import SANDBOX_API_KEY

    with Client(SANDBOX_API_KEY, transport=incidentkit_emulator.transport(), rate_limit=None) as connected:
        yield connected


@pytest.fixture
async def incidentkit_async_client(incidentkit_emulator: Emulator) -> AsyncIterator[AsyncClient]:
    """An :class:`~incidentkit.api.AsyncClient` talking to ``incidentkit_emulator`` (async tests only)."""
    from incidentkit.api import AsyncClient
    from incidentkit.emulator import SANDBOX_API_KEY

    transport = incidentkit_emulator.transport()
    async with AsyncClient(SANDBOX_API_KEY, transport=transport, rate_limit=None) as connected:
        yield connected


@pytest.fixture
def incidentkit_server(incidentkit_emulator: Emulator) -> Iterator[RunningServer]:
    """``incidentkit_emulator`` served on 127.0.0.1 at a free port; ``.url`` is its base URL.

    Like ``incidentkit emulator serve``, it delivers webhooks to registered endpoints in the background.
    (With ``incidentkit_emulator`` alone, call ``.deliver_webhooks()`` to send what is due.)
    """
    from incidentkit.emulator import serve_in_thread

    worker = incidentkit_emulator.deliver_in_background()
    try:
        with serve_in_thread(incidentkit_emulator.asgi_app()) as server:
            yield server
    finally:
        worker.stop()
