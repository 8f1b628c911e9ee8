"""The inbox's batch insert, the same on SQLite and PostgreSQL: duplicates, values exactly as
SQLAlchemy writes them, batches larger than one statement, and failures half-way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from incidentkit.store import NewEvent, Store, schema
from tests.conftest import FakeClock

BODY = b'{"event_type": "public_incident.incident_created_v2"}'


def test_a_batch_is_stored_in_one_go_and_repeats_within_it_are_duplicates(store: Store) -> None:
    store.insert_event("msg_old", BODY, {})
    batch = [
        NewEvent("msg_a", b"first a", {"Authorization": "x", "webhook-id": "msg_a"}, "t.one"),
        NewEvent("msg_old", BODY, {}),
        NewEvent("msg_a", b"second a", {}),
        NewEvent("msg_b", b"b", {}),
    ]

    assert store.insert_events(batch) == [True, False, False, True]
    assert store.get_event("msg_a").body == b"first a"
    assert store.get_event("msg_a").headers == {"webhook-id": "msg_a"}
    assert store.count_events() == 3
    assert store.insert_events([]) == []


def test_the_fast_insert_writes_values_exactly_as_sqlalchemy_reads_and_compares_them(
    store: Store, clock: FakeClock
) -> None:
    clock.now = clock.now.replace(microsecond=123456)
    headers = {"User-Agent": "Svix-Webhooks/1.0 (ünïcode)", "X-Token": "secret"}
    assert store.insert_events([NewEvent("msg_1", b"\x00raw", headers, "t.one")]) == [True]

    event = store.get_event("msg_1")
    assert (event.body, event.event_type, event.received_at) == (b"\x00raw", "t.one", clock.now)
    assert event.headers == {"user-agent": "Svix-Webhooks/1.0 (ünïcode)"}
    with store.engine.connect() as connection:  # the stored timestamps compare equal to SQLAlchemy's own
        found = connection.execute(
            sa.select(sa.func.count())
            .select_from(
                schema.inbox.join(
                    schema.seen_webhook_ids, schema.inbox.c.webhook_id == schema.seen_webhook_ids.c.webhook_id
                )
            )
            .where(
                schema.inbox.c.received_at == clock.now, schema.seen_webhook_ids.c.first_seen_at == clock.now
            )
        ).scalar_one()
    assert found == 1


def test_a_batch_larger_than_one_statement_is_stored_whole(store: Store) -> None:
    store.insert_event("msg_0700", b"old", {})
    batch = [NewEvent(f"msg_{n:04}", f"body {n}".encode(), {}) for n in range(1200)]

    assert store.insert_events(batch) == [n != 700 for n in range(1200)]
    assert store.count_events() == 1200
    assert store.get_event("msg_1199").body == b"body 1199"
    assert store.get_event("msg_0700").body == b"old"


def test_a_batch_that_fails_half_way_leaves_nothing_behind_and_the_store_usable(store: Store) -> None:
    # A trigger refuses one inbox row, after the batch's ids were already remembered.
    if store.backend == "sqlite":
        create = [
            "CREATE TRIGGER refuse BEFORE INSERT ON inbox WHEN NEW.webhook_id = 'msg_bad' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
        drop = ["DROP TRIGGER refuse"]
    else:
        create = [
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.webhook_id = 'msg_bad' THEN "
            "RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse BEFORE INSERT ON inbox FOR EACH ROW EXECUTE FUNCTION refuse()",
        ]
        drop = ["DROP TRIGGER refuse ON inbox", "DROP FUNCTION refuse()"]
    with store.engine.begin() as connection:
        for statement in create:
            connection.exec_driver_sql(statement)
    batch = [NewEvent("msg_good", BODY, {}), NewEvent("msg_bad", BODY, {})]

    with pytest.raises(sa.exc.DBAPIError, match="refused"):
        store.insert_events(batch)
    assert store.count_events() == 0

    with store.engine.begin() as connection:
        for statement in drop:
            connection.exec_driver_sql(statement)
    assert store.insert_events(batch) == [True, True]  # the ids were not remembered either
    assert store.count_events() == 2
