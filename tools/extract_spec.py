"""Refresh the schema the emulator ships and the catalogue of webhook event types cut from it.

Run it again when the official schema changes:

    python tools/extract_spec.py path/to/openapi.json

It writes ``src/incidentkit/emulator/data/openapi.json.gz`` (the schema, verbatim, gzipped) and
``src/incidentkit/webhooks/data/event_types.json`` (``x-webhooks`` without the audit-log entries:
each type's description, envelope schema name and the schema's example).

The full schema ships in the sdist of incident.io's official Python SDK (``incident-io`` on
PyPI, file ``openapi.json``), which is fetched hourly from https://api.incident.io/v1/openapiV3.json.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

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


ROOT = Path(__file__).resolve().parent.parent
SPEC_TARGET = ROOT / "src/incidentkit/emulator/data/openapi.json.gz"
EVENTS_TARGET = ROOT / "src/incidentkit/webhooks/data/event_types.json"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[1])
    raw = source.read_bytes()
    spec = json.loads(raw)
    SPEC_TARGET.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(f"{len(spec['paths'])} paths -> {SPEC_TARGET.relative_to(ROOT)}")
    events = extract_event_types(spec)
    EVENTS_TARGET.write_text(json.dumps(events, indent=1) + "\n")
    print(f"{len(events)} webhook event types -> {EVENTS_TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
