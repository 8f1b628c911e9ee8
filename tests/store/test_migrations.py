"""Migrating the store's schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from incidentkit.store import Store, migrations, schema
from tests.conftest import FakeClock

BODY = b'{"event_type": "public_incident.incident_created_v2"}'


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
