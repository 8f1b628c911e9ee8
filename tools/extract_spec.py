"""Cut the part of incident.io's OpenAPI schema that incidentkit implements out of the full schema.

The full schema is 7.8 MB; the emulator and its conformance tests need only the operations
below and the component schemas they reach. Run it again when the official schema changes:

    python tools/extract_spec.py path/to/openapi.json src/incidentkit/emulator/data/openapi-subset.json \
        [src/incidentkit/webhooks/data/event_types.json]

The optional third file is the catalogue of webhook event types (``x-webhooks``, without the
audit-log entries): each type's description, envelope schema name and the schema's example.

The full schema ships in the sdist of incident.io's official Python SDK (``incident-io`` on
PyPI, file ``openapi.json``), which is fetched hourly from https://api.incident.io/v1/openapiV3.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# (path, method) of every operation the client uses and the emulator serves.
OPERATIONS = [
    ("/v1/identity", "get"),
    ("/v1/severities", "get"),
    ("/v1/severities/{id}", "get"),
    ("/v1/incident_statuses", "get"),
    ("/v1/incident_statuses/{id}", "get"),
    ("/v1/incident_types", "get"),
    ("/v1/incident_types/{id}", "get"),
    ("/v2/incident_roles", "get"),
    ("/v2/incident_roles/{id}", "get"),
    ("/v2/custom_fields", "get"),
    ("/v2/custom_fields/{id}", "get"),
    ("/v2/users", "get"),
    ("/v2/users/{id}", "get"),
    ("/v2/incidents", "get"),
    ("/v2/incidents", "post"),
    ("/v2/incidents/{id}", "get"),
    ("/v2/incidents/{id}/actions/edit", "post"),
    ("/v2/incident_updates", "get"),
    ("/v2/incident_updates", "post"),
    ("/v2/incident_timeline_items", "get"),
    ("/v2/incident_timeline_items", "post"),
    ("/v2/incident_timeline_items/{id}", "patch"),
    ("/v3/follow_ups", "get"),
    ("/v3/follow_ups", "post"),
]

# Webhook payload schemas the emulator sends (the envelope of each event type).
WEBHOOK_SCHEMAS = [
    "WebhooksPublicIncidentIncidentCreatedV2ResponseBody",
    "WebhooksPublicIncidentIncidentUpdatedV2ResponseBody",
    "WebhooksPublicIncidentIncidentStatusUpdatedV2ResponseBody",
    "WebhooksPrivateIncidentIncidentCreatedV2ResponseBody",
    "WebhooksPrivateIncidentIncidentUpdatedV2ResponseBody",
]


def _refs(node: Any) -> set[str]:
    """Names of the component schemas a part of the document refers to."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    """The subset document: the chosen operations and every schema they reach."""
    paths: dict[str, dict[str, Any]] = {}
    for path, method in OPERATIONS:
        paths.setdefault(path, {})[method] = spec["paths"][path][method]
    all_schemas = spec["components"]["schemas"]
    wanted = _refs(paths) | {name for name in WEBHOOK_SCHEMAS if name in all_schemas}
    schemas: dict[str, Any] = {}
    while wanted:
        name = wanted.pop()
        if name in schemas:
            continue
        schemas[name] = all_schemas[name]
        wanted |= _refs(schemas[name]) - schemas.keys()
    return {
        "openapi": spec["openapi"],
        "info": {
            "title": spec["info"]["title"],
            "version": spec["info"]["version"],
            "description": "Subset of incident.io's public API schema, cut by tools/extract_spec.py.",
        },
        "servers": spec.get("servers", []),
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": spec["components"].get("securitySchemes", {}),
        },
    }


WEBHOOK_PREFIX = "/x-webhooks/"


def extract_event_types(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every webhook event type under ``x-webhooks``, sorted by name; audit-log streams are left out."""
    events = []
    for key, item in spec["x-webhooks"].items():
        if not key.startswith(WEBHOOK_PREFIX):
            continue  # /x-audit-logs/... are WorkOS audit-log entries, not webhooks
        operation = item["get"]
        content = operation["responses"]["200"]["content"]["application/json"]
        events.append(
            {
                "event_type": key.removeprefix(WEBHOOK_PREFIX),
                "operation_id": operation["operationId"],
                "description": operation.get("description", ""),
                "schema": content["schema"]["$ref"].rsplit("/", 1)[1],
                "example": content.get("example"),
            }
        )
    return sorted(events, key=lambda event: event["event_type"])


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    source, target = Path(argv[1]), Path(argv[2])
    spec = json.loads(source.read_text())
    subset = extract(spec)
    target.write_text(json.dumps(subset, indent=1, sort_keys=False) + "\n")
    print(f"{len(subset['paths'])} paths, {len(subset['components']['schemas'])} schemas -> {target}")
    if len(argv) == 4:
        events_target = Path(argv[3])
        events = extract_event_types(spec)
        events_target.write_text(json.dumps(events, indent=1) + "\n")
        print(f"{len(events)} webhook event types -> {events_target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
