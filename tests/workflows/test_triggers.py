"""Matching events to workflows, trigger filters, and typed manual inputs."""

from __future__ import annotations

import pytest

from incidentkit.workflows.errors import ExpressionError
from incidentkit.workflows.loader import Workflow, load_text
from incidentkit.workflows.triggers import (
    ManualInputError,
    concurrency_key,
    filter_passes,
    manual_inputs,
    matches_event,
)

STEPS = "steps:\n  - {id: a, type: log, message: a}\n"


def with_trigger(trigger: str) -> Workflow:
    return load_text(f"trigger: {trigger}\n{STEPS}")


@pytest.mark.parametrize(
    ("trigger", "event", "expected"),
    [
        ("{type: trigger.incident_io.incident.created}", "public_incident.incident_created_v2", True),
        ("{type: trigger.incident_io.incident.created}", "private_incident.incident_created_v2", True),
        ("{type: trigger.incident_io.incident.created}", "public_incident.incident_updated_v2", False),
        ("{type: trigger.incident_io.incident.updated}", "public_incident.incident_status_updated_v2", True),
        ("{type: 'public_incident.*'}", "public_incident.follow_up_created_v2", True),
        ("{type: 'public_incident.*'}", "public_incident.some_future_event_v9", True),
        ("{type: 'public_incident.*'}", "private_incident.incident_created_v2", False),
        ("{type: public_alert.alert_created_v1}", "public_alert.alert_created_v1", True),
        ("{type: schedule, cron: '* * * * *'}", "public_incident.incident_created_v2", False),
        ("{type: manual}", "public_incident.incident_created_v2", False),
    ],
)
def test_matches_event(trigger: str, event: str, expected: bool) -> None:
    assert matches_event(with_trigger(trigger), event) is expected


def test_filters() -> None:
    flow = with_trigger("{type: manual, filter: \"{{ $trigger.incident_io.mode == 'standard' }}\"}")
    assert filter_passes(flow, {"incident_io": {"mode": "standard"}}) is True
    assert filter_passes(flow, {"incident_io": {"mode": "test"}}) is False
    assert filter_passes(flow, {}) is False  # a missing field is false
    assert filter_passes(with_trigger("{type: manual}"), {}) is True
    with pytest.raises(ExpressionError):
        filter_passes(with_trigger("{type: manual, filter: '$trigger.n + 1 > 0'}"), {"n": "x"})
    with pytest.raises(ExpressionError, match="expected true or false"):
        filter_passes(with_trigger("{type: manual, filter: '$trigger.n'}"), {"n": "x"})


def test_manual_inputs_are_typed() -> None:
    flow = with_trigger(
        "{type: manual, inputs: {reason: string, count: integer, ratio: {type: number, required: false},"
        " dry: {type: boolean, required: false, default: false}}}"
    )
    assert manual_inputs(flow, {"reason": "drill", "count": "3"}) == {
        "reason": "drill",
        "count": 3,
        "dry": False,
    }
    assert manual_inputs(flow, {"reason": "x", "count": "1", "ratio": "0.5", "dry": "yes"})["ratio"] == 0.5
    with pytest.raises(ManualInputError) as caught:
        manual_inputs(flow, {"count": "three", "colour": "red"})
    assert str(caught.value) == (
        "unknown input 'colour' (this workflow's inputs: reason, count, ratio, dry); "
        "missing input 'reason' (string); input 'count' must be integer, not 'three'"
    )


def test_the_run_concurrency_key_is_rendered_from_the_trigger() -> None:
    flow = load_text(
        "trigger: {type: manual}\nconcurrency: {key: 'incident-{{ $trigger.incident_io.incident_id }}'}\n"
        + STEPS
    )
    assert concurrency_key(flow, {"incident_io": {"incident_id": "01X"}}) == "incident-01X"
    assert concurrency_key(with_trigger("{type: manual}"), {}) is None
    numeric = load_text("trigger: {type: manual}\nconcurrency: {key: '{{ $trigger.n }}'}\n" + STEPS)
    assert concurrency_key(numeric, {"n": 7}) == "7"
