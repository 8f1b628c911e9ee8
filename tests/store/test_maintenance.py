"""Retention, the same on SQLite and PostgreSQL: what a purge removes, and how long ids are remembered."""

from __future__ import annotations

from datetime import timedelta

from incidentkit.store import PurgeResult, RetentionPolicy, Store
from tests.conftest import FakeClock

BODY = b'{"event_type": "public_incident.incident_created_v2"}'


def test_retention_purges_old_processed_events_and_remembers_ids_for_a_week(
    store: Store, clock: FakeClock
) -> None:
    store.insert_event("msg_old", BODY, {})
    store.insert_event("msg_dead", BODY, {})
    store.insert_event("msg_pending", BODY, {})
    store.claim_pending(limit=2)
    store.mark_processed("msg_old")
    store.mark_dead("msg_dead", "unparseable")
    store.retry_later("msg_pending", "later", delay=timedelta(0))

    clock.advance(days=29)
    assert store.purge() == PurgeResult(events=0, seen_ids=0)
    clock.advance(days=2)
    result = store.purge()

    assert (result.events, result.seen_ids) == (1, 1)
    assert {e.webhook_id for e in store.list_events()} == {"msg_pending", "msg_dead"}
    # Events still stored (dead, pending) keep their ids: a retry of them is still a duplicate.
    assert store.insert_event("msg_dead", BODY, {}) is False


def test_a_purged_events_id_is_still_a_duplicate_until_the_seen_window_ends(
    store: Store, clock: FakeClock
) -> None:
    store.insert_event("msg_1", BODY, {})
    store.claim_pending()
    store.mark_processed("msg_1")
    policy = RetentionPolicy(processed_for=timedelta(days=1), seen_ids_for=timedelta(days=7))

    clock.advance(days=2)
    assert store.purge(policy) == PurgeResult(events=1, seen_ids=0)
    assert store.insert_event("msg_1", BODY, {}) is False  # purged, but remembered

    clock.advance(days=4, hours=23)
    assert store.purge(policy).seen_ids == 0
    assert store.insert_event("msg_1", BODY, {}) is False
    clock.advance(hours=2)
    assert store.purge(policy).seen_ids == 1
    assert store.insert_event("msg_1", BODY, {}) is True


def test_an_id_is_forgotten_after_the_seen_window(store: Store, clock: FakeClock) -> None:
    store.insert_event("msg_1", BODY, {})
    store.claim_pending()
    store.mark_processed("msg_1")
    clock.advance(days=31)

    assert store.purge().seen_ids == 1
    assert store.insert_event("msg_1", BODY, {}) is True
