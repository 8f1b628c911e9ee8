"""The store's inbox, the same on SQLite and PostgreSQL: storing, claiming and finishing events."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from incidentkit.store import EventNotFoundError, EventStatus, Store, keep_headers
from tests.conftest import FakeClock

BODY = b'{"event_type": "public_incident.incident_created_v2"}'
HEADERS = {"webhook-id": "msg_1", "Content-Type": "application/json", "Authorization": "Bearer sk_live"}


def test_a_new_event_is_stored_pending_with_its_raw_body_and_safe_headers(
    store: Store, clock: FakeClock
) -> None:
    assert store.insert_event("msg_1", BODY, HEADERS, event_type="public_incident.incident_created_v2")

    event = store.get_event("msg_1")
    assert event.body == BODY
    assert event.status is EventStatus.PENDING
    assert event.event_type == "public_incident.incident_created_v2"
    assert event.received_at == clock.now
    assert event.attempts == 0
    assert event.headers == {"webhook-id": "msg_1", "content-type": "application/json"}


def test_a_duplicate_webhook_id_stores_nothing_new(store: Store) -> None:
    assert store.insert_event("msg_1", BODY, {}) is True
    assert store.insert_event("msg_1", b"something else", {}) is False

    assert store.count_events() == 1
    assert store.get_event("msg_1").body == BODY


def test_bodies_that_are_not_json_are_kept_byte_for_byte(store: Store) -> None:
    raw = b"\xff\x00not json at all"
    store.insert_event("msg_raw", raw, {})
    event = store.get_event("msg_raw")
    assert event.body == raw
    assert event.body_json() is None
    assert event.to_dict()["body"] == raw.decode("utf-8", errors="replace")


def test_headers_that_may_hold_secrets_are_never_kept() -> None:
    kept = keep_headers(
        [
            ("Authorization", "Bearer x"),
            ("Cookie", "a=b"),
            ("X-Api-Key", "k"),
            ("X-Webhook-Secret", "whsec_x"),
            ("webhook-signature", "v1,abc"),
            ("User-Agent", "Svix-Webhooks/1.0"),
        ]
    )
    assert kept == {"webhook-signature": "v1,abc", "user-agent": "Svix-Webhooks/1.0"}


def test_unknown_event_is_an_error_naming_the_id(store: Store) -> None:
    with pytest.raises(EventNotFoundError, match="msg_missing"):
        store.get_event("msg_missing")
    with pytest.raises(EventNotFoundError):
        store.replay("msg_missing")


def test_listing_is_newest_first_and_filters_by_type_and_status(store: Store, clock: FakeClock) -> None:
    for number, kind in enumerate(["a.created", "a.updated", "a.created"]):
        store.insert_event(f"msg_{number}", BODY, {}, event_type=kind)
        clock.advance(seconds=1)
    store.mark_dead("msg_2", "broken")

    assert [e.webhook_id for e in store.list_events()] == ["msg_2", "msg_1", "msg_0"]
    assert [e.webhook_id for e in store.list_events(event_type="a.created")] == ["msg_2", "msg_0"]
    assert [e.webhook_id for e in store.list_events(status="dead")] == ["msg_2"]
    assert [e.webhook_id for e in store.list_events(limit=1)] == ["msg_2"]
    assert store.count_events(EventStatus.PENDING) == 2


def test_claiming_takes_the_oldest_pending_events_and_counts_the_attempt(
    store: Store, clock: FakeClock
) -> None:
    for number in range(3):
        store.insert_event(f"msg_{number}", BODY, {})
        clock.advance(seconds=1)

    claimed = store.claim_pending(limit=2)

    assert [e.webhook_id for e in claimed] == ["msg_0", "msg_1"]
    assert all(e.status is EventStatus.PROCESSING and e.attempts == 1 for e in claimed)
    assert [e.webhook_id for e in store.claim_pending(limit=5)] == ["msg_2"]
    assert store.claim_pending() == []


def test_processed_and_dead_events_record_their_outcome(store: Store, clock: FakeClock) -> None:
    store.insert_event("msg_ok", BODY, {})
    store.insert_event("msg_bad", b"{", {})
    store.claim_pending()
    clock.advance(seconds=2)

    store.mark_processed("msg_ok", outcome={"lifecycle": ["incident.declared"]})
    store.mark_dead("msg_bad", "body is not JSON: line 1 column 2")

    ok, bad = store.get_event("msg_ok"), store.get_event("msg_bad")
    assert (ok.status, ok.processed_at, ok.outcome) == (
        EventStatus.PROCESSED,
        clock.now,
        {"lifecycle": ["incident.declared"]},
    )
    assert (bad.status, bad.reason) == (EventStatus.DEAD, "body is not JSON: line 1 column 2")
    assert store.claim_pending() == []


def test_a_failed_attempt_is_retried_only_after_its_delay(store: Store, clock: FakeClock) -> None:
    store.insert_event("msg_1", BODY, {})
    store.claim_pending()
    store.retry_later("msg_1", "incident.io answered 503", delay=timedelta(seconds=30))

    assert store.get_event("msg_1").reason == "incident.io answered 503"
    assert store.claim_pending() == []
    clock.advance(seconds=30)
    [again] = store.claim_pending()
    assert again.attempts == 2


def test_a_claim_abandoned_by_a_dead_processor_is_claimed_again_after_the_lease(
    store: Store, clock: FakeClock
) -> None:
    store.insert_event("msg_1", BODY, {})
    store.claim_pending(lease=timedelta(minutes=5))

    clock.advance(minutes=4)
    assert store.claim_pending(lease=timedelta(minutes=5)) == []
    clock.advance(minutes=2)
    assert [e.webhook_id for e in store.claim_pending(lease=timedelta(minutes=5))] == ["msg_1"]


def test_replay_makes_a_processed_or_dead_event_pending_again(store: Store) -> None:
    store.insert_event("msg_1", BODY, {})
    store.claim_pending()
    store.mark_dead("msg_1", "no such incident")

    replayed = store.replay("msg_1")

    assert (replayed.status, replayed.reason, replayed.attempts) == (EventStatus.PENDING, None, 0)
    assert [e.webhook_id for e in store.claim_pending()] == ["msg_1"]


def test_concurrent_claimers_never_get_the_same_event(store_url: str, clock: FakeClock) -> None:
    with Store.open(store_url, clock=clock) as store:
        for number in range(60):
            store.insert_event(f"msg_{number:03}", BODY, {})
    claimed: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        with Store.open(store_url, clock=clock) as own:
            while batch := own.claim_pending(limit=3):
                with lock:
                    claimed.extend(e.webhook_id for e in batch)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(claimed) == [f"msg_{number:03}" for number in range(60)]
