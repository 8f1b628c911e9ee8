"""The store's behaviour, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from incidentkit.store import (
    EventNotFoundError,
    EventStatus,
    NewEvent,
    PurgeResult,
    RetentionPolicy,
    Store,
    StoreURLError,
    keep_headers,
    migrations,
    schema,
)
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


def test_opening_again_applies_no_migration_twice(store_url: str, clock: FakeClock) -> None:
    with Store.open(store_url, clock=clock) as store:
        store.insert_event("msg_1", BODY, {})
    with Store.open(store_url, clock=clock) as store:
        assert store.count_events() == 1
        assert migrations.migrate(store.engine) == []
        with store.engine.connect() as connection:
            assert migrations.current_revision(connection) == migrations.HEAD


def test_head_names_the_newest_shipped_revision() -> None:
    # Opening an up-to-date store compares with HEAD and never imports Alembic; it must not lag.
    assert migrations.script_head() == migrations.HEAD


def test_the_migrated_schema_matches_the_tables_the_code_uses(store: Store) -> None:
    inspector = sa.inspect(store.engine)
    for table in schema.metadata.tables.values():
        columns = {column["name"]: column["nullable"] for column in inspector.get_columns(table.name)}
        assert columns == {column.name: column.nullable for column in table.columns}, table.name
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        assert indexes == {index.name for index in table.indexes}, table.name


def test_a_database_newer_than_the_code_is_refused(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(RuntimeError, match="revision 0999 but this incidentkit knows only up to"):
        migrations.migrate(store.engine)


def test_a_store_from_the_numbered_migrations_is_adopted_without_losing_data(
    store_url: str, clock: FakeClock
) -> None:
    # A store made before Alembic: version 1's tables, recorded in schema_version, with an event.
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as connection:
            config = migrations._config(connection)
            from alembic import command

            command.upgrade(config, "0001")
            connection.execute(sa.text("DROP TABLE alembic_version"))
            connection.execute(
                sa.text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT)")
            )
            connection.execute(sa.text("INSERT INTO schema_version VALUES (1, 'inbox')"))
            connection.execute(
                schema.inbox.insert().values(
                    webhook_id="msg_old",
                    event_type=None,
                    body=BODY,
                    headers={},
                    received_at=clock(),
                    status="pending",
                    attempts=0,
                )
            )
    finally:
        engine.dispose()

    with Store.open(store_url, clock=clock) as store:
        assert store.count_events() == 1
        assert sa.inspect(store.engine).has_table("workflow_runs")
        with store.engine.connect() as connection:
            assert migrations.current_revision(connection) == migrations.HEAD


def test_naive_timestamps_are_refused(store: Store) -> None:
    from datetime import datetime

    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        store.save_snapshot("inc_1", {}, incident_updated_at=datetime(2026, 1, 1))


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


def test_on_sqlite_reads_do_not_wait_for_a_writer(tmp_path: object, clock: FakeClock) -> None:
    with Store.open(f"sqlite:///{tmp_path}/busy.db", clock=clock) as store:
        store.insert_event("msg_1", BODY, {})
        with store.engine.begin() as writing:  # holds SQLite's write lock until the block ends
            writing.execute(sa.text("UPDATE inbox SET attempts = 5"))
            assert store.get_event("msg_1").attempts == 0  # the last committed state, at once
            assert store.count_events() == 1
        assert store.get_event("msg_1").attempts == 5


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
