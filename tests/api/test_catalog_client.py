"""The client's catalog, teams and follow-ups, against the emulator (sync and async)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from incidentkit.api import (
    AsyncClient,
    Client,
    InvalidArgumentError,
    UnknownNameError,
    UnprocessableEntityError,
)
from incidentkit.emulator import SANDBOX_API_KEY, Emulator


@pytest.fixture
def demo() -> Emulator:
    return Emulator(seed="demo", random_seed=5)


@pytest.fixture
def client(demo: Emulator) -> Iterator[Client]:
    with Client(SANDBOX_API_KEY, transport=demo.transport(), rate_limit=None) as connected:
        yield connected


def test_services_come_with_owners_tiers_and_dependencies_as_names(client: Client) -> None:
    services = {s.name: s for s in client.catalog.services()}
    checkout = services["checkout-web"]
    assert (checkout.owner, checkout.tier) == ("Payments", "1")
    assert checkout.depends_on == ("api-gateway", "payments-api")
    assert services["data-pipeline"].dependents == ("notifications", "payments-api", "search")
    assert client.catalog.service("pay-api").name == "payments-api"  # by alias
    assert client.catalog.service("PAYMENTS-API").name == "payments-api"  # by name, any case
    with pytest.raises(UnknownNameError, match="checkout-web"):
        client.catalog.service("billing")


def test_types_are_found_by_name_id_or_type_name(client: Client) -> None:
    service = client.catalog.types.get("service")
    assert client.catalog.types.get(service.id).name == "Service"
    assert client.catalog.types.get('Custom["Service"]').id == service.id
    assert service.to_json()["schema"]["version"] == service.type_schema.version == 1
    assert service.attribute("depends on") is not None and service.attribute("nope") is None
    with pytest.raises(UnknownNameError, match="Team"):
        client.catalog.types.get("Widget")


def test_entries_by_attribute_name_and_a_partial_update(client: Client) -> None:
    created = client.catalog.entries.create(
        "Service",
        name="ledger",
        attributes={"Owner": "payments", "Tier": 2, "Depends on": ["payments", "auth"]},
        aliases=["ledger-api"],
        external_id="ledger",
    )
    service = client.catalog.types.get("Service")
    depends = service.attribute("Depends on")
    assert depends is not None and created.labels(depends) == ["payments-api", "auth-service"]
    updated = client.catalog.entries.update(created.id, attributes={"Tier": 3})
    tier = service.attribute("Tier")
    assert tier is not None and updated.labels(tier) == ["3"]
    assert updated.labels(depends) == ["payments-api", "auth-service"]  # not named: kept
    cleared = client.catalog.entries.update(created.id, attributes={"Depends on": None})
    assert cleared.labels(depends) == []
    assert client.catalog.service("ledger").owner == "Payments"
    found = client.catalog.entries.find("Service", "ledger-api")
    assert found is not None and found.id == created.id
    assert client.catalog.entries.find("Service", "LEDGER") is not None  # a name in another case
    assert client.catalog.entries.find("Service", "ghost") is None
    with pytest.raises(InvalidArgumentError, match="Colour"):
        client.catalog.entries.create("Service", name="x", attributes={"Colour": "red"})
    with pytest.raises(InvalidArgumentError, match="one value"):
        client.catalog.entries.create("Service", name="x", attributes={"Owner": ["Payments", "Growth"]})
    with pytest.raises(UnprocessableEntityError) as refused:
        client.catalog.entries.create("Service", name="x", attributes={"Owner": "Accounting"})
    assert refused.value.errors[0].field and "Accounting" in str(refused.value)


def test_a_new_type_with_a_schema_and_bulk_updates(client: Client) -> None:
    region = client.catalog.types.create(name="Region", description="Where we run", ranked=True)
    assert region.type_name == 'Custom["Region"]'
    region = client.catalog.types.update_schema(
        region.id, [{"name": "Primary", "type": "Bool", "array": False}]
    )
    with pytest.raises(UnprocessableEntityError):
        client.catalog.types.update_schema(region.id, [], version=0)  # stale
    eu = client.catalog.entries.create(region.id, name="eu-west", attributes={"Primary": True}, rank=2)
    us = client.catalog.entries.create(region.id, name="us-east", attributes={"Primary": False}, rank=1)
    assert [e.name for e in client.catalog.entries.list("Region")] == ["us-east", "eu-west"]  # ranked
    primary = region.attribute("Primary")
    assert primary is not None
    client.catalog.entries.bulk_update(
        "Region",
        [{"entry_id": us.id, "attribute_values": {primary.id: {"value": {"literal": "true"}}}}],
        update_attributes=["Primary"],
    )
    assert client.catalog.entries.get(us.id).labels(primary) == ["true"]
    with pytest.raises(InvalidArgumentError, match="between 1 and 250"):
        client.catalog.entries.bulk_update("Region", [])
    client.catalog.entries.delete(eu.id)
    assert [e.name for e in client.catalog.entries.list("Region")] == ["us-east"]
    client.catalog.types.delete("Region")
    assert "Region" not in {t.name for t in client.catalog.types.list()}
    assert {r.type for r in client.catalog.resources()} >= {"String", "Bool", 'Custom["Service"]'}


def test_teams_by_id_name_or_external_id(client: Client) -> None:
    teams = list(client.teams.list(page_size=1))
    assert [t.name for t in teams] == ["Growth", "Identity", "Payments", "Platform"]
    payments = client.teams.get("payments")
    assert client.teams.get(payments.id).name == "Payments"
    assert {m.name for m in payments.members} == {"Priya Shah", "Mei Lin"}
    with pytest.raises(UnknownNameError, match="Growth"):
        client.teams.get("Accounting")


def test_a_follow_up_s_lifecycle_through_the_client(client: Client) -> None:
    incident = next(iter(client.incidents.list(limit=1)))
    team = client.teams.get("Platform")
    follow_up = client.follow_ups.create(incident.id, title="Add a canary", assignee_team_id=team.id)
    assert follow_up.assignee_team == {"id": team.id, "name": "Platform"}
    done = client.follow_ups.update(follow_up.id, status="completed")
    assert done.title == "Add a canary" and done.completed_at is not None  # the title was read first
    unassigned = client.follow_ups.update(follow_up.id, unassign_team=True)
    assert unassigned.assignee_team is None and unassigned.status == "completed"
    connected = client.follow_ups.connect_external_issue(
        follow_up.id, "https://acme.atlassian.net/browse/OPS-3", provider="jira"
    )
    assert connected.external_issue_reference == {
        "provider": "jira",
        "issue_name": "OPS-3",
        "issue_permalink": "https://acme.atlassian.net/browse/OPS-3",
    }
    linked = client.follow_ups.create_from_link(incident.reference, "https://github.com/acme/api/issues/3")
    assert linked.title == "acme/api#3"
    client.follow_ups.delete(linked.id)
    assert client.follow_ups.get(linked.id).status == "deleted"
    assert [f.id for f in client.follow_ups.list(incident.id, assignee_team_id=team.id)] == []


@pytest.mark.anyio
async def test_the_async_client_reads_the_catalog(demo: Emulator) -> None:
    async with AsyncClient(SANDBOX_API_KEY, transport=demo.transport(), rate_limit=None) as client:
        services = await client.catalog.services()
        assert len(services) == 7
        entry = await client.catalog.entries.find("Service", "edge")
        assert entry is not None and entry.name == "api-gateway"
        assert (await client.teams.list().first_page()).items[0].name == "Growth"
        incident = (await client.incidents.list(limit=1).to_list()).pop()
        made = await client.follow_ups.create(incident.id, title="Async")
        assert (await client.follow_ups.update(made.id, status="not_doing")).status == "not_doing"


def test_a_catalog_custom_field_is_set_by_service_name(client: Client) -> None:
    incident = client.incidents.create(
        name="Checkout down",
        severity="Minor",
        custom_fields={"Affected services": ["checkout", "payments-api"]},
    )
    entry = next(e for e in incident.custom_field_entries if e.custom_field.name == "Affected services")
    assert [v.value_catalog_entry["name"] for v in entry.values if v.value_catalog_entry] == [
        "checkout-web",
        "payments-api",
    ]
    with pytest.raises(InvalidArgumentError, match="billing"):
        client.incidents.create(name="x", severity="Minor", custom_fields={"Affected services": "billing"})
