"""The seeded catalog: a Team type and its teams, a Service type with owners, tiers and dependencies.

Every seeded organisation but ``empty`` has it (it is configuration, like the severities). The
services are the ones the demo's incidents happen to, and the "Affected services" custom field
(a multi-select backed by the Service type) lets incidents name them as catalog entries. Ids
come from their own random stream, so adding the catalog changed no other seeded id.
"""

from __future__ import annotations

import random

from incidentkit.emulator.catalog_entries import new_entry
from incidentkit.emulator.catalog_types import new_type
from incidentkit.emulator.catalog_values import embedded_entry, live_entries
from incidentkit.emulator.ids import new_ulid, rfc3339
from incidentkit.emulator.state import OrgState, Record
from incidentkit.emulator.teams import new_team

AFFECTED_SERVICES = "Affected services"

# Team name -> (external id, Slack channel, emails of its members).
TEAMS: dict[str, tuple[str, str, list[str]]] = {
    "Platform": ("platform", "#team-platform", ["rob@incident.io", "tomas@example.com"]),
    "Payments": ("payments", "#team-payments", ["priya@example.com", "mei@example.com"]),
    "Identity": ("identity", "#team-identity", ["tomas@example.com"]),
    "Growth": ("growth", "#team-growth", ["mei@example.com", "sam@example.com"]),
}

# Service name -> (owning team, tier, aliases, the services it depends on).
SERVICES: dict[str, tuple[str, int, list[str], list[str]]] = {
    "api-gateway": ("Platform", 1, ["gateway", "edge"], ["auth-service"]),
    "auth-service": ("Identity", 1, ["auth", "login"], []),
    "checkout-web": ("Payments", 1, ["checkout", "checkout-frontend"], ["api-gateway", "payments-api"]),
    "data-pipeline": ("Platform", 3, ["etl", "pipeline"], []),
    "notifications": ("Growth", 2, ["notify", "emails"], ["data-pipeline"]),
    "payments-api": ("Payments", 1, ["payments", "pay-api"], ["auth-service", "data-pipeline"]),
    "search": ("Growth", 2, ["search-api"], ["data-pipeline"]),
}


def _attribute(rng: random.Random, at: float, name: str, kind: str, *, array: bool = False) -> Record:
    return {"id": new_ulid(at, rng), "name": name, "type": kind, "array": array, "mode": "api"}


def _one(literal: str, label: str | None = None) -> Record:
    return {"value": {"literal": literal, "label": label or literal}}


def add_catalog(state: OrgState, *, at: float) -> None:
    """Add the Team and Service types, their entries, the teams and the "Affected services" field."""
    rng = random.Random("incidentkit-catalog")
    team_type = new_type(
        type_id=new_ulid(at, rng),
        name="Team",
        description="The teams that own services and respond to their incidents.",
        type_name='Custom["Team"]',
        now=at,
        icon="users",
        color="violet",
        categories=["team"],
        use_name_as_identifier=True,
        is_team_type=True,
    )
    service_type = new_type(
        type_id=new_ulid(at, rng),
        name="Service",
        description="The services we run, who owns them and what they depend on.",
        type_name='Custom["Service"]',
        now=at,
        icon="server",
        color="blue",
        categories=["service"],
        use_name_as_identifier=True,
    )
    slack = _attribute(rng, at, "Slack channel", "String")
    owner = _attribute(rng, at, "Owner", team_type["type_name"])
    tier = _attribute(rng, at, "Tier", "Number")
    depends_on = _attribute(rng, at, "Depends on", service_type["type_name"], array=True)
    dependents = {
        **_attribute(rng, at, "Depended on by", service_type["type_name"], array=True),
        "mode": "backlink",
        "backlink_attribute": depends_on["id"],
    }
    services = {**_attribute(rng, at, "Services", service_type["type_name"], array=True), "mode": "backlink"}
    services["backlink_attribute"] = owner["id"]
    team_type["schema"] = {"attributes": [slack, services], "version": 1}
    service_type["schema"] = {"attributes": [owner, tier, depends_on, dependents], "version": 1}
    state.catalog_types += [team_type, service_type]

    users = {user["email"]: user for user in state.users}
    for name, (external_id, channel, emails) in TEAMS.items():
        entry = new_entry(
            state,
            team_type,
            entry_id=new_ulid(at, rng),
            name=name,
            now=at,
            external_id=external_id,
            aliases=[f"team-{external_id}"],
        )
        entry["attribute_values"] = {slack["id"]: _one(channel)}
        state.catalog_entries.append(entry)
        state.teams.append(new_team(new_ulid(at, rng), entry, [users[e] for e in emails if e in users]))

    teams = {e["name"]: e for e in live_entries(state, team_type["id"])}
    ids = {name: new_ulid(at, rng) for name in SERVICES}
    for name, (team, service_tier, aliases, needs) in SERVICES.items():
        entry = new_entry(
            state, service_type, entry_id=ids[name], name=name, now=at, external_id=name, aliases=aliases
        )
        entry["attribute_values"] = {
            owner["id"]: _one(teams[team]["id"], team),
            tier["id"]: _one(str(service_tier)),
        }
        if needs:
            entry["attribute_values"][depends_on["id"]] = {
                "array_value": [{"literal": ids[n], "label": n} for n in needs]
            }
        state.catalog_entries.append(entry)

    stamp = rfc3339(at)
    field = {
        "id": new_ulid(at, rng),
        "name": AFFECTED_SERVICES,
        "description": "The services the incident affects, from the catalog.",
        "field_type": "multi_select",
        "catalog_type_id": service_type["id"],
        "created_at": stamp,
        "updated_at": stamp,
    }
    # Before the single-select "Affected service" field, which the demo's history reads as the last.
    state.custom_fields.insert(len(state.custom_fields) - 1, field)


def affected_services(state: OrgState, service: str, index: int) -> dict[str, list[Record]]:
    """The "Affected services" value of the ``index``-th demo incident on ``service``.

    Every third incident also affects a service that depends on ``service`` (an outage upstream
    shows downstream), picked without the demo's random stream so its history stays the same.
    """
    field = next((f for f in state.custom_fields if f["name"] == AFFECTED_SERVICES), None)
    if field is None:
        return {}
    entries = {e["name"]: e for e in live_entries(state, field["catalog_type_id"])}
    names = [service]
    downstream = sorted(name for name, (_, _, _, needs) in SERVICES.items() if service in needs)
    if downstream and index % 3 == 0:
        names.append(downstream[index // 3 % len(downstream)])
    return {field["id"]: [{"value_catalog_entry": embedded_entry(entries[n])} for n in names if n in entries]}
