"""The incident history in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from incidentkit.api import Client
from incidentkit.investigation import History, HistoryTimelineItem, incident_from_api
from incidentkit.store import Store
from tests.conftest import FakeClock
from tests.investigation.conftest import START, incident


def test_incidents_read_back_exactly_as_written(store: Store) -> None:
    history = History(store)
    written = incident(
        1,
        "Checkout down",
        "Pool exhausted",
        services=("checkout",),
        alert_sources=("Prometheus",),
        root_causes=("Database",),
        updates=("Restarted the pool", "Resolved"),
        follow_ups=("Raise the pool size [outstanding]",),
    )
    assert history.upsert([written]) == 1
    assert history.get("INC-1") == written
    assert history.get("1") == written
    assert history.get("inc-0001") == written
    assert history.get("INC-2") is None


def test_writing_again_replaces_by_id(store: Store) -> None:
    history = History(store)
    history.upsert([incident(1, "Checkout down")])
    history.upsert([replace(incident(1, "Checkout down"), summary="now with a summary")])
    assert history.count() == 1
    found = history.get("INC-1")
    assert found is not None and found.summary == "now with a summary"


def test_many_incidents_are_written_in_bulk_and_listed_oldest_first(store: Store) -> None:
    history = History(store)
    assert history.upsert(incident(n, f"incident {n}", days=2500 - n) for n in range(2500)) == 2500
    assert history.count() == 2500
    listed = list(history.all(since=START + timedelta(days=2490)))
    assert [i.reference for i in listed] == [f"INC-{n}" for n in range(10, -1, -1)]


def test_the_sync_high_water_mark_is_kept_per_source(store: Store, clock: FakeClock) -> None:
    history = History(store)
    assert history.high_water("https://api.incident.io") is None
    mark = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
    history.set_high_water("https://api.incident.io", mark)
    history.set_high_water("https://api.incident.io", mark + timedelta(hours=1))
    history.set_high_water("https://other.example", None)
    assert history.high_water("https://api.incident.io") == mark + timedelta(hours=1)
    assert history.high_water("https://other.example") is None


def test_the_fingerprint_changes_when_the_history_does(store: Store, clock: FakeClock) -> None:
    history = History(store)
    before = history.fingerprint()
    history.upsert([incident(1, "one")])
    after_insert = history.fingerprint()
    history.upsert([replace(incident(1, "one"), summary="changed")])  # the clock has not moved
    after_replace = history.fingerprint()
    assert before is None
    assert after_insert is not None and after_replace is not None and after_replace > after_insert


def test_an_api_incident_is_flattened_with_services_labels_updates_and_follow_ups(client: Client) -> None:
    [api_incident] = client.incidents.list(limit=1).raw()
    fields = client.custom_fields.list()
    [service_field] = [f for f in fields if f.name == "Affected service"]
    api_incident["custom_field_entries"] = [
        {
            "custom_field": {"id": service_field.id, "name": "Affected service"},
            "values": [{"value_option": {"id": "o1", "value": "payments-api"}}],
        },
        {"custom_field": {"id": "f2", "name": "ROOT CAUSE"}, "values": [{"value_text": "Config change"}]},
    ]
    later = {
        "incident_id": api_incident["id"],
        "created_at": "2026-03-01T12:00:00Z",
        "message": "Rolled back",
        "new_incident_status": {"name": "Closed"},
    }
    earlier = {**later, "created_at": "2026-03-01T11:00:00Z", "message": "Investigating"}
    flat = incident_from_api(
        api_incident,
        updates=[later, earlier],
        follow_ups=[{"title": "Add a canary", "status": "outstanding"}],
        alert_sources=["Datadog"],
        root_cause_fields=["Root cause"],
        service_fields=["affected service"],
    )
    assert flat.id == api_incident["id"]
    assert flat.reference == api_incident["reference"]
    assert flat.title == api_incident["name"]
    assert flat.services == ("payments-api",)
    assert flat.root_causes == ("Config change",)
    assert flat.custom_fields["ROOT CAUSE"] == ("Config change",)
    assert [u.message for u in flat.updates] == ["Investigating", "Rolled back"]
    assert flat.updates_text == "Investigating\nRolled back"
    assert flat.follow_ups == ("Add a canary [outstanding]",)
    assert flat.alert_sources == ("Datadog",)
    assert flat.created_at.tzinfo is not None


def test_timeline_items_read_back_and_join_the_text_similarity_reads(store: Store) -> None:
    history = History(store)
    items = (
        HistoryTimelineItem(START + timedelta(minutes=5), "Paged the DBA", "Primary at 100% CPU"),
        HistoryTimelineItem(START + timedelta(minutes=9), "Failed over"),
    )
    written = replace(incident(1, "Checkout down", updates=("Investigating",)), timeline_items=items)
    history.upsert([written])
    assert history.get("INC-1") == written
    assert written.updates_text == "Investigating\nPaged the DBA\nPrimary at 100% CPU\nFailed over"


def test_a_history_synced_before_timeline_items_upgrades_with_none(store_url: str, clock: FakeClock) -> None:
    # A store at revision 0005 holding an incident, as an older incidentkit left it.
    from alembic import command

    from incidentkit.store import migrations
    from incidentkit.store.schema import history_incidents

    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as connection:
            command.upgrade(migrations._config(connection), "0005")
            row = {c.name: None for c in history_incidents.columns if c.name != "timeline_items"}
            row |= {"id": "old", "reference": "INC-7", "title": "Old", "summary": "", "severity": "Minor"}
            row |= {"status_category": "closed", "created_at": START, "updated_at": START, "synced_at": START}
            row |= {k: [] for k in ("services", "alert_sources", "root_causes", "updates", "follow_ups")}
            row |= {"custom_fields": {}}
            columns = [sa.Column(c.name, c.type) for c in history_incidents.columns if c.name in row]
            connection.execute(sa.Table("history_incidents", sa.MetaData(), *columns).insert().values(row))
    finally:
        engine.dispose()
    with Store.open(store_url, clock=clock) as store:
        old = History(store).get("INC-7")
        assert old is not None and old.timeline_items == () and old.title == "Old"


def test_the_investigations_own_timeline_items_are_not_compared_as_text() -> None:
    from incidentkit.investigation import write_back
    from incidentkit.investigation.history import INVESTIGATION_ITEM_TITLES

    assert {write_back.STARTED, write_back.ROOT_CAUSE, write_back.COMPLETE} == INVESTIGATION_ITEM_TITLES
    items = (
        HistoryTimelineItem(START, write_back.COMPLETE, "Three similar incidents: INC-4 checkout timeouts"),
        HistoryTimelineItem(START, "Rolled back the deploy"),
    )
    assert (
        replace(incident(1, "Checkout down"), timeline_items=items).updates_text == "Rolled back the deploy"
    )
