"""Resolving a name people give (a schedule, an escalation path) to the one object called that."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from incidentkit.api.errors import InvalidArgumentError, UnknownNameError
from incidentkit.api.resolvers import one_named


@dataclass
class Thing:
    id: str
    name: str


THINGS = [Thing("01A", "Primary on-call"), Thing("01B", "Secondary"), Thing("01C", "secondary")]


def test_a_name_matches_in_any_case_and_with_spaces_around() -> None:
    assert one_named("schedule", "  primary ON-CALL ", THINGS).id == "01A"


def test_an_unknown_name_lists_the_names() -> None:
    with pytest.raises(UnknownNameError, match="Primary on-call"):
        one_named("schedule", "Tertiary", THINGS)


def test_a_name_two_share_asks_for_an_id_and_names_both() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"2 schedules are named 'Secondary' \(01B, 01C\): give the id"
    ):
        one_named("schedule", "Secondary", THINGS)
