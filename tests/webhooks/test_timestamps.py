from datetime import UTC, datetime, timedelta, timezone

import pytest

from incidentkit.webhooks.timestamps import parse_timestamp


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
    "value", [None, 1732430123, "", "yesterday", "2026-11-24T06:15:23", "2026-13-01T00:00:00Z"]
)
def test_anything_else_is_none_never_a_guess(value: object) -> None:
    assert parse_timestamp(value) is None
