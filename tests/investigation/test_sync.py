"""Syncing history from the API (the emulator) into the store, incrementally."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx2
import pytest

from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.investigation import (
    ChangeLog,
    History,
    HistoryIncident,
    InvestigationConfig,
    ServiceDirectory,
    changes,
    similar,
)
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
def history(store: Store) -> History:
    """The history in a fresh store, on SQLite and on PostgreSQL."""
    return History(store)


@pytest.fixture
def requests_seen(emulator: Emulator, clock: FakeClock) -> Iterator[tuple[Client, list[str]]]:
    """A client whose requests are recorded (method and path), as the emulator saw them."""
    inner = emulator.transport()
    seen: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(f"{request.method} {request.url.path}")
        return inner.handle_request(request)

    with Client(
        SANDBOX_API_KEY,
        transport=httpx2.MockTransport(answer),
        rate_limit=None,
        sleep=lambda seconds: clock.advance(seconds=seconds),
    ) as connected:
        yield connected, seen


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


TIMELINE = "GET /v2/incident_timeline_items"


def test_a_first_sync_copies_each_incidents_timeline_items(client: Client, history: History) -> None:
    result = sync_history(client, history, InvestigationConfig())
    expected = 0
    for incident in client.incidents.list().raw():
        items = list(client.incident_timeline_items.list(incident["id"]).raw())
        expected += len(items)
        stored = history.get(incident["id"])
        assert stored is not None
        assert [item.title for item in stored.timeline_items] == [
            item["title"] for item in sorted(items, key=lambda item: item["timestamp"])
        ]
    assert expected > 0  # the demo's incidents have timeline items
    assert result.timeline_items == expected


def test_timeline_items_are_read_by_similarity(client: Client, history: History, clock: FakeClock) -> None:
    sync_history(client, history, InvestigationConfig())
    clock.advance(seconds=600)
    target = next(iter(client.incidents.list(status_category="closed", limit=1)))
    client.incident_timeline_items.create(
        target.id,
        title="Failed over the zookeeper quorum",
        description="The zookeeper leader election had stalled",
        timestamp=clock(),
    )
    result = sync_history(client, history, InvestigationConfig())
    assert result.incidents == 1 and result.timeline_items >= 1
    stored = history.get(target.id)
    assert stored is not None
    assert stored.timeline_items[-1].description == "The zookeeper leader election had stalled"
    query = HistoryIncident(
        id="query",
        reference="INC-9999",
        title="Zookeeper quorum lost",
        summary="",
        status_category="live",
        created_at=clock(),
        updated_at=clock(),
    )
    [best, *_] = similar(query, k=3, threshold=0.0, history=history, config=InvestigationConfig())
    assert best.incident.id == target.id
    assert "zookeeper" in best.shared_terms


def test_a_second_sync_with_nothing_changed_fetches_no_timeline_items(
    requests_seen: tuple[Client, list[str]], history: History
) -> None:
    client, seen = requests_seen
    first = sync_history(client, history, InvestigationConfig())
    assert seen.count(TIMELINE) >= first.incidents  # one listing per incident, at least
    fingerprint = history.fingerprint()
    seen.clear()
    again = sync_history(client, history, InvestigationConfig())
    assert (again.incidents, again.updates, again.timeline_items, again.follow_ups) == (0, 0, 0, 0)
    assert TIMELINE not in seen
    assert not any("/incident_updates" in request or "/follow_ups" in request for request in seen)
    assert history.fingerprint() == fingerprint  # nothing written: the similarity index stays valid
    assert history.high_water(client.base_url) == first.high_water


def test_an_incremental_sync_fetches_the_timeline_of_the_changed_incident_only(
    requests_seen: tuple[Client, list[str]], history: History, clock: FakeClock
) -> None:
    client, seen = requests_seen
    sync_history(client, history, InvestigationConfig())
    clock.advance(seconds=60)
    target = next(iter(client.incidents.list(status_category="closed", limit=1)))
    client.incident_timeline_items.create(target.id, title="Customer comms sent", timestamp=clock())
    seen.clear()
    result = sync_history(client, history, InvestigationConfig())
    assert result.incidents == 1
    assert seen.count(TIMELINE) == 1
    stored = history.get(target.id)
    assert stored is not None and stored.timeline_items[-1].title == "Customer comms sent"


def test_the_catalogs_services_are_copied_with_owners_tiers_and_dependencies(
    client: Client, history: History
) -> None:
    result = sync_history(client, history, InvestigationConfig())
    services = {service.name: service for service in ServiceDirectory(history.store).all()}
    catalog = client.catalog.services()
    assert result.services == len(catalog) == len(services) > 0
    assert result.catalog_note is None
    checkout = services["checkout-web"]
    assert set(checkout.depends_on) == {"api-gateway", "payments-api"}
    assert "checkout" in checkout.aliases
    assert checkout.owner == "Payments" and checkout.tier == "1"
    assert checkout.catalog_entry_id == next(s.id for s in catalog if s.name == "checkout-web")
    assert "checkout-web" in services["payments-api"].dependents


def test_the_services_are_replaced_when_the_catalog_changes_and_kept_when_it_does_not(
    client: Client, history: History, clock: FakeClock
) -> None:
    directory = ServiceDirectory(history.store)
    sync_history(client, history, InvestigationConfig())
    before = directory.fingerprint()
    sync_history(client, history, InvestigationConfig())
    assert directory.fingerprint() == before  # the same catalog is not written again
    search = client.catalog.service("search")
    client.catalog.entries.delete(search.id)
    clock.advance(seconds=1)
    result = sync_history(client, history, InvestigationConfig())
    names = {service.name for service in directory.all()}
    assert "search" not in names and result.services == len(names)
    assert directory.fingerprint() != before


def test_an_organisation_without_a_service_type_keeps_no_services(clock: FakeClock, store: Store) -> None:
    history = History(store)
    with Client(
        SANDBOX_API_KEY, transport=Emulator(seed="empty", clock=clock).transport(), rate_limit=None
    ) as client:
        result = sync_history(client, history, InvestigationConfig())
    assert result.services == 0
    assert result.catalog_note == "the catalog has no Service type"
    assert ServiceDirectory(store).all() == ()


def test_changes_offline_follow_the_synced_catalogs_dependencies(
    client: Client, history: History, clock: FakeClock
) -> None:
    sync_history(client, history, InvestigationConfig())
    past = next(i for i in history.all() if "checkout-web" in i.services and "payments-api" not in i.services)
    log = ChangeLog(history.store)
    log.record(
        service="payments",  # an alias of payments-api, which checkout-web depends on
        version="v2.3.1",
        description="Deploy v2.3.1",
        at=past.created_at - timedelta(minutes=20),
    )
    found = changes(past.id, change_log=log, history=history, config=InvestigationConfig())
    [match] = found.matches
    assert match.service == "checkout-web" and match.via == ("payments-api",)
