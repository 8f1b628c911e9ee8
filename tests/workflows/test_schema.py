"""The shipped JSON Schema is generated from the models, is current, and accepts what the loader accepts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from incidentkit.workflows.schema import (
    SCHEMA_FILE,
    StepRetry,
    json_schema,
    render_json_schema,
)
from incidentkit.workflows.yamlsource import parse

HERE = Path(__file__).parent
DOCUMENTS = sorted((HERE / "fixtures").glob("*.yaml")) + sorted(
    (HERE.parents[1] / "examples" / "workflows").glob("*.yaml")
)


def test_the_shipped_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text() == render_json_schema(), (
        "workflow.schema.json is stale: run `python -m incidentkit.workflows.schema --write`"
    )


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_every_example_and_fixture_matches_the_schema(path: Path) -> None:
    document: Any = parse(path.read_text()).data
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text()))


@pytest.mark.parametrize(
    "document",
    [
        {
            "trigger": {"type": "manual"},
            "steps": [{"id": "a", "type": "condition", "condition": "x", "colour": 1}],
        },
        {"trigger": {"type": "manual"}, "steps": [{"id": "a", "type": "log"}]},
        {"trigger": {"type": "manual"}, "steps": [{"id": "a b", "type": "slack.post"}]},
        {"trigger": {"type": "manual"}, "steps": []},
        {"steps": [{"id": "a", "type": "log", "message": "x"}]},
    ],
)
def test_the_schema_refuses_what_the_loader_refuses(document: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, json_schema())


def test_retry_delays_grow_and_are_capped() -> None:
    policy = StepRetry(
        maximum_attempts=9, initial_interval="1s", backoff_coefficient=2, maximum_interval="5s"
    )  # type: ignore[arg-type]
    assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [1, 2, 4, 5, 5]
    assert StepRetry().delay(20) == timedelta(seconds=100)  # default cap: 100x the initial interval
