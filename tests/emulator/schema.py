"""Checking emulator responses against incident.io's official schema (as shipped with the emulator).

Validation is strict where the schema is loose: an object may carry only the properties its
schema declares, so the emulator cannot invent fields, and ``date-time`` strings must parse.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from functools import cache
from typing import Any

import jsonschema

from incidentkit.emulator.spec import operation_for as find_operation
from incidentkit.emulator.spec import spec as official_spec

JSONObject = dict[str, Any]


def spec() -> JSONObject:
    return official_spec()


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(value) for value in node]
    return node


@cache
def _components() -> JSONObject:
    components = _strict(copy.deepcopy(spec()["components"]))
    # The schema contradicts itself here: GET /v2/incidents accepts page_size up to 500 and
    # GET /v2/users up to 10000, yet pagination_meta.page_size ("what was requested") is capped
    # at 250. The emulator echoes what was requested, so that one maximum is not checked.
    for name, definition in components["schemas"].items():
        if name.startswith("PaginationMetaResult"):
            definition["properties"]["page_size"].pop("maximum", None)
    return components


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
            raise ValueError(f"{value!r} is not RFC 3339")
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def operation_for(method: str, path: str) -> tuple[str, JSONObject]:
    """The schema's path template and operation for a concrete request path."""
    found = find_operation(method, path)
    assert found is not None, f"{method} {path} is not an operation of the schema"
    return found


def response_schema(operation: JSONObject, status: int) -> JSONObject | None:
    """The schema of the body for ``status`` (``None`` for a documented empty body)."""
    responses = operation["responses"]
    declared = responses.get(str(status))
    assert declared is not None, f"status {status} is not declared; declared: {sorted(responses)}"
    content = declared.get("content", {}).get("application/json")
    return content["schema"] if content else None


def validate(method: str, path: str, status: int, body: Any) -> None:
    """Fail unless ``body`` is what the schema says ``method path`` answers with ``status``."""
    _, operation = operation_for(method, path)
    schema = response_schema(operation, status)
    if schema is None:
        assert body in (None, b"", ""), f"{method} {path} {status} should have no body"
        return
    root = {**schema, "components": _components()}
    validator = jsonschema.Draft7Validator(root, format_checker=_FORMATS)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        details = "\n".join(
            f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:5]
        )
        raise AssertionError(f"{method} {path} -> {status} does not match the schema:\n{details}")


def success_status(method: str, path: str) -> int:
    """The one 2xx status the schema gives the operation."""
    _, operation = operation_for(method, path)
    codes = [int(code) for code in operation["responses"] if code.startswith("2")]
    assert len(codes) == 1, codes
    return codes[0]
