"""What alert routes read from an alert: references, bindings and conditions, evaluated.

incident.io's engine resolves references into the alert's scope. The emulator knows these:

- ``alert.title``, ``alert.description``, ``alert.deduplication_key``, ``alert.source_url``,
  ``alert.status``, ``alert.alert_source_id`` and ``alert.tags`` (the tag names);
- ``alert.metadata.<key>`` (dots go deeper: ``alert.metadata.labels.team``), the ``metadata``
  of the alert's latest event.

Any other reference (an alert attribute the emulated organisation does not have, say) resolves
to nothing, as an unset attribute does. Conditions take the operations in :data:`OPERATIONS`; a
route using another is refused when it is created, so no condition is silently misread.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from incidentkit.emulator.errors import invalid
from incidentkit.emulator.state import Record

OPERATIONS = (
    "is",
    "is_not",
    "one_of",
    "not_in",
    "contains",
    "does_not_contain",
    "starts_with",
    "is_set",
    "is_blank",
)
"""The condition operations the emulator evaluates."""

_ALERT_FIELDS = ("title", "description", "deduplication_key", "source_url", "status", "alert_source_id")


def resolve(reference: str, alert: Record, metadata: Record) -> list[str]:
    """The values ``reference`` stands for on ``alert`` (none, one or several), as strings."""
    if not reference.startswith("alert."):
        return []
    path = reference[len("alert.") :]
    if path in _ALERT_FIELDS:
        value = alert.get(path)
        return [] if value in (None, "") else [str(value)]
    if path == "tags":
        return [tag["name"] for tag in alert.get("tags", [])]
    if path.startswith("metadata."):
        found: Any = metadata
        for part in path[len("metadata.") :].split("."):
            found = found.get(part) if isinstance(found, dict) else None
        if found is None:
            return []
        items = found if isinstance(found, list) else [found]
        return [str(item).lower() if isinstance(item, bool) else str(item) for item in items]
    return []


def binding_values(binding: Record | None, alert: Record, metadata: Record) -> list[str]:
    """What an ``EngineParamBinding`` gives for ``alert``: its literals, and its references resolved."""
    if not binding:
        return []
    values: list[str] = []
    for entry in [binding.get("value"), *binding.get("array_value", [])]:
        if not isinstance(entry, dict):
            continue
        if entry.get("literal") is not None:
            values.append(str(entry["literal"]))
        elif entry.get("reference"):
            values.extend(resolve(str(entry["reference"]), alert, metadata))
    return values


def _operation(condition: Record) -> str:
    operation = condition.get("operation")
    return str(operation.get("value") if isinstance(operation, dict) else operation)


def _subject(condition: Record) -> str:
    subject = condition.get("subject")
    return str(subject.get("reference") if isinstance(subject, dict) else subject)


def _holds(condition: Record, alert: Record, metadata: Record) -> bool:
    actual = resolve(_subject(condition), alert, metadata)
    wanted: list[str] = []
    for binding in condition.get("param_bindings", []):
        wanted.extend(binding_values(binding, alert, metadata))
    operation = _operation(condition)
    lowered = [value.lower() for value in actual]
    if operation in ("is_set", "is_blank"):
        return bool(actual) == (operation == "is_set")
    if operation in ("is", "one_of"):
        return any(value in wanted for value in actual)
    if operation in ("is_not", "not_in"):
        return not any(value in wanted for value in actual)
    if operation in ("contains", "does_not_contain"):
        found = any(w.lower() in value for w in wanted for value in lowered)
        return found == (operation == "contains")
    if operation == "starts_with":
        return any(value.startswith(w.lower()) for w in wanted for value in lowered)
    return False  # unreachable: routes with other operations are refused (check_conditions)


def matches(groups: Iterable[Record], alert: Record, metadata: Record) -> bool:
    """Whether condition groups hold: any group whose conditions all hold; no groups always holds."""
    listed = list(groups)
    if not listed:
        return True
    return any(
        all(_holds(condition, alert, metadata) for condition in group.get("conditions", []))
        for group in listed
    )


def check_conditions(groups: Any, where: str) -> None:
    """Refuse condition groups with an operation the emulator cannot evaluate, naming the field."""
    for group_index, group in enumerate(groups or []):
        for index, condition in enumerate(group.get("conditions", [])):
            operation = _operation(condition)
            if operation not in OPERATIONS:
                field = f"{where}[{group_index}].conditions[{index}].operation"
                raise invalid(
                    field,
                    f"The emulator evaluates only the operations {', '.join(OPERATIONS)}, not {operation!r}",
                    code="unsupported_operation",
                )
