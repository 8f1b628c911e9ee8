"""Syncing history from the API (the emulator) into the store, incrementally."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.investigation import History, InvestigationConfig
from incidentkit.investigation.sync import sync_history
from incidentkit.store import Store
from tests.conftest import FakeClock


@pytest.fixture
def emulator(clock: FakeClock) -> Emulator:
    return Emulator(seed="demo", clock=clock, random_seed="sync")


@pytest.fixture
def client(emulator: Emulator, clock: FakeClock) -> Iterator[Client]:
    # A first sync asks once per incident for its timeline items: past the emulator's rate limit,
    # the client backs off as told, on the fake clock.
    with Client(
        SANDBOX_API_KEY,
        transport=emulator.transport(),
        rate_limit=None,
        sleep=lambda seconds: clock.advance(seconds=seconds),
    ) as connected:
        yield connected


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    with Store.open(f"sqlite:///{tmp_path / 'history.db'}") as store:
        yield History(store)


def test_a_first_sync_copies_every_incident_with_updates_services_and_follow_ups(
    client: Client, history: History
) -> None:
    listed = list(client.incidents.list().raw())
    incident_id = listed[0]["id"]
    client.request("POST", "/v3/follow_ups", json={"incident_id": incident_id, "title": "Add a canary stage"})
    progress: list[tuple[int, int | None]] = []
    result = sync_history(client, history, InvestigationConfig(), progress=lambda *p: progress.append(p))
    assert result.full
    assert result.incidents == len(listed) == history.count()
    ids = {incident["id"] for incident in listed}
    assert result.updates == sum(1 for u in client.incident_updates.list().raw() if u["incident_id"] in ids)
    assert progress[0] == (0, None)  # a full sync streams: the total is known at the end
    assert progress[-1] == (len(listed), len(listed))
    stored = history.get(incident_id)
    assert stored is not None
    assert stored.follow_ups == ("Add a canary stage [outstanding]",)
    assert stored.services and all(stored.services)  # from the "Affected service" field
    assert any(i.updates for i in history.all())


def test_the_next_sync_fetches_only_what_changed_since(
    client: Client, history: History, clock: FakeClock
) -> None:
    sync_history(client, history, InvestigationConfig())
    first_mark = history.high_water(client.base_url)
    assert first_mark is not None
    clock.advance(seconds=3600)
    target = next(iter(client.incidents.list(status_category="closed", limit=1)))
    client.incidents.edit(target.id, summary="Root cause: an expired certificate")
    client.incident_updates.create(target.id, message="Certificate renewed")

    result = sync_history(client, history, InvestigationConfig())
    assert not result.full
    # At or after the mark: the edited incident, and at most the one that set the previous mark.
    assert 1 <= result.incidents <= 2
    stored = history.get(target.id)
    assert stored is not None
    assert stored.summary == "Root cause: an expired certificate"
    assert stored.updates[-1].message == "Certificate renewed"
    assert history.high_water(client.base_url) == stored.updated_at > first_mark


def test_a_full_sync_copies_everything_again(client: Client, history: History) -> None:
    first = sync_history(client, history, InvestigationConfig())
    again = sync_history(client, history, InvestigationConfig(), full=True)
    assert again.full
    assert again.incidents == first.incidents == history.count()


def test_a_large_history_is_synced_across_pages_and_write_batches(
    client: Client, emulator: Emulator, history: History
) -> None:
    emulator.add_incidents(1200)
    listed = sum(1 for _ in client.incidents.list(page_size=500).raw())
    progress: list[tuple[int, int | None]] = []
    result = sync_history(client, history, InvestigationConfig(), progress=lambda *p: progress.append(p))
    assert result.incidents == listed == history.count() > 1200
    assert (1000, None) in progress
