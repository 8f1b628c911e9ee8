"""investigation.context: an incident with its services, history, alerts and follow-ups, from the emulator."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from incidentkit.api import Client, OrganisationMismatchError
from incidentkit.api.view import incident_view
from incidentkit.emulator.seed import MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN
from incidentkit.investigation import (
    ChangeLog,
    History,
    InvestigationConfig,
    ServiceCatalog,
    changes,
    context,
    incident_from_api,
)
from incidentkit.investigation.affected_services import find_affected_services
from incidentkit.store import Store
from tests.cli.conftest import Invoke

CONFIG = InvestigationConfig()


def _alert_incident(client: Client, title: str, **options: object) -> str:
    """Send an alert to the seeded Monitoring source; its route declares an incident with it attached."""
    client.alert_events.send(MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN, title=title, **options)  # type: ignore[arg-type]
    [link] = [a for a in client.incident_alerts.list() if a.alert.title == title]
    return link.incident.id


@pytest.mark.incidentkit_seed("demo")
def test_every_reference_form_gives_the_same_incident(client: Client) -> None:
    incident = client.incidents.get("INC-47")
    for ref in (incident.id, "INC-47", "47", "https://app.incident.io/sandbox/incidents/47"):
        assert context(client, ref, config=CONFIG).id == incident.id
    with pytest.raises(OrganisationMismatchError):
        context(client, "https://app.incident.io/another-org/incidents/47", config=CONFIG)


@pytest.mark.incidentkit_seed("demo")
def test_the_catalog_field_names_the_services_with_owner_and_dependencies(client: Client) -> None:
    found = context(client, "INC-47", config=CONFIG)
    [service] = found.services
    assert (service.name, service.found_by, service.where) == (
        "checkout-web",
        "catalog_field",
        "Affected services",
    )
    as_json = service.to_json()
    assert as_json["owner"] == "Payments" and as_json["in_catalog"] is True
    assert as_json["depends_on"] == ["api-gateway", "payments-api"]
    assert found.catalog.source == "catalog"
    # The incident view reads the same services by the same rule, and so does the history.
    assert incident_view(found.incident).services == ["checkout-web"]
    assert incident_from_api(found.incident.to_json()).services == ("checkout-web",)


@pytest.mark.incidentkit_seed("demo")
def test_the_incident_its_people_fields_updates_and_timeline_are_all_there(client: Client) -> None:
    found = context(client, "INC-47", config=CONFIG)
    body = found.to_json()
    json.dumps(body)  # plain JSON, nothing left to serialise
    assert body["incident"]["reference"] == "INC-47"
    assert body["incident"]["severity"] == "Major" and body["incident"]["priority"] == "P1"
    assert body["incident"]["status_category"] == "live"
    assert body["lead"]["role_type"] == "lead" and body["lead"]["assignee"]
    assert body["custom_fields"]["Affected services"] == ["checkout-web"]
    assert body["updates"] and body["updates"][0]["status"] == "Investigating"
    assert [t["title"] for t in body["timeline"]][:1] == ["Identified the cause"]
    assert body["catalog"] == "catalog" and body["notes"] == []


def test_without_a_service_field_the_title_and_alerts_name_the_services(client: Client) -> None:
    incident_id = _alert_incident(
        client,
        "Error rate above 5%",
        description="Elevated 500s since the last deploy",
        source_url="https://grafana.example.com/d/errors?var-service=search-api",
    )
    found = context(client, incident_id, config=CONFIG)
    assert [(s.name, s.found_by, s.matched) for s in found.services] == [("search", "alert", "search-api")]
    assert [a.alert.title for a in found.alerts] == ["Error rate above 5%"]

    client.incidents.edit(
        incident_id, name="Checkout failing for EU users", summary="Payments are timing out"
    )
    found = context(client, incident_id, config=CONFIG)
    assert [(s.name, s.found_by, s.matched) for s in found.services] == [
        ("checkout-web", "title", "Checkout"),
        ("payments-api", "summary", "Payments"),
        ("search", "alert", "search-api"),
    ]


def test_an_alias_inside_a_longer_word_is_not_a_mention() -> None:
    catalog = ServiceCatalog.load(None, InvestigationConfig(services=("auth", "checkout")))
    assert catalog.source == "configuration"
    assert catalog.mentions("authentication failures in checkouts") == []
    assert [s.name for s, _ in catalog.mentions("auth and checkout both down")] == ["auth", "checkout"]


def test_without_a_catalog_the_configured_services_and_dependencies_are_used() -> None:
    config = InvestigationConfig(services=("billing",), dependencies={"billing": ("ledger",)})
    catalog = ServiceCatalog.load(None, config)
    found = find_affected_services({"name": "Billing exports stuck", "summary": ""}, [], catalog)
    assert [(s.name, s.found_by, s.depends_on) for s in found] == [("billing", "title", ("ledger",))]
    assert catalog.dependencies() == {"billing": ("ledger",)}


def test_severity_and_status_history_from_updates_and_the_store_snapshot(
    client: Client, store: Store
) -> None:
    incident_id = _alert_incident(client, "Disk almost full on etl workers")
    client.incident_updates.create(incident_id, message="Looking", status="Investigating", severity="Minor")
    client.incident_updates.create(incident_id, message="Worse", severity="Major")
    current = client.incidents.get(incident_id)
    later = current.updated_at + timedelta(minutes=5)
    snapshot = {**current.to_json(), "severity": {"name": "Critical"}}
    store.save_snapshot(incident_id, snapshot, incident_updated_at=later)

    found = context(client, incident_id, config=CONFIG, history=History(store))
    severities = [(c.value, c.source) for c in found.state_history if c.field == "severity"]
    assert severities[-3:] == [("Minor", "update"), ("Major", "update"), ("Critical", "snapshot")]
    statuses = [c.value for c in found.state_history if c.field == "status"]
    assert statuses[-1] == "Investigating" and len(statuses) == len(set(statuses))
    # Without the store, the snapshot is not there.
    plain = context(client, incident_id, config=CONFIG)
    assert all(change.source != "snapshot" for change in plain.state_history)


def test_follow_ups_come_with_the_context(client: Client) -> None:
    incident_id = _alert_incident(client, "Queue backlog in notifications")
    client.follow_ups.create(incident_id, title="Alert on queue age")
    found = context(client, incident_id, config=CONFIG)
    assert [f.title for f in found.follow_ups] == ["Alert on queue age"]
    assert found.to_json()["follow_ups"][0]["status"]


@pytest.mark.incidentkit_seed("demo")
def test_changes_follow_the_catalogs_dependencies_and_aliases(client: Client, store: Store) -> None:
    incident = client.incidents.get("INC-47")  # checkout-web, which depends on payments-api
    log = ChangeLog(store)
    log.record("payments", version="v2.3.1", at=incident.created_at - timedelta(minutes=12), source="cli")
    log.record("search", version="v9", at=incident.created_at - timedelta(minutes=5), source="cli")

    with_catalog = changes("INC-47", change_log=log, client=client, config=CONFIG)
    [match] = with_catalog.matches
    assert (match.service, match.via, match.change.version) == ("checkout-web", ("payments-api",), "v2.3.1")
    # Without a client only the configured map counts, and there is none.
    flat = incident_from_api(incident.to_json())
    assert changes(flat, change_log=log, config=CONFIG).matches == ()


def test_the_context_command_prints_it_readably_or_as_json(invoke: Invoke) -> None:
    result = invoke("context", "INC-47", "--sandbox", "--json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["incident"]["reference"] == "INC-47" and body["services"][0]["name"] == "checkout-web"
    text = invoke("context", "INC-47", "--sandbox", "--table")
    assert text.exit_code == 0, text.stderr
    assert "Affected services" in text.stdout and "checkout-web (catalog_field" in text.stdout
    bad = invoke("context", "not-a-ref", "--sandbox")
    assert bad.exit_code == 2 and "not an incident reference" in bad.stderr
