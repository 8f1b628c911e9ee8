"""Severity as the priority agents use, by name, configurable."""

from __future__ import annotations

import pytest

from incidentkit.investigation import severity_priority
from incidentkit.investigation.config import DEFAULT_PRIORITIES


@pytest.mark.parametrize(
    ("severity", "priority"),
    [
        ("Critical", "P0"),
        ("major", "P1"),
        ("High", "P1"),
        ("Minor", "P2"),
        ("Medium", "P2"),
        ("LOW", "P3"),
        ("SEV-1", "P0"),
        ("sev 3", "P2"),
        ("S2", "P1"),
        ("P2", "P2"),
        ("Cosmic", None),
        (None, None),
        ("", None),
    ],
)
def test_the_default_mapping(severity: str | None, priority: str | None) -> None:
    assert severity_priority(severity) == priority


def test_a_configured_mapping_wins_over_the_defaults() -> None:
    mapping = {**DEFAULT_PRIORITIES, "major": "P0", "cosmic": "P3"}
    assert severity_priority("Major", mapping) == "P0"
    assert severity_priority("Cosmic", mapping) == "P3"
    assert severity_priority("Critical", mapping) == "P0"
