"""Which workflows an event starts, and the typed inputs of a manual run.

Pure functions for the dispatcher: whether a workflow's trigger matches an event type, whether
its ``filter`` holds for the trigger data, the run's concurrency key, and turning
``--input name=value`` text into the declared types.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from incidentkit.workflows.errors import ExpressionError, MissingFieldError, WorkflowError
from incidentkit.workflows.expressions import compile_condition, compile_template, to_text
from incidentkit.workflows.loader import Workflow

# The raw incident.io event types behind each normalised incident trigger.
INCIDENT_EVENTS: dict[str, tuple[str, ...]] = {
    "trigger.incident_io.incident.created": (
        "public_incident.incident_created_v2",
        "private_incident.incident_created_v2",
    ),
    "trigger.incident_io.incident.updated": (
        "public_incident.incident_updated_v2",
        "private_incident.incident_updated_v2",
        "public_incident.incident_status_updated_v2",
    ),
    "trigger.incident_io.incident.resolved": (
        "public_incident.incident_updated_v2",
        "private_incident.incident_updated_v2",
        "public_incident.incident_status_updated_v2",
    ),
}


class ManualInputError(WorkflowError, ValueError):
    """A manual run's inputs are missing, unknown or of the wrong type."""


def matches_event(workflow: Workflow, event_type: str) -> bool:
    """Whether an incident.io event of this type may start the workflow (before its filter).

    ``…incident.resolved`` matches every update; the dispatcher keeps only those whose new
    status category is closed.
    """
    kind = workflow.spec.trigger.type
    if kind in INCIDENT_EVENTS:
        return event_type in INCIDENT_EVENTS[kind]
    if kind in ("schedule", "manual"):
        return False
    return fnmatch.fnmatchcase(event_type, kind)


def filter_passes(workflow: Workflow, trigger: Mapping[str, Any]) -> bool:
    """Whether the trigger's ``filter`` holds (true when there is none; a missing field is false).

    Raises:
        ExpressionError: the filter failed for another reason (a type error), or is not a boolean.
    """
    text = workflow.spec.trigger.filter
    if text is None:
        return True
    try:
        value = compile_condition(text).evaluate({"trigger": trigger, "vars": workflow.spec.vars})
    except MissingFieldError:
        return False
    if not isinstance(value, bool):
        raise ExpressionError(f"filter {text!r} gave {value!r}, expected true or false", source=text)
    return value


def concurrency_key(workflow: Workflow, trigger: Mapping[str, Any]) -> str | None:
    """The rendered run ``concurrency.key`` (runs with the same key are serialised), or None.

    Raises:
        ExpressionError: the key could not be rendered from this trigger.
    """
    if workflow.spec.concurrency is None:
        return None
    value = compile_template(workflow.spec.concurrency.key).render(
        {"trigger": trigger, "vars": workflow.spec.vars, "workflow": {"name": workflow.name}}
    )
    return value if isinstance(value, str) else to_text(value)


def manual_inputs(workflow: Workflow, given: Mapping[str, str]) -> dict[str, Any]:
    """The typed ``$trigger.inputs`` of a manual run from ``name=value`` text.

    Raises:
        ManualInputError: every problem at once: unknown names, missing required inputs,
            values that are not of the declared type.
    """
    declared = workflow.spec.trigger.inputs or {}
    problems: list[str] = []
    result: dict[str, Any] = {}
    for name in given:
        if name not in declared:
            known = ", ".join(declared) or "none"
            problems.append(f"unknown input '{name}' (this workflow's inputs: {known})")
    for name, spec in declared.items():
        if name not in given:
            if spec.required and spec.default is None:
                problems.append(f"missing input '{name}' ({spec.type})")
            elif spec.default is not None:
                result[name] = spec.default
            continue
        try:
            result[name] = _convert(given[name], spec.type)
        except ValueError:
            problems.append(f"input '{name}' must be {spec.type}, not {given[name]!r}")
    if problems:
        raise ManualInputError("; ".join(problems))
    return result


def _convert(text: str, kind: str) -> Any:
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ValueError(text)
    return text
