"""Incident snapshots, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from incidentkit.store import Store
from tests.conftest import FakeClock


def test_snapshots_keep_the_newest_state_of_each_incident(store: Store, clock: FakeClock) -> None:
    assert store.get_snapshot("inc_1") is None
    first_update = clock.now
    assert store.save_snapshot(
        "inc_1", {"status": "triage"}, incident_updated_at=first_update, webhook_id="m1"
    )
    clock.advance(minutes=1)
    assert store.save_snapshot("inc_1", {"status": "fixing"}, incident_updated_at=clock.now, webhook_id="m2")

    # A delivery that arrives late, carrying the older state, does not overwrite the newer one.
    assert not store.save_snapshot("inc_1", {"status": "triage"}, incident_updated_at=first_update)

    snapshot = store.get_snapshot("inc_1")
    assert snapshot is not None
    assert (snapshot.data, snapshot.incident_updated_at, snapshot.webhook_id) == (
        {"status": "fixing"},
        clock.now,
        "m2",
    )


def test_naive_timestamps_are_refused(store: Store) -> None:
    from datetime import datetime

    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        store.save_snapshot("inc_1", {}, incident_updated_at=datetime(2026, 1, 1))
