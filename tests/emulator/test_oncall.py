"""Who is on call, computed from a schedule's rotations and overrides, at fixed moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incidentkit.emulator.oncall import (
    apply_overrides,
    next_changeover,
    on_call_at,
    schedule_entries,
    scheduled_shifts,
    zone,
)

ALICE = {"id": "U-ALICE", "name": "Alice", "role": "responder"}
BOB = {"id": "U-BOB", "name": "Bob", "role": "responder"}
CAROL = {"id": "U-CAROL", "name": "Carol", "role": "responder"}
DAN = {"id": "U-DAN", "name": "Dan", "role": "responder"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def rotation(users: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    base = {
        "id": "R1",
        "name": "Weekly",
        "layers": [{"id": "L1", "name": "Primary"}],
        "users": users,
        "handover_start_at": "2026-01-05T09:00:00Z",  # a Monday
        "handovers": [{"interval_type": "weekly", "interval": 1}],
        "working_intervals": [],
    }
    return {**base, **changes}


def schedule(*rotations: dict[str, Any], timezone: str = "UTC") -> dict[str, Any]:
    return {"id": "S1", "name": "Primary", "timezone": timezone, "config": {"rotations": list(rotations)}}


def override(user: dict[str, Any], start: str, end: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": changes.pop("id", "O1"),
        "schedule_id": "S1",
        "rotation_id": "R1",
        "layer_id": "L1",
        "start_at": start,
        "end_at": end,
        "user": user,
        "created_at": changes.pop("created_at", "2026-01-01T00:00:00Z"),
        **changes,
    }


def who(shifts: Any) -> list[tuple[str, datetime, datetime]]:
    return [(s.user["name"], s.start, s.end) for s in shifts]


WEEKLY = schedule(rotation([ALICE, BOB, CAROL]))


def test_a_weekly_rotation_of_three_hands_over_each_monday_and_cycles() -> None:
    shifts = scheduled_shifts(WEEKLY, at("2026-01-05T09:00"), at("2026-02-02T09:00"))
    assert who(shifts) == [
        ("Alice", at("2026-01-05T09:00"), at("2026-01-12T09:00")),
        ("Bob", at("2026-01-12T09:00"), at("2026-01-19T09:00")),
        ("Carol", at("2026-01-19T09:00"), at("2026-01-26T09:00")),
        ("Alice", at("2026-01-26T09:00"), at("2026-02-02T09:00")),
    ]


def test_handover_is_exact_to_the_second_in_utc() -> None:
    assert [s.user["name"] for s in on_call_at(WEEKLY, [], at("2026-01-12T08:59:59"))] == ["Alice"]
    assert [s.user["name"] for s in on_call_at(WEEKLY, [], at("2026-01-12T09:00:00"))] == ["Bob"]
    assert next_changeover(WEEKLY, [], at("2026-01-13T12:00")) == at("2026-01-19T09:00")


def test_entries_overlapping_the_window_are_whole_and_the_cycle_runs_backwards_too() -> None:
    # A window in the middle of Bob's week returns his whole shift; before the first handover
    # the cycle runs backwards (the week before Alice's first is Carol's).
    assert who(scheduled_shifts(WEEKLY, at("2026-01-14T00:00"), at("2026-01-14T01:00"))) == [
        ("Bob", at("2026-01-12T09:00"), at("2026-01-19T09:00"))
    ]
    assert [s.user["name"] for s in on_call_at(WEEKLY, [], at("2026-01-01T00:00"))] == ["Carol"]


def test_far_in_the_future_the_cycle_still_lands_on_the_right_person() -> None:
    weeks = 52 * 3 + 1  # 157 weeks after the first handover: 157 % 3 == 1, Bob
    moment = at("2026-01-05T09:00") + timedelta(weeks=weeks, hours=1)
    assert [s.user["name"] for s in on_call_at(WEEKLY, [], moment)] == ["Bob"]


def test_alternating_handovers_apply_in_turn() -> None:
    split = schedule(
        rotation(
            [ALICE, BOB],
            handovers=[{"interval_type": "daily", "interval": 2}, {"interval_type": "daily", "interval": 5}],
        )
    )
    shifts = scheduled_shifts(split, at("2026-01-05T09:00"), at("2026-01-19T09:00"))
    assert who(shifts) == [
        ("Alice", at("2026-01-05T09:00"), at("2026-01-07T09:00")),
        ("Bob", at("2026-01-07T09:00"), at("2026-01-12T09:00")),
        ("Alice", at("2026-01-12T09:00"), at("2026-01-14T09:00")),
        ("Bob", at("2026-01-14T09:00"), at("2026-01-19T09:00")),
    ]


def test_an_override_splits_the_shift_it_falls_in() -> None:
    cover = override(DAN, "2026-01-13T18:00:00Z", "2026-01-14T06:00:00Z")
    entries = schedule_entries(WEEKLY, [cover], at("2026-01-12T09:00"), at("2026-01-19T09:00"))
    assert who(entries.scheduled) == [("Bob", at("2026-01-12T09:00"), at("2026-01-19T09:00"))]
    assert who(entries.overrides) == [("Dan", at("2026-01-13T18:00"), at("2026-01-14T06:00"))]
    assert who(entries.final) == [
        ("Bob", at("2026-01-12T09:00"), at("2026-01-13T18:00")),
        ("Dan", at("2026-01-13T18:00"), at("2026-01-14T06:00")),
        ("Bob", at("2026-01-14T06:00"), at("2026-01-19T09:00")),
    ]
    # The pieces keep the shift they came from.
    assert entries.final[0].fingerprint == entries.final[2].fingerprint == entries.scheduled[0].fingerprint
    assert [s.user["name"] for s in on_call_at(WEEKLY, [cover], at("2026-01-13T23:00"))] == ["Dan"]


def test_an_override_across_a_handover_replaces_the_end_of_one_shift_and_the_start_of_the_next() -> None:
    cover = override(DAN, "2026-01-19T06:00:00Z", "2026-01-19T12:00:00Z")
    final = schedule_entries(WEEKLY, [cover], at("2026-01-18T00:00"), at("2026-01-20T00:00")).final
    assert who(final) == [
        ("Bob", at("2026-01-12T09:00"), at("2026-01-19T06:00")),
        ("Dan", at("2026-01-19T06:00"), at("2026-01-19T12:00")),
        ("Carol", at("2026-01-19T12:00"), at("2026-01-26T09:00")),
    ]


def test_of_two_overlapping_overrides_the_later_created_wins() -> None:
    first = override(DAN, "2026-01-13T00:00:00Z", "2026-01-13T12:00:00Z", id="O1")
    later = override(
        CAROL, "2026-01-13T06:00:00Z", "2026-01-13T08:00:00Z", id="O2", created_at="2026-01-02T00:00:00Z"
    )
    final = apply_overrides(
        scheduled_shifts(WEEKLY, at("2026-01-13T00:00"), at("2026-01-14T00:00")), [later, first]
    )
    assert [(name, start.hour, end.hour) for name, start, end in who(final)][1:4] == [
        ("Dan", 0, 6),
        ("Carol", 6, 8),
        ("Dan", 8, 12),
    ]


def test_an_override_on_another_layer_leaves_this_one_alone() -> None:
    two_layers = schedule(
        rotation(
            [ALICE, BOB, CAROL, DAN], layers=[{"id": "L1", "name": "Primary"}, {"id": "L2", "name": "Backup"}]
        )
    )
    # Each shift takes the next two users: Alice and Bob, then Carol and Dan.
    assert [s.user["name"] for s in on_call_at(two_layers, [], at("2026-01-06T00:00"))] == ["Alice", "Bob"]
    assert [s.user["name"] for s in on_call_at(two_layers, [], at("2026-01-13T00:00"))] == ["Carol", "Dan"]
    cover = override(CAROL, "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z", layer_id="L2")
    now = on_call_at(two_layers, [cover], at("2026-01-06T12:00"))
    assert [(s.layer_id, s.user["name"]) for s in now] == [("L1", "Alice"), ("L2", "Carol")]


def test_working_intervals_cut_shifts_to_working_hours() -> None:
    hours = [
        {"weekday": day, "start_time": "09:00", "end_time": "17:00"}
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
    ]
    office = schedule(rotation([ALICE, BOB], working_intervals=hours))
    shifts = scheduled_shifts(office, at("2026-01-09T00:00"), at("2026-01-13T00:00"))  # Friday to Tuesday
    assert who(shifts) == [
        ("Alice", at("2026-01-09T09:00"), at("2026-01-09T17:00")),
        ("Bob", at("2026-01-12T09:00"), at("2026-01-12T17:00")),
    ]
    assert on_call_at(office, [], at("2026-01-10T12:00")) == []  # Saturday: nobody


def test_daily_handovers_keep_their_local_time_across_daylight_saving() -> None:
    london = schedule(
        rotation(
            [ALICE, BOB],
            handover_start_at="2026-03-27T09:00:00Z",
            handovers=[{"interval_type": "daily", "interval": 1}],
        ),
        timezone="Europe/London",
    )
    # British Summer Time starts on 29 March 2026: 09:00 in London is then 08:00 UTC.
    starts = [s.start for s in scheduled_shifts(london, at("2026-03-27T09:00"), at("2026-03-31T00:00"))]
    assert starts == [
        at("2026-03-27T09:00"),
        at("2026-03-28T09:00"),
        at("2026-03-29T08:00"),
        at("2026-03-30T08:00"),
    ]


def test_a_later_version_of_a_rotation_takes_over_from_its_effective_from() -> None:
    now = rotation([ALICE, BOB, CAROL])
    later = rotation([DAN], effective_from="2026-01-15T00:00:00Z")
    versions = schedule(now, later)
    assert [s.user["name"] for s in on_call_at(versions, [], at("2026-01-14T23:59"))] == ["Bob"]
    assert [s.user["name"] for s in on_call_at(versions, [], at("2026-01-15T00:00"))] == ["Dan"]
    shifts = scheduled_shifts(versions, at("2026-01-14T00:00"), at("2026-01-16T00:00"))
    assert who(shifts)[0] == ("Bob", at("2026-01-12T09:00"), at("2026-01-15T00:00"))


def test_a_rotation_without_users_puts_nobody_on_call() -> None:
    assert on_call_at(schedule(rotation([])), [], at("2026-01-06T00:00")) == []


def test_an_unknown_time_zone_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        zone("Mars/Olympus")
