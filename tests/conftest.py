"""Fixtures shared by every test: the event loop, a settable clock and the durable store on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from incidentkit.api import Client
from incidentkit.emulator import Emulator, RunningServer
from incidentkit.store import Store
from incidentkit.store.pgtemp import TemporaryPostgres

# The whole-engine harness (emulator, receiver, processor, engine) for the workflow and service tests.
pytest_plugins = ["tests.harness"]


@pytest.fixture(scope="session")
def _no_config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config") / "absent.toml"


@pytest.fixture(autouse=True)
def _isolated_config_file(monkeypatch: pytest.MonkeyPatch, _no_config_file: Path) -> None:
    """No test reads the configuration file of the person running the tests."""
    monkeypatch.setenv("INCIDENTKIT_CONFIG", str(_no_config_file))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# The one clock of the tests, and the durable store, on SQLite and on a throwaway PostgreSQL cluster.


class FakeClock:
    """A wall clock that moves only when told to: the emulator's, the store's and the engine's clock."""

    def __init__(self, start: datetime = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def postgres() -> Iterator[TemporaryPostgres]:
    """A throwaway PostgreSQL cluster for the session; skipped with the reason when none can start."""
    from incidentkit.store.pgtemp import PostgresUnavailable

    try:
        cluster = TemporaryPostgres.start(durable=False)
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL tests skipped: {error}")
    with cluster:
        yield cluster


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    cluster: TemporaryPostgres = request.getfixturevalue("postgres")
    url = cluster.url()
    # An empty schema per test: much faster than a database per test, and just as isolated.
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    return url


@pytest.fixture
def store(store_url: str, clock: FakeClock) -> Iterator[Store]:
    with Store.open(store_url, clock=clock) as opened:
        yield opened


# The package's pytest plugin prefixes its fixtures (``incidentkit_emulator``...) so that it never
# shadows a project's own; this project's tests use the short names.


@pytest.fixture
def emulator(incidentkit_emulator: Emulator) -> Emulator:
    """A fresh emulator (the ``default`` seed, or the test's ``incidentkit_seed`` mark)."""
    return incidentkit_emulator


@pytest.fixture
def client(incidentkit_client: Client) -> Client:
    """A client wired to ``emulator`` through its transport."""
    return incidentkit_client


@pytest.fixture
def emulator_server(incidentkit_server: RunningServer) -> RunningServer:
    """``emulator`` served on 127.0.0.1."""
    return incidentkit_server
