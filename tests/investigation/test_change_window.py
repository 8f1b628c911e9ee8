"""The rule for "what changed before this incident": window, services, dependencies, ranking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidentkit.investigation import Change, changes_before
from incidentkit.investigation.change_window import describe_gap

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def change(service: str, minutes_before: float, name: str | None = None) -> Change:
    at = START - timedelta(minutes=minutes_before)
    return Change(
        id=name or f"chg_{service}_{minutes_before}",
        service=service,
        kind="deploy",
        at=at,
        source="cli",
        recorded_at=at,
        version="v1",
    )


def test_changes_in_the_window_to_the_services_are_ranked_closest_first() -> None:
    candidates = [
        change("checkout", 200),
        change("checkout", 10),
        change("checkout", 241),  # just outside the 4 h window
        change("checkout", -5),  # after the start
        change("search", 5),  # not the incident's service
        change("Checkout", 60),  # any case
    ]
    found = changes_before(START, ["checkout"], candidates)
    assert [m.before_start for m in found] == [
        timedelta(minutes=10),
        timedelta(minutes=60),
        timedelta(minutes=200),
    ]
    assert all(m.direct and m.service == "checkout" and m.reason == "checkout itself" for m in found)
    # The window's edges are included.
    edges = changes_before(START, ["checkout"], [change("checkout", 240), change("checkout", 0)])
    assert [m.before_start for m in edges] == [timedelta(0), timedelta(hours=4)]
    assert changes_before(START, ["checkout"], candidates, window=timedelta(minutes=30))[0].before_start == (
        timedelta(minutes=10)
    )


def test_dependencies_match_with_their_path_and_direct_changes_win_ties() -> None:
    dependencies = {"checkout": ["payments"], "Payments": ["postgres"], "postgres": ["disk"]}
    candidates = [
        change("postgres", 30, "chg_pg"),
        change("payments", 30, "chg_pay"),
        change("checkout", 30, "chg_co"),
        change("disk", 20, "chg_disk"),
        change("redis", 1, "chg_redis"),
    ]
    found = changes_before(START, ["checkout"], candidates, dependencies=dependencies)
    assert [m.change.id for m in found] == ["chg_disk", "chg_co", "chg_pay", "chg_pg"]
    by_id = {m.change.id: m for m in found}
    assert by_id["chg_pg"].via == ("payments", "postgres")
    assert by_id["chg_pg"].reason == "checkout → payments → postgres"
    assert by_id["chg_pay"].to_dict()["direct"] is False
    # Following fewer hops leaves the far ones out.
    near = changes_before(START, ["checkout"], candidates, dependencies=dependencies, max_depth=1)
    assert [m.change.id for m in near] == ["chg_co", "chg_pay"]


def test_a_service_shared_by_two_affected_services_takes_the_shortest_path() -> None:
    dependencies = {"web": ["api"], "api": ["db"], "worker": ["db"]}
    [match] = changes_before(START, ["web", "worker"], [change("db", 5)], dependencies=dependencies)
    assert (match.service, match.via) == ("worker", ("db",))


def test_an_incident_without_services_matches_every_change_in_the_window() -> None:
    found = changes_before(START, [], [change("search", 5), change("web", 3), change("web", 300)])
    assert [(m.change.service, m.service) for m in found] == [("web", None), ("search", None)]
    assert "names no services" in found[0].reason


def test_a_negative_window_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        changes_before(START, ["web"], [], window=timedelta(minutes=-1))


def test_gaps_read_to_the_minute() -> None:
    assert describe_gap(timedelta(hours=2, minutes=5, seconds=9)) == "2h 05m"
    assert describe_gap(timedelta(minutes=12, seconds=59)) == "12m"
    assert describe_gap(timedelta(seconds=40)) == "40s"
