"""The official incident.io Python SDK (incident-io on PyPI) works against the emulator served on loopback.

The SDK is generated from the same schema; if it parses every answer, the emulator speaks the
API's dialect. It returns errors rather than raising them, so each call checks the result type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from incident_io import AuthenticatedClient
from incident_io.api.custom_fields_v2 import custom_fields_v2_list, custom_fields_v2_show
from incident_io.api.incident_roles_v2 import incident_roles_v2_list, incident_roles_v2_show
from incident_io.api.incident_statuses_v1 import incident_statuses_v1_list, incident_statuses_v1_show
from incident_io.api.incident_timeline_items_v2 import (
    incident_timeline_items_v2_create,
    incident_timeline_items_v2_list,
    incident_timeline_items_v2_update,
)
from incident_io.api.incident_types_v1 import incident_types_v1_list, incident_types_v1_show
from incident_io.api.incident_updates_v2 import incident_updates_v2_create, incident_updates_v2_list
from incident_io.api.incidents_v2 import (
    incidents_v2_create,
    incidents_v2_edit,
    incidents_v2_list,
    incidents_v2_show,
)
from incident_io.api.severities_v1 import severities_v1_list, severities_v1_show
from incident_io.api.users_v2 import users_v2_list, users_v2_show
from incident_io.api.utilities_v1 import utilities_v1_identity
from incident_io.models import (
    ErrorResponse,
    IncidentsCreatePayloadV2,
    IncidentsEditPayloadV2,
    IncidentsV2ListSeverity,
    IncidentsV2ListStatusCategory,
    IncidentTimelineItemsCreatePayloadV2,
    IncidentTimelineItemsUpdatePayloadV2,
    IncidentUpdatesCreatePayloadV2,
)

from incidentkit.emulator import Emulator, RunningServer, serve_in_thread

KEY = "sdk-test-key"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    emulator = Emulator(
        seed="demo", api_keys=[KEY], read_only_keys=["sdk-viewer"], rate_limit=None, random_seed=7
    )
    with serve_in_thread(emulator.asgi_app()) as running:
        yield running


@pytest.fixture
def sdk(server: RunningServer) -> Iterator[AuthenticatedClient]:
    with AuthenticatedClient(base_url=server.url, token=KEY, raise_on_unexpected_status=True) as client:
        yield client


def ok(result: Any) -> Any:
    assert result is not None, "the SDK got a status it does not know"
    assert not isinstance(result, ErrorResponse), f"the API answered an error: {result.to_dict()}"
    return result


def test_catalogue_and_identity(sdk: AuthenticatedClient) -> None:
    severities = ok(severities_v1_list.sync(client=sdk)).severities
    assert [s.name for s in severities] == ["Critical", "Major", "Minor"]
    assert ok(severities_v1_show.sync(severities[0].id, client=sdk)).severity.rank == 2
    statuses = ok(incident_statuses_v1_list.sync(client=sdk)).incident_statuses
    assert {s.category.value for s in statuses} >= {"triage", "live", "learning", "closed"}
    assert ok(incident_statuses_v1_show.sync(statuses[0].id, client=sdk)).incident_status.id == statuses[0].id
    types = ok(incident_types_v1_list.sync(client=sdk)).incident_types
    assert ok(incident_types_v1_show.sync(types[0].id, client=sdk)).incident_type.name == types[0].name
    roles = ok(incident_roles_v2_list.sync(client=sdk)).incident_roles
    assert ok(incident_roles_v2_show.sync(roles[0].id, client=sdk)).incident_role.role_type.value == "lead"
    fields = ok(custom_fields_v2_list.sync(client=sdk)).custom_fields
    assert ok(custom_fields_v2_show.sync(fields[0].id, client=sdk)).custom_field.name == fields[0].name
    users = ok(users_v2_list.sync(client=sdk, page_size=2))
    assert len(users.users) == 2 and users.pagination_meta.after == users.users[-1].id
    assert ok(users_v2_show.sync(users.users[0].id, client=sdk)).user.email == users.users[0].email
    identity = ok(utilities_v1_identity.sync(client=sdk)).identity
    assert "incident_creator" in [role.value for role in identity.roles]


def test_listing_with_filters_and_pagination(sdk: AuthenticatedClient) -> None:
    seen: list[str] = []
    after: str | None = None
    while True:
        page = ok(incidents_v2_list.sync(client=sdk, page_size=10, **({"after": after} if after else {})))
        seen += [incident.id for incident in page.incidents]
        after = page.pagination_meta.after if page.pagination_meta else None
        if not after:
            break
    assert len(seen) == len(set(seen)) == page.pagination_meta.total_record_count

    live = ok(
        incidents_v2_list.sync(
            client=sdk, status_category=IncidentsV2ListStatusCategory.from_dict({"one_of": ["live"]})
        )
    ).incidents
    assert live and all(i.incident_status.category.value == "live" for i in live)

    critical_id = ok(severities_v1_list.sync(client=sdk)).severities[0].id
    critical = ok(
        incidents_v2_list.sync(client=sdk, severity=IncidentsV2ListSeverity.from_dict({"gte": [critical_id]}))
    ).incidents
    assert critical and all(i.severity.name == "Critical" for i in critical)


def test_an_incident_from_declaration_to_close(sdk: AuthenticatedClient) -> None:
    severities = ok(severities_v1_list.sync(client=sdk)).severities
    statuses = {s.name: s for s in ok(incident_statuses_v1_list.sync(client=sdk)).incident_statuses}
    created = ok(
        incidents_v2_create.sync(
            client=sdk,
            body=IncidentsCreatePayloadV2.from_dict(
                {
                    "idempotency_key": "sdk-declare-1",
                    "visibility": "public",
                    "name": "Declared by the official SDK",
                    "severity_id": severities[-1].id,
                }
            ),
        )
    ).incident
    assert created.reference.startswith("INC-") and created.incident_status.category.value == "live"

    by_number = ok(incidents_v2_show.sync(created.reference.removeprefix("INC-"), client=sdk)).incident
    assert by_number.id == created.id

    edited = ok(
        incidents_v2_edit.sync(
            created.id,
            client=sdk,
            body=IncidentsEditPayloadV2.from_dict(
                {"incident": {"summary": "Edited by the SDK"}, "notify_incident_channel": False}
            ),
        )
    ).incident
    assert edited.summary == "Edited by the SDK"

    update = ok(
        incident_updates_v2_create.sync(
            client=sdk,
            body=IncidentUpdatesCreatePayloadV2.from_dict(
                {
                    "idempotency_key": "sdk-update-1",
                    "incident_id": created.id,
                    "message": "Closing",
                    "to_incident_status_id": statuses["Closed"].id,
                }
            ),
        )
    ).incident_update
    assert update.new_incident_status.name == "Closed"
    updates = ok(incident_updates_v2_list.sync(client=sdk, incident_id=created.id)).incident_updates
    assert update.id in [u.id for u in updates]

    item = ok(
        incident_timeline_items_v2_create.sync(
            client=sdk,
            body=IncidentTimelineItemsCreatePayloadV2.from_dict(
                {
                    "idempotency_key": "sdk-item-1",
                    "incident_id": created.id,
                    "title": "Found it",
                    "timestamp": "2026-11-22T10:00:00Z",
                }
            ),
        )
    ).incident_timeline_item
    changed = ok(
        incident_timeline_items_v2_update.sync(
            item.id,
            client=sdk,
            body=IncidentTimelineItemsUpdatePayloadV2.from_dict({"title": "Found the cause"}),
        )
    ).incident_timeline_item
    assert changed.title == "Found the cause"
    items = ok(
        incident_timeline_items_v2_list.sync(client=sdk, incident_id=created.id)
    ).incident_timeline_items
    assert [i.title for i in items] == ["Found the cause"]


def test_errors_reach_the_sdk_in_the_api_shape(server: RunningServer) -> None:
    with AuthenticatedClient(base_url=server.url, token="sdk-viewer") as viewer:
        refused = incidents_v2_create.sync(
            client=viewer,
            body=IncidentsCreatePayloadV2.from_dict({"idempotency_key": "x", "visibility": "public"}),
        )
        assert isinstance(refused, ErrorResponse) and refused.status == 403
    with AuthenticatedClient(base_url=server.url, token="wrong") as stranger:
        denied = severities_v1_list.sync(client=stranger)
        assert isinstance(denied, ErrorResponse) and denied.type_.value == "authentication_error"
    with AuthenticatedClient(base_url=server.url, token=KEY) as sdk:
        missing = incidents_v2_show.sync("01HZZZZZZZZZZZZZZZZZZZZZZZ", client=sdk)
        assert isinstance(missing, ErrorResponse) and missing.status == 404
        invalid = incidents_v2_list.sync(client=sdk, page_size=501)
        assert isinstance(invalid, ErrorResponse) and invalid.errors[0].source.field == "page_size"


def test_the_catalog_teams_and_follow_ups(sdk: AuthenticatedClient) -> None:
    from incident_io.api.catalog_v3 import (
        catalog_v3_bulk_update_entries,
        catalog_v3_create_entry,
        catalog_v3_create_type,
        catalog_v3_destroy_entry,
        catalog_v3_destroy_type,
        catalog_v3_list_entries,
        catalog_v3_list_resources,
        catalog_v3_list_types,
        catalog_v3_show_entry,
        catalog_v3_show_type,
        catalog_v3_update_entry,
        catalog_v3_update_type,
        catalog_v3_update_type_schema,
    )
    from incident_io.api.follow_ups_v3 import (
        follow_ups_v3_connect_external_issue,
        follow_ups_v3_create,
        follow_ups_v3_create_from_link,
        follow_ups_v3_delete,
        follow_ups_v3_list,
        follow_ups_v3_show,
        follow_ups_v3_update,
    )
    from incident_io.api.teams_v3 import teams_v3_list, teams_v3_show
    from incident_io.models import (
        CatalogBulkUpdateEntriesPayloadV3,
        CatalogCreateEntryPayloadV3,
        CatalogCreateTypePayloadV3,
        CatalogUpdateEntryPayloadV3,
        CatalogUpdateTypePayloadV3,
        CatalogUpdateTypeSchemaPayloadV3,
        FollowUpsConnectExternalIssuePayloadV3,
        FollowUpsCreateFromLinkPayloadV3,
        FollowUpsCreatePayloadV3,
        FollowUpsUpdatePayloadV3,
        FollowUpsV3ListCreatedAt,
    )

    types = {t.name: t for t in ok(catalog_v3_list_types.sync(client=sdk)).catalog_types}
    service = ok(catalog_v3_show_type.sync(types["Service"].id, client=sdk)).catalog_type
    listed = ok(catalog_v3_list_entries.sync(client=sdk, catalog_type_id=service.id, identifier="payments"))
    assert [e.name for e in listed.catalog_entries] == ["payments-api"]
    assert listed.pagination_meta.total_record_count == 1
    resources = ok(catalog_v3_list_resources.sync(client=sdk)).resources
    assert any(r.type_ == 'Custom["Service"]' for r in resources)

    flag = ok(
        catalog_v3_create_type.sync(
            client=sdk, body=CatalogCreateTypePayloadV3.from_dict({"name": "SDK flag", "description": "d"})
        )
    ).catalog_type
    flag = ok(
        catalog_v3_update_type.sync(
            flag.id,
            client=sdk,
            body=CatalogUpdateTypePayloadV3.from_dict({"name": "SDK flag", "description": "e"}),
        )
    ).catalog_type
    schema_body = {
        "version": 0,
        "attributes": [{"name": "Service", "type": service.type_name, "array": False}],
    }
    flag = ok(
        catalog_v3_update_type_schema.sync(
            flag.id, client=sdk, body=CatalogUpdateTypeSchemaPayloadV3.from_dict(schema_body)
        )
    ).catalog_type
    attribute = flag.schema.attributes[0].id
    created = ok(
        catalog_v3_create_entry.sync(
            client=sdk,
            body=CatalogCreateEntryPayloadV3.from_dict(
                {
                    "catalog_type_id": flag.id,
                    "name": "new-checkout",
                    "attribute_values": {attribute: {"value": {"literal": "checkout"}}},
                }
            ),
        )
    ).catalog_entry
    assert created.attribute_values[attribute].value.label == "checkout-web"
    updated = ok(
        catalog_v3_update_entry.sync(
            created.id,
            client=sdk,
            body=CatalogUpdateEntryPayloadV3.from_dict({"name": "checkout-v2", "attribute_values": {}}),
        )
    )
    assert updated.catalog_entry.name == "checkout-v2" and updated.catalog_type.id == flag.id
    bulk = {
        "catalog_type_id": flag.id,
        "entries": [
            {"entry_id": created.id, "attribute_values": {attribute: {"value": {"literal": "search"}}}}
        ],
    }
    catalog_v3_bulk_update_entries.sync(client=sdk, body=CatalogBulkUpdateEntriesPayloadV3.from_dict(bulk))
    shown = ok(catalog_v3_show_entry.sync(created.id, client=sdk)).catalog_entry
    assert shown.attribute_values[attribute].value.label == "search"
    catalog_v3_destroy_entry.sync(created.id, client=sdk)
    catalog_v3_destroy_type.sync(flag.id, client=sdk)
    assert isinstance(catalog_v3_show_type.sync(flag.id, client=sdk), ErrorResponse)

    teams = ok(teams_v3_list.sync(client=sdk, page_size=2))
    assert len(teams.teams) == 2 and teams.pagination_meta.after
    team = ok(teams_v3_show.sync(teams.teams[0].id, client=sdk)).team
    assert team.members and team.catalog_entry.name == team.name

    incident = ok(incidents_v2_list.sync(client=sdk, page_size=1)).incidents[0]
    follow_up = ok(
        follow_ups_v3_create.sync(
            client=sdk,
            body=FollowUpsCreatePayloadV3.from_dict(
                {"incident_id": incident.id, "title": "SDK follow-up", "assignee_team_id": team.id}
            ),
        )
    ).follow_up
    assert follow_up.assignee_team.name == team.name
    done = ok(
        follow_ups_v3_update.sync(
            follow_up.id,
            client=sdk,
            body=FollowUpsUpdatePayloadV3.from_dict({"title": "SDK follow-up", "status": "completed"}),
        )
    ).follow_up
    assert done.status.value == "completed" and done.completed_at
    connected = ok(
        follow_ups_v3_connect_external_issue.sync(
            follow_up.id,
            client=sdk,
            body=FollowUpsConnectExternalIssuePayloadV3.from_dict(
                {"provider": "github", "url": "https://github.com/acme/api/issues/7"}
            ),
        )
    ).follow_up
    assert connected.external_issue_reference.issue_name == "acme/api#7"
    linked = ok(
        follow_ups_v3_create_from_link.sync(
            client=sdk,
            body=FollowUpsCreateFromLinkPayloadV3.from_dict(
                {"incident_id": incident.id, "url": "https://linear.app/acme/issue/ENG-9/x"}
            ),
        )
    ).follow_up
    assert ok(follow_ups_v3_show.sync(linked.id, client=sdk)).follow_up.title == "ENG-9"
    follow_ups_v3_delete.sync(linked.id, client=sdk)
    mine = ok(
        follow_ups_v3_list.sync(
            client=sdk,
            incident_id=incident.id,
            assignee_team_id=team.id,
            created_at=FollowUpsV3ListCreatedAt.from_dict({"gte": ["2000-01-01"]}),
        )
    ).follow_ups
    assert [f.id for f in mine] == [follow_up.id]


def test_alerts_from_an_http_event_to_an_incident(sdk: AuthenticatedClient) -> None:
    # Imported here: the alerting modules are many, and only this test needs them.
    from incident_io.api.alert_events_v2 import alert_events_v2_create_http
    from incident_io.api.alert_routes_v2 import alert_routes_v2_list, alert_routes_v2_show
    from incident_io.api.alert_routes_v3 import alert_routes_v3_list, alert_routes_v3_show
    from incident_io.api.alert_sources_v2 import (
        alert_sources_v2_create,
        alert_sources_v2_list,
        alert_sources_v2_show,
    )
    from incident_io.api.alerts_v2 import (
        alerts_v2_add_tags,
        alerts_v2_create_incident_alert,
        alerts_v2_list,
        alerts_v2_list_alert_tags,
        alerts_v2_list_incident_alerts,
        alerts_v2_resolve,
        alerts_v2_show,
        alerts_v2_transition_incident_alert,
    )
    from incident_io.models import (
        AlertEventsCreateHTTPPayloadV2,
        AlertsAddTagsPayloadV2,
        AlertsCreateIncidentAlertPayloadV2,
        AlertSourcesCreatePayloadV2,
        AlertsTransitionIncidentAlertPayloadV2,
        AlertsV2ListStatus,
    )

    from incidentkit.emulator.seed import MONITORING_ROUTE_ID, MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN

    sources = ok(alert_sources_v2_list.sync(client=sdk)).alert_sources
    assert MONITORING_SOURCE_ID in [s.id for s in sources]
    assert ok(alert_sources_v2_show.sync(MONITORING_SOURCE_ID, client=sdk)).alert_source.secret_token == (
        MONITORING_SOURCE_TOKEN
    )
    template = {"title": {"reference": "alert.title"}, "description": {}, "attributes": [], "expressions": []}
    created = ok(
        alert_sources_v2_create.sync(
            client=sdk,
            body=AlertSourcesCreatePayloadV2.from_dict(
                {"name": "SDK", "source_type": "http", "template": template}
            ),
        )
    ).alert_source
    assert created.secret_token
    routes = ok(alert_routes_v3_list.sync(client=sdk)).alert_routes
    assert MONITORING_ROUTE_ID in [r.id for r in routes]
    assert ok(alert_routes_v3_show.sync(MONITORING_ROUTE_ID, client=sdk)).alert_route.incident_config.enabled
    assert ok(alert_routes_v2_list.sync(client=sdk, page_size=25)).alert_routes
    assert ok(alert_routes_v2_show.sync(MONITORING_ROUTE_ID, client=sdk)).alert_route.version == 1

    answer = ok(
        alert_events_v2_create_http.sync(
            MONITORING_SOURCE_ID,
            client=sdk,
            token=MONITORING_SOURCE_TOKEN,
            body=AlertEventsCreateHTTPPayloadV2.from_dict(
                {
                    "title": "SDK alert",
                    "status": "firing",
                    "deduplication_key": "sdk-1",
                    "metadata": {"severity": "Minor"},
                }
            ),
        )
    )
    assert answer.deduplication_key == "sdk-1"
    firing = ok(
        alerts_v2_list.sync(client=sdk, status=AlertsV2ListStatus.from_dict({"one_of": ["firing"]}))
    ).alerts
    alert = next(a for a in firing if a.deduplication_key == "sdk-1")
    assert ok(alerts_v2_show.sync(alert.id, client=sdk)).alert.title == "SDK alert"
    tagged = ok(
        alerts_v2_add_tags.sync(
            alert.id, client=sdk, body=AlertsAddTagsPayloadV2.from_dict({"tags": ["sdk"]})
        )
    ).alert
    assert [t.name for t in tagged.tags] == ["sdk"]
    assert "sdk" in [t.name for t in ok(alerts_v2_list_alert_tags.sync(client=sdk)).alert_tags]
    [link] = ok(alerts_v2_list_incident_alerts.sync(client=sdk, alert_id=alert.id)).incident_alerts
    assert link.alert_route_id == MONITORING_ROUTE_ID and link.incident.status_category.value == "triage"
    other = ok(incidents_v2_list.sync(client=sdk)).incidents[-1]
    attached = ok(
        alerts_v2_create_incident_alert.sync(
            client=sdk,
            body=AlertsCreateIncidentAlertPayloadV2.from_dict(
                {"alert_id": alert.id, "incident_id": other.id}
            ),
        )
    ).incident_alert
    moved = ok(
        alerts_v2_transition_incident_alert.sync(
            attached.id,
            client=sdk,
            body=AlertsTransitionIncidentAlertPayloadV2.from_dict({"state": "unrelated"}),
        )
    ).incident_alert
    assert moved.id == attached.id
    assert ok(alerts_v2_resolve.sync(alert.id, client=sdk)).alert.status.value == "resolved"
    refused = alert_events_v2_create_http.sync(
        MONITORING_SOURCE_ID,
        client=sdk,
        token="wrong",
        body=AlertEventsCreateHTTPPayloadV2.from_dict({"title": "x", "status": "firing"}),
    )
    assert isinstance(refused, ErrorResponse) and refused.status == 401


def test_generic_operations_through_the_sdk(sdk: AuthenticatedClient) -> None:
    """Operations no hand-written route answers: served from the schema, parsed by the SDK's models."""
    from incident_io.api.ip_allowlists_v1 import ip_allowlists_v1_show_ip_allowlist
    from incident_io.api.secrets_v2 import secrets_v2_create, secrets_v2_list
    from incident_io.api.status_page_components_v2 import (
        status_page_components_v2_create,
        status_page_components_v2_destroy,
        status_page_components_v2_list,
        status_page_components_v2_show,
        status_page_components_v2_update,
    )
    from incident_io.models import (
        SecretsCreatePayloadV2,
        StatusPageComponentsCreatePayloadV2,
        StatusPageComponentsUpdatePayloadV2,
    )

    component = ok(
        status_page_components_v2_create.sync(
            client=sdk, body=StatusPageComponentsCreatePayloadV2.from_dict({"name": "Checkout"})
        )
    ).status_page_component
    assert component.name == "Checkout"
    shown = ok(status_page_components_v2_show.sync(component.id, client=sdk)).status_page_component
    assert shown.id == component.id
    renamed = ok(
        status_page_components_v2_update.sync(
            component.id, client=sdk, body=StatusPageComponentsUpdatePayloadV2.from_dict({"name": "Payments"})
        )
    ).status_page_component
    assert renamed.name == "Payments"
    listed = ok(status_page_components_v2_list.sync(client=sdk)).status_page_components
    assert component.id in [c.id for c in listed]
    deleted = status_page_components_v2_destroy.sync_detailed(component.id, client=sdk)
    assert deleted.status_code == 204
    missing = status_page_components_v2_show.sync(component.id, client=sdk)
    assert isinstance(missing, ErrorResponse) and missing.status == 404

    secret = ok(
        secrets_v2_create.sync(
            client=sdk, body=SecretsCreatePayloadV2.from_dict({"name": "deploy-token", "value": "t0ken"})
        )
    ).secret
    page = ok(secrets_v2_list.sync(client=sdk, page_size=1))
    assert [s.id for s in page.secrets] == [secret.id]
    assert ok(ip_allowlists_v1_show_ip_allowlist.sync(client=sdk)).ip_allowlist is not None
