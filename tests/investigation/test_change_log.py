"""The change log in the store, on SQLite and PostgreSQL: recording, deduplication, reading back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from incidentkit.investigation import ChangeLog
from incidentkit.investigation.change_log import ChangeInvalidError
from incidentkit.store import Store
from tests.conftest import FakeClock

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_a_change_is_recorded_with_every_field_and_read_back(store: Store, clock: FakeClock) -> None:
    log = ChangeLog(store)
    paris = timezone(timedelta(hours=1))
    recorded = log.record(
        " checkout ",
        kind="config",
        version="v1.4.2",
        description="pool size 20 -> 50",
        author="alice",
        at=T0.astimezone(paris),
        link="https://ci.example.com/runs/7",
        source="api",
        external_id="run-7",
    )
    assert recorded.new
    change = log.get(recorded.change.id)
    assert change == recorded.change
    assert change is not None
    assert (change.service, change.kind, change.version, change.author) == (
        "checkout",
        "config",
        "v1.4.2",
        "alice",
    )
    assert change.at == T0 and change.at.tzinfo is UTC
    assert change.recorded_at == clock.now
    assert change.what == "v1.4.2: pool size 20 -> 50"
    assert change.to_dict()["at"] == "2026-03-01T10:00:00Z"


def test_the_same_external_id_from_the_same_source_is_recorded_once(store: Store, clock: FakeClock) -> None:
    log = ChangeLog(store)
    first = log.record("checkout", version="v2", source="github", external_id="acme/web/deployments/1")
    clock.advance(minutes=5)
    again = log.record("checkout", version="v2", source="github", external_id="acme/web/deployments/1")
    assert not again.new and again.change == first.change
    # Another source may use the same id, and changes without an id never collide.
    assert log.record("checkout", version="v2", source="api", external_id="acme/web/deployments/1").new
    assert log.record("checkout", version="v3").new and log.record("checkout", version="v3").new
    assert len(log.recent()) == 4


def test_between_and_recent_filter_by_time_and_service_in_any_case(store: Store) -> None:
    log = ChangeLog(store)
    for minutes, service in [(0, "checkout"), (30, "Payments"), (60, "checkout"), (90, "search")]:
        log.record(service, version=f"v{minutes}", at=T0 + timedelta(minutes=minutes))
    window = log.between(T0 + timedelta(minutes=30), T0 + timedelta(minutes=60))
    assert [c.version for c in window] == ["v30", "v60"]  # both ends included, oldest first
    assert [c.version for c in log.between(T0, T0 + timedelta(hours=2), ["payments", "SEARCH"])] == [
        "v30",
        "v90",
    ]
    assert log.between(T0, T0 + timedelta(hours=2), [" "]) == []
    assert [c.version for c in log.recent()] == ["v90", "v60", "v30", "v0"]  # newest first
    assert [c.version for c in log.recent(service="CHECKOUT")] == ["v60", "v0"]
    assert [c.version for c in log.recent(since=T0 + timedelta(minutes=45), limit=1)] == ["v90"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"service": "  "}, "service", "is required"),
        ({"service": "web", "kind": "migration", "version": "1"}, "kind", "deploy, config, flag"),
        ({"service": "web"}, "version", "give a version or a description"),
        ({"service": "web", "version": "1", "link": "javascript:alert(1)"}, "link", r"http\(s\) URL"),
        ({"service": "web", "version": "v" * 201}, "version", "at most 200"),
        ({"service": "web", "version": "1", "at": datetime(2026, 3, 1)}, "at", "time zone"),
        ({"service": "web", "version": "1", "source": "email"}, "source", "cli, api, github"),
    ],
)
def test_a_bad_change_is_refused_naming_the_field(
    store: Store, fields: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ChangeInvalidError, match=message) as caught:
        ChangeLog(store).record(**fields)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert ChangeLog(store).recent() == []
