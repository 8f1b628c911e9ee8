"""Store URLs and the engines behind them: what a bad URL says, passwords kept out of sight, the
default store, and SQLite's WAL mode and snapshot reads."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from incidentkit.store import Store, StoreURLError
from tests.conftest import FakeClock

BODY = b'{"event_type": "public_incident.incident_created_v2"}'


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:hunter2@db/x", "unsupported store URL scheme 'mysql'"),
        ("sqlite://", "needs a SQLite file"),
        ("not a url", "cannot read the store URL"),
    ],
)
def test_bad_store_urls_say_what_is_expected_without_the_password(url: str, message: str) -> None:
    with pytest.raises(StoreURLError, match=message) as caught:
        Store.open(url)
    assert "hunter2" not in str(caught.value)


def test_the_store_url_never_shows_a_password(postgres: object) -> None:
    with Store.open(postgres.url().replace("postgres@", "postgres:hunter2@")) as store:  # type: ignore[attr-defined]
        assert "hunter2" not in store.url
        assert "hunter2" not in repr(store)


def test_the_default_store_is_a_sqlite_file_in_the_data_directory(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incidentkit.store import default_store_url

    monkeypatch.delenv("INCIDENTKIT_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", "/home/someone/.local/share")
    assert default_store_url() == "sqlite:////home/someone/.local/share/incidentkit/incidentkit.db"
    monkeypatch.setenv("INCIDENTKIT_STORE", "postgresql://db/incidents")
    assert default_store_url() == "postgresql://db/incidents"


def test_sqlite_runs_in_wal_mode(tmp_path: object, clock: FakeClock) -> None:
    with (
        Store.open(f"sqlite:///{tmp_path}/wal.db", clock=clock) as store,
        store.engine.connect() as connection,
    ):
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_on_sqlite_reads_do_not_wait_for_a_writer(tmp_path: object, clock: FakeClock) -> None:
    with Store.open(f"sqlite:///{tmp_path}/busy.db", clock=clock) as store:
        store.insert_event("msg_1", BODY, {})
        with store.engine.begin() as writing:  # holds SQLite's write lock until the block ends
            writing.execute(sa.text("UPDATE inbox SET attempts = 5"))
            assert store.get_event("msg_1").attempts == 0  # the last committed state, at once
            assert store.count_events() == 1
        assert store.get_event("msg_1").attempts == 5
