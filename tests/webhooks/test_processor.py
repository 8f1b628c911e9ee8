"""Processing stored events: lifecycle events from snapshots, private incidents fetched, nothing lost."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from incidentkit.store import EventStatus, RetentionPolicy, Store
from incidentkit.webhooks.events import WebhookEvent
from incidentkit.webhooks.handling import IncidentEventHandler
from incidentkit.webhooks.lifecycle import LifecycleEvent
from incidentkit.webhooks.processor import Processor, default_backoff
from tests.conftest import FakeClock

CREATED = "public_incident.incident_created_v2"
UPDATED = "public_incident.incident_updated_v2"
PRIVATE_CREATED = "private_incident.incident_created_v2"


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(seed="demo", random_seed=5)


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    with Client(
        SANDBOX_API_KEY, base_url="https://api.incident.io", transport=emulator.transport(), rate_limit=None
    ) as api:
        yield api


@pytest.fixture
def incident(client: Client) -> dict[str, Any]:
    severity = client.request("GET", "/v1/severities")["severities"][0]["id"]
    created: dict[str, Any] = client.request(
        "POST",
        "/v2/incidents",
        json={
            "idempotency_key": "processor-test",
            "visibility": "public",
            "name": "Checkout is down",
            "severity_id": severity,
        },
    )["incident"]
    return created


Received = list[tuple[WebhookEvent, list[LifecycleEvent]]]


@pytest.fixture
def received() -> Received:
    return []


@pytest.fixture
def processor(store: Store, client: Client, received: Received) -> Processor:
    handler = IncidentEventHandler(
        store, client, subscribers=[lambda e, lc, _incident: received.append((e, lc))]
    )
    return Processor(store, handler)


def body(event_type: str, payload: dict[str, Any]) -> bytes:
    return json.dumps({"event_type": event_type, event_type: payload}).encode()


def test_a_new_public_incident_yields_created_and_a_snapshot(
    store: Store, processor: Processor, incident: dict[str, Any], received: Received
) -> None:
    store.insert_event("msg_1", body(CREATED, incident), {}, event_type=CREATED)

    assert processor.process_pending() == 1

    event = store.get_event("msg_1")
    assert event.status is EventStatus.PROCESSED
    assert [item["event_type"] for item in event.outcome["lifecycle"]] == ["incident.created"]
    assert event.outcome["fetched"] is False
    [(parsed, lifecycle)] = received
    assert parsed.id == "msg_1" and [item.event_type for item in lifecycle] == ["incident.created"]
    snapshot = store.get_snapshot(incident["id"])
    assert snapshot is not None and snapshot.data["name"] == "Checkout is down"


def test_an_update_is_compared_with_the_snapshot(
    store: Store, processor: Processor, incident: dict[str, Any], client: Client, received: Received
) -> None:
    store.insert_event("msg_1", body(CREATED, incident), {})
    processor.process_pending()
    changed = client.request(
        "POST",
        f"/v2/incidents/{incident['id']}/actions/edit",
        json={"incident": {"name": "Checkout is slow"}, "notify_incident_channel": False},
    )["incident"]
    store.insert_event("msg_2", body(UPDATED, changed), {})

    processor.process_pending()

    [update] = store.get_event("msg_2").outcome["lifecycle"]
    assert update["event_type"] == "incident.updated"
    assert {"field": "name", "old_value": "Checkout is down", "new_value": "Checkout is slow"} in update[
        "changes"
    ]
    assert [item.event_type for item in received[-1][1]] == ["incident.updated"]


def test_an_event_older_than_the_snapshot_changes_nothing(
    store: Store, processor: Processor, incident: dict[str, Any], client: Client
) -> None:
    changed = client.request(
        "POST",
        f"/v2/incidents/{incident['id']}/actions/edit",
        json={"incident": {"name": "Checkout is slow"}, "notify_incident_channel": False},
    )["incident"]
    older = {**incident, "updated_at": "2020-01-01T00:00:00Z"}
    store.insert_event("msg_new", body(UPDATED, changed), {})
    processor.process_pending()
    store.insert_event("msg_late", body(CREATED, older), {})

    processor.process_pending()

    late = store.get_event("msg_late")
    assert (late.status, late.outcome["stale"], late.outcome["lifecycle"]) == (
        EventStatus.PROCESSED,
        True,
        [],
    )
    snapshot = store.get_snapshot(incident["id"])
    assert snapshot is not None and snapshot.data["name"] == "Checkout is slow"


def test_a_private_incident_is_fetched_through_the_api(
    store: Store, processor: Processor, incident: dict[str, Any], received: Received
) -> None:
    store.insert_event("msg_1", body(PRIVATE_CREATED, {"id": incident["id"]}), {})

    processor.process_pending()

    event = store.get_event("msg_1")
    assert event.status is EventStatus.PROCESSED
    assert event.outcome["fetched"] is True
    snapshot = store.get_snapshot(incident["id"])
    assert snapshot is not None and snapshot.data["name"] == "Checkout is down"


def test_a_private_incident_without_an_api_key_is_dead_with_the_reason(store: Store) -> None:
    processor = Processor(store, IncidentEventHandler(store, client=None))
    store.insert_event("msg_1", body(PRIVATE_CREATED, {"id": "01HPRIVATE"}), {})

    processor.process_pending()

    event = store.get_event("msg_1")
    assert event.status is EventStatus.DEAD
    assert "01HPRIVATE is private" in (event.reason or "")


def test_a_private_incident_that_does_not_exist_is_dead(store: Store, processor: Processor) -> None:
    store.insert_event("msg_1", body(PRIVATE_CREATED, {"id": "01HNOSUCHINCIDENT00000000"}), {})
    processor.process_pending()
    event = store.get_event("msg_1")
    assert event.status is EventStatus.DEAD
    assert "cannot fetch incident 01HNOSUCHINCIDENT00000000" in (event.reason or "")


def test_a_private_event_whose_id_is_no_incident_id_is_dead_and_sends_nothing(
    store: Store, client: Client, emulator: Emulator
) -> None:
    """The id goes through the typed client, which refuses it, never into a raw path."""
    processor = Processor(store, IncidentEventHandler(store, client))
    store.insert_event("msg_1", body(PRIVATE_CREATED, {"id": "../../v1/identity"}), {})
    processor.process_pending()
    event = store.get_event("msg_1")
    assert event.status is EventStatus.DEAD
    assert "cannot fetch incident ../../v1/identity" in (event.reason or "")


def test_a_late_event_hands_subscribers_the_newest_state(
    store: Store, client: Client, incident: dict[str, Any]
) -> None:
    handed: list[dict[str, Any] | None] = []
    processor = Processor(
        store, IncidentEventHandler(store, client, subscribers=[lambda e, lc, i: handed.append(i)])
    )
    newer = {**incident, "name": "Checkout is down (renamed)", "updated_at": "2099-01-01T00:00:00Z"}
    store.insert_event("msg_new", body(UPDATED, newer), {})
    processor.process_pending()
    store.insert_event("msg_old", body(UPDATED, incident), {})
    processor.process_pending()
    assert [i["name"] if i else None for i in handed] == ["Checkout is down (renamed)"] * 2


def test_an_unknown_event_type_is_kept_and_processed(
    store: Store, processor: Processor, received: Received
) -> None:
    store.insert_event("msg_1", body("brand_new.thing_v9", {"id": "x"}), {})
    processor.process_pending()
    event = store.get_event("msg_1")
    assert event.status is EventStatus.PROCESSED
    assert (event.outcome["known"], event.outcome["lifecycle"]) == (False, [])
    assert received[0][0].event_type == "brand_new.thing_v9"


def test_an_unparseable_body_is_dead_with_the_reason_and_kept(store: Store, processor: Processor) -> None:
    store.insert_event("msg_1", b'{"event_type": ', {})
    processor.process_pending()
    event = store.get_event("msg_1")
    assert event.status is EventStatus.DEAD
    assert "not valid JSON" in (event.reason or "")
    assert event.body == b'{"event_type": '


def test_a_failure_that_may_pass_is_retried_after_a_backoff(
    store: Store, client: Client, incident: dict[str, Any], clock: FakeClock
) -> None:
    failures = [RuntimeError("the dispatcher is busy")]

    def flaky(event: WebhookEvent, lifecycle: list[LifecycleEvent], incident: dict[str, Any] | None) -> None:
        if failures:
            raise failures.pop()

    processor = Processor(store, IncidentEventHandler(store, client, subscribers=[flaky]))
    store.insert_event("msg_1", body(CREATED, incident), {})

    processor.process_pending()
    event = store.get_event("msg_1")
    assert (event.status, event.reason) == (EventStatus.PENDING, "RuntimeError: the dispatcher is busy")
    assert store.get_snapshot(incident["id"]) is None  # the snapshot moves on only after subscribers

    assert processor.process_pending() == 0  # not due yet
    clock.advance(seconds=10)
    processor.process_pending()
    event = store.get_event("msg_1")
    assert event.status is EventStatus.PROCESSED
    assert [item["event_type"] for item in event.outcome["lifecycle"]] == ["incident.created"]


def test_an_event_that_keeps_failing_is_dead_after_the_last_attempt(store: Store, clock: FakeClock) -> None:
    def broken(event: Any) -> Any:
        raise ConnectionError("incident.io is unreachable")

    processor = Processor(store, broken, max_attempts=3)
    store.insert_event("msg_1", b"{}", {})
    for _ in range(3):
        processor.process_pending()
        clock.advance(hours=1)

    event = store.get_event("msg_1")
    assert event.status is EventStatus.DEAD
    assert event.reason == "gave up after 3 attempts: ConnectionError: incident.io is unreachable"
    assert (processor.stats.retried, processor.stats.dead) == (2, 1)


def test_a_replayed_event_is_processed_again(
    store: Store, processor: Processor, incident: dict[str, Any], received: Received
) -> None:
    store.insert_event("msg_1", body(CREATED, incident), {})
    processor.process_pending()
    store.replay("msg_1")

    processor.process_pending()

    assert len(received) == 2
    assert store.get_event("msg_1").outcome["lifecycle"] == []  # the snapshot already has this state


def test_the_purge_runs_on_its_schedule(store: Store, clock: FakeClock) -> None:
    processor = Processor(
        store,
        lambda event: None,
        retention=RetentionPolicy(processed_for=timedelta(days=1)),
        purge_every=timedelta(hours=1),
    )
    store.insert_event("msg_1", b"{}", {})
    processor.process_pending()

    assert processor.purge_if_due() is not None
    clock.advance(days=2)
    assert store.count_events() == 1
    result = processor.purge_if_due()
    assert result is not None and result.events == 1
    clock.advance(minutes=59)
    assert processor.purge_if_due() is None


def test_the_backoff_doubles_and_is_capped() -> None:
    assert [default_backoff(n).total_seconds() for n in (1, 2, 3, 20)] == [10, 20, 40, 3600]


def test_the_background_loop_processes_what_the_receiver_stored(store: Store) -> None:
    done: list[str] = []
    handled = threading.Event()

    def handler(event: Any) -> None:
        done.append(event.webhook_id)
        handled.set()

    processor = Processor(store, handler)
    processor.start(poll_interval=60)
    try:
        store.insert_event("msg_1", b"{}", {})
        processor.wake()
        assert handled.wait(timeout=30)
    finally:
        processor.stop()
    assert done == ["msg_1"]
    assert store.get_event("msg_1").status is EventStatus.PROCESSED
