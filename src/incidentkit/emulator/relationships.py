"""Related incidents: ``GET /v1/incident_relationships`` and how relationships come to exist.

incident.io relates incidents in its dashboard; the API only lists them. Here the ``demo`` seed
relates incidents that hit the same service, and the admin endpoint
``POST /_emulator/incident_relationships`` relates any two. A relationship is kept once, as the pair
of incident ids, and shown from the side of the incident asked about: the other incident's id,
name and number.
"""

from __future__ import annotations

import itertools
import random

from incidentkit.emulator.call import Call
from incidentkit.emulator.errors import invalid, required
from incidentkit.emulator.filters import paginate
from incidentkit.emulator.ids import new_ulid
from incidentkit.emulator.state import OrgState, Record


def relate(state: OrgState, first: Record, second: Record, *, now: float) -> Record:
    """Relate two incidents (once: relating them again returns the relationship they have).

    Raises:
        ValueError: the two are the same incident.
    """
    if first["id"] == second["id"]:
        raise ValueError(f"{first['reference']} cannot be related to itself")
    pair = {first["id"], second["id"]}
    existing = next((r for r in state.incident_relationships if set(r["incident_ids"]) == pair), None)
    if existing is not None:
        return existing
    # The id comes from the pair, so relating the same incidents always makes the same id.
    rng = random.Random(":".join(sorted(pair)))
    relationship: Record = {"id": new_ulid(now, rng), "incident_ids": [first["id"], second["id"]]}
    state.incident_relationships.append(relationship)
    return relationship


def relate_by_service(state: OrgState, *, now: float, per_service: int = 1) -> None:
    """Relate consecutive standard incidents of the same service, ``per_service`` pairs for each."""
    by_service: dict[str, list[Record]] = {}
    for incident in sorted(state.incidents.values(), key=lambda i: i["id"]):
        if incident["mode"] != "standard":
            continue
        for entry in incident["custom_field_entries"]:
            if entry["custom_field"]["name"] == "Affected service" and entry["values"]:
                by_service.setdefault(entry["values"][0]["value_option"]["id"], []).append(incident)
    for incidents in by_service.values():
        for first, second in list(itertools.pairwise(incidents))[:per_service]:
            relate(state, first, second, now=now)


def _details(incident: Record) -> Record:
    """An ``IncidentRelationshipDetailsV1``."""
    return {
        "id": incident["id"],
        "name": incident["name"],
        "external_id": int(incident["reference"].removeprefix("INC-")),
    }


def list_relationships(call: Call) -> tuple[int, Record]:
    value = call.param("incident_id")
    if not value:
        raise required("incident_id")
    incident = call.state.incident_by_reference(value)
    if incident is None:
        raise invalid("incident_id", f"No incident exists with id {value!r}", code="not_found")
    shown: list[Record] = []
    for relationship in call.state.incident_relationships:
        ids = relationship["incident_ids"]
        if incident["id"] not in ids:
            continue
        other = call.state.incidents.get(ids[1] if ids[0] == incident["id"] else ids[0])
        if other is not None:
            shown.append({"id": relationship["id"], "incident": _details(other)})
    page, meta = paginate(call, shown, lambda relationship: True, maximum=250)
    return 200, {"incident_relationships": page, "pagination_meta": meta}


ROUTES = [
    ("GET", "/v1/incident_relationships", list_relationships, "incidents.view"),
]
"""This module's operations: (method, schema path, handler, scope), for :mod:`.routes`."""
