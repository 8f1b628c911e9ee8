"""incident.io's official OpenAPI schema, shipped with the emulator, and finding an operation in it.

The file is the full schema, gzipped and otherwise verbatim (its source is in ``data/SOURCE.md``):
the emulator serves and validates against the same document the official SDK is generated from.
Loading it takes a fraction of a second, so it is loaded once, on first use.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from importlib import resources
from typing import Any

JSONObject = dict[str, Any]

METHODS = ("get", "post", "put", "patch", "delete")


@cache
def spec() -> JSONObject:
    """The whole schema document (do not modify it: it is shared)."""
    data = resources.files("incidentkit.emulator").joinpath("data", "openapi.json.gz").read_bytes()
    document: JSONObject = json.loads(gzip.decompress(data))
    return document


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    # Literal paths before templated ones, so /v2/incidents/actions... does not match /v2/incidents/{id}.
    templates = sorted(spec()["paths"], key=lambda template: (template.count("{"), template))
    return [
        (re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", template) + r"\Z"), template) for template in templates
    ]


def operation_for(method: str, path: str) -> tuple[str, JSONObject] | None:
    """The schema's path template and operation for a concrete request path, or ``None``."""
    method = method.lower()
    for pattern, template in _templates():
        operations = spec()["paths"][template]
        if method in operations and pattern.match(path):
            return template, operations[method]
    return None


def operations(*, deprecated: bool = False) -> list[tuple[str, str, JSONObject]]:
    """Every ``(METHOD, path template, operation)`` in the schema; deprecated ones only when asked."""
    found = []
    for template, item in spec()["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is not None and (deprecated or not operation.get("deprecated", False)):
                found.append((method.upper(), template, operation))
    return found


def methods_for(path: str) -> list[str]:
    """The methods the schema has (not deprecated) for a concrete request path, such as ``["GET", "PUT"]``."""
    found: list[str] = []
    for pattern, template in _templates():
        if pattern.match(path):
            for method in METHODS:
                operation = spec()["paths"][template].get(method)
                if operation is not None and not operation.get("deprecated", False):
                    found.append(method.upper())
    return found
