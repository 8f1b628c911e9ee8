"""One reading of times and durations for the whole package: the CLI, the steps, the schema, the emulator."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from incidentkit import timeutil
from incidentkit.cli.timeparse import WhenType
from incidentkit.timeutil import iso, parse_duration, parse_iso, parse_timestamp, parse_when
from incidentkit.workflows.nodes.incidents import parse_since

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T06:15:23Z", datetime(2026, 11, 24, 6, 15, 23, tzinfo=UTC)),
        ("2026-11-24T06:15:23.646816+00:00", datetime(2026, 11, 24, 6, 15, 23, 646816, tzinfo=UTC)),
        ("2026-11-24T07:15:23+01:00", datetime(2026, 11, 24, 7, 15, 23, tzinfo=timezone(timedelta(hours=1)))),
    ],
)
def test_rfc3339_timestamps_are_read_with_their_zone(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "value", [None, 1732430123, "", "yesterday", "2026-11-24T06:15:23", "2026-13-01T00:00:00Z", "2026-11-24"]
)
def test_anything_the_api_would_not_send_is_none_never_a_guess(value: object) -> None:
    assert parse_timestamp(value) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4h", NOW - timedelta(hours=4)),
        ("30 m", NOW - timedelta(minutes=30)),
        ("2W", NOW - timedelta(weeks=2)),
        ("1h30m", NOW - timedelta(minutes=90)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T09:30:00Z", datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
        ("2026-11-01T09:30:00", datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
        ("2026-11-01T10:30:00+01:00", datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_the_cli_and_the_list_step_read_a_time_the_same_way(text: str, expected: datetime) -> None:
    """A zone-less timestamp is UTC for both (the list step used to refuse what the CLI accepted)."""
    assert parse_when(text, lambda: NOW) == expected
    assert parse_since(text, lambda: NOW) == expected
    if "-" in text:  # the CLI's ages count back from the real clock, so only absolute times compare
        assert WhenType().convert(text, None, None) == expected


def test_a_time_that_is_none_of_those_names_the_value() -> None:
    with pytest.raises(ValueError, match="'last tuesday' is not a time"):
        parse_when("last tuesday", lambda: NOW)
    with pytest.raises(ValueError, match="input 'since': 'soon' is not a time"):
        parse_since("soon", lambda: NOW)


def test_the_api_side_refuses_a_timestamp_without_a_zone() -> None:
    assert parse_iso("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="has no time zone"):
        parse_iso("2026-11-01T09:30:00")
    assert parse_iso("2026-11-01T09:30:00", assume_utc=True) == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("2d", 172800),
        ("2w", 1209600),
        ("4H", 14400),
        ("1w 2d", 777600),
        (1.5, 1.5),
        ("0.5s", 0.5),
        (0, 0),
        (timedelta(minutes=1), 60),
    ],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["", "5 minutes", "-1", -1, True, "1h1d", None, "30"])
def test_bad_durations_name_the_value(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


def test_iso_writes_utc_as_z_and_refuses_a_naive_datetime() -> None:
    assert iso(datetime(2026, 11, 1, 9, 30, tzinfo=UTC)) == "2026-11-01T09:30:00Z"
    assert iso(None) is None
    with pytest.raises(ValueError, match="no time zone"):
        iso(datetime(2026, 11, 1, 9, 30))


def test_the_module_imports_only_the_standard_library() -> None:
    """The emulator uses it, and the emulator may not import the client."""
    tree = ast.parse(Path(timeutil.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "re", "collections", "datetime", "typing"}
