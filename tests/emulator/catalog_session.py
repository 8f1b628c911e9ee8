"""The catalog, teams and follow-ups part of the conformance session: every such route, through the client."""

from __future__ import annotations

import pytest

from incidentkit.api import Client, NotFoundError, UnprocessableEntityError


def exercise_catalog_and_follow_ups(client: Client, incident_id: str) -> None:
    """Call every catalog, team and follow-up operation, successes and refusals."""
    catalog = client.catalog
    service = catalog.types.get("Service")
    client.request("GET", f"/v3/catalog_types/{service.id}")
    catalog.resources()
    flag = catalog.types.create(name="Conformance flag", description="Checks", categories=["product-feature"])
    flag = catalog.types.update(flag.id, description="Checks every route", color="pink")
    flag = catalog.types.update_schema(
        flag.id,
        [
            {"name": "Owner", "type": 'Custom["Team"]', "array": False},
            {"name": "Services", "type": service.type_name, "array": True},
            {"name": "Percent", "type": "Number", "array": False},
        ],
    )
    entry = catalog.entries.create(
        flag.id, name="dark-mode", attributes={"Owner": "Growth", "Services": ["search"], "Percent": 5}
    )
    catalog.entries.update(entry.id, attributes={"Percent": 50}, aliases=["dm"])
    catalog.entries.get(entry.id)
    catalog.entries.find(flag.id, "dm")
    list(catalog.entries.list("Service", page_size=2))
    catalog.entries.bulk_update(
        flag.id, [{"entry_id": entry.id, "attribute_values": {}}], update_attributes=["Percent"]
    )
    catalog.services()
    with pytest.raises(UnprocessableEntityError):
        catalog.entries.create(flag.id, name="bad", attributes={"Percent": "many"})
    with pytest.raises(NotFoundError):
        catalog.entries.get("01HZZZZZZZZZZZZZZZZZZZZZZZ")
    catalog.entries.delete(entry.id)
    catalog.types.delete(flag.id)

    teams = list(client.teams.list(page_size=2))
    client.teams.get(teams[0].id)
    client.teams.get("Payments")

    follow_up = client.follow_ups.create(incident_id, title="Add a canary", assignee_team_id=teams[0].id)
    client.follow_ups.get(follow_up.id)
    client.follow_ups.update(follow_up.id, status="completed", labels=["ci"])
    client.follow_ups.connect_external_issue(
        follow_up.id, "https://github.com/acme/api/issues/1", provider="github"
    )
    linked = client.follow_ups.create_from_link(incident_id, "https://linear.app/acme/issue/ENG-1/x")
    client.follow_ups.delete(linked.id)
    list(client.follow_ups.list(incident_id, assignee_team_id=teams[0].id, created_at_gte="2000-01-01"))
    with pytest.raises(UnprocessableEntityError):
        client.follow_ups.update(follow_up.id, status="deleted")
