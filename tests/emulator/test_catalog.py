"""The v3 catalog and teams in the emulator: schemas, entry validation, references, bulk updates, pages.

Every response is checked against the official schema on the way.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from incidentkit.emulator import Emulator
from tests.emulator import schema

Body = dict[str, Any]


def call(http: httpx2.Client, method: str, path: str, status: int, **options: Any) -> Any:
    """Send, check the status and that the body matches the schema, return the JSON (None for a 204)."""
    response = http.request(method, path, **options)
    assert response.status_code == status, response.text
    body = response.json() if response.content else None
    schema.validate(method, path, status, body)
    return body


def refused(http: httpx2.Client, method: str, path: str, **options: Any) -> Body:
    """The single error of a 422, checked against the schema."""
    body = call(http, method, path, 422, **options)
    error: Body = body["errors"][0]
    return error


def types_by_name(http: httpx2.Client) -> dict[str, Body]:
    return {t["name"]: t for t in call(http, "GET", "/v3/catalog_types", 200)["catalog_types"]}


def attribute(catalog_type: Body, name: str) -> Body:
    return next(a for a in catalog_type["schema"]["attributes"] if a["name"] == name)


def entries(http: httpx2.Client, type_id: str, **params: Any) -> Body:
    return call(
        http,
        "GET",
        "/v3/catalog_entries",
        200,
        params={"catalog_type_id": type_id, "page_size": 250, **params},
    )


@pytest.fixture
def widget(http: httpx2.Client) -> Body:
    """A new type with one attribute of each kind, one of them referring to the seeded Service type."""
    created = call(
        http, "POST", "/v3/catalog_types", 201, json={"name": "Feature flag", "description": "Flags"}
    )["catalog_type"]
    assert created["type_name"] == 'Custom["FeatureFlag"]' and created["schema"]["version"] == 0
    attributes = [
        {"name": "Note", "type": "String", "array": False},
        {"name": "Percent", "type": "Number", "array": False},
        {"name": "Enabled", "type": "Bool", "array": False},
        {"name": "Services", "type": 'Custom["Service"]', "array": True},
    ]
    return call(
        http,
        "POST",
        f"/v3/catalog_types/{created['id']}/actions/update_schema",
        200,
        json={"version": 0, "attributes": attributes},
    )["catalog_type"]


def test_the_seeded_catalog_has_services_with_owners_tiers_and_dependencies(http: httpx2.Client) -> None:
    types = types_by_name(http)
    service, team = types["Service"], types["Team"]
    assert team["is_team_type"] and service["estimated_count"] == 7
    listed = entries(http, service["id"])
    assert listed["catalog_type"]["id"] == service["id"]
    assert listed["pagination_meta"]["total_record_count"] == 7
    payments = next(e for e in listed["catalog_entries"] if e["name"] == "payments-api")
    values = payments["attribute_values"]
    assert values[attribute(service, "Owner")["id"]]["value"]["label"] == "Payments"
    assert values[attribute(service, "Tier")["id"]]["value"]["literal"] == "1"
    needs = [v["label"] for v in values[attribute(service, "Depends on")["id"]]["array_value"]]
    assert needs == ["auth-service", "data-pipeline"]
    # The backlink lists who depends on it, worked out from the others' "Depends on".
    dependents = values[attribute(service, "Depended on by")["id"]]["array_value"]
    assert [v["label"] for v in dependents] == ["checkout-web"]
    teams = call(http, "GET", "/v3/teams", 200)["teams"]
    assert {t["name"] for t in teams} == {"Platform", "Payments", "Identity", "Growth"}
    payments_team = next(t for t in teams if t["name"] == "Payments")
    shown = call(http, "GET", f"/v3/teams/{payments_team['id']}", 200)["team"]
    assert {m["name"] for m in shown["members"]} == {"Priya Shah", "Mei Lin"}
    assert values[attribute(service, "Owner")["id"]]["value"]["literal"] == shown["catalog_entry"]["id"]


def test_demo_incidents_name_their_services_as_catalog_entries(demo: Emulator, http: httpx2.Client) -> None:
    fields = call(http, "GET", "/v2/custom_fields", 200)["custom_fields"]
    affected = next(f for f in fields if f["name"] == "Affected services")
    service_type = types_by_name(http)["Service"]
    assert affected["catalog_type_id"] == service_type["id"] and affected["field_type"] == "multi_select"
    names = {e["id"]: e["name"] for e in entries(http, service_type["id"])["catalog_entries"]}
    valued = [
        value["value_catalog_entry"]
        for incident in demo.state.incidents.values()
        for entry in incident["custom_field_entries"]
        if entry["custom_field"]["id"] == affected["id"]
        for value in entry["values"]
    ]
    assert len(valued) > 40 and all(names[v["id"]] == v["name"] for v in valued)
    one = valued[0]["id"]
    listed = call(http, "GET", "/v2/incidents", 200, params={f"custom_field[{affected['id']}][one_of]": one})[
        "incidents"
    ]
    assert listed and all(
        any(
            v["value_catalog_entry"]["id"] == one
            for e in i["custom_field_entries"]
            for v in e["values"]
            if "value_catalog_entry" in v
        )
        for i in listed
    )


def test_an_incident_takes_a_catalog_value_by_id_or_alias(http: httpx2.Client) -> None:
    fields = call(http, "GET", "/v2/custom_fields", 200)["custom_fields"]
    affected = next(f for f in fields if f["name"] == "Affected services")
    severity = call(http, "GET", "/v1/severities", 200)["severities"][0]
    body = {
        "idempotency_key": "catalog-value",
        "visibility": "public",
        "severity_id": severity["id"],
        "custom_field_entries": [
            {"custom_field_id": affected["id"], "values": [{"value_catalog_entry_id": "payments"}]}
        ],
    }
    incident = call(http, "POST", "/v2/incidents", 200, json=body)["incident"]
    entry = next(e for e in incident["custom_field_entries"] if e["custom_field"]["id"] == affected["id"])
    assert entry["values"][0]["value_catalog_entry"]["name"] == "payments-api"
    body["idempotency_key"] = "catalog-value-2"
    body["custom_field_entries"][0]["values"] = [{"value_catalog_entry_id": "no-such-service"}]
    error = refused(http, "POST", "/v2/incidents", json=body)
    assert error["source"]["field"] == "custom_field_entries[0].values[0].value_catalog_entry_id"


def test_entries_are_checked_against_their_type_schema(http: httpx2.Client, widget: Body) -> None:
    note, percent = attribute(widget, "Note")["id"], attribute(widget, "Percent")["id"]
    enabled, services = attribute(widget, "Enabled")["id"], attribute(widget, "Services")["id"]

    def create(values: Body) -> httpx2.Response:
        payload = {"catalog_type_id": widget["id"], "name": "dark-mode", "attribute_values": values}
        return http.post("/v3/catalog_entries", json=payload)

    cases = [
        ({"nope": {"value": {"literal": "x"}}}, "attribute_values.nope"),
        ({percent: {"value": {"literal": "lots"}}}, f"attribute_values.{percent}.value.literal"),
        ({enabled: {"value": {"literal": "yes"}}}, f"attribute_values.{enabled}.value.literal"),
        ({services: {"value": {"literal": "search"}}}, f"attribute_values.{services}.value"),
        ({note: {"array_value": [{"literal": "a"}]}}, f"attribute_values.{note}.array_value"),
        (
            {services: {"array_value": [{"literal": "search"}, {"literal": "ghost"}]}},
            f"attribute_values.{services}.array_value[1].literal",
        ),
        ({note: {"value": {"literal": 3}}}, f"attribute_values.{note}.value.literal"),
    ]
    for values, field in cases:
        response = create(values)
        assert response.status_code == 422, values
        assert response.json()["errors"][0]["source"]["field"] == field
    good = {
        note: {"value": {"literal": "Rolled out slowly"}},
        percent: {"value": {"literal": "12.5"}},
        enabled: {"value": {"literal": "true"}},
        services: {"array_value": [{"literal": "search"}, {"literal": "checkout"}]},
    }
    response = create(good)
    assert response.status_code == 201
    created = response.json()["catalog_entry"]
    schema.validate("POST", "/v3/catalog_entries", 201, response.json())
    labels = [v["label"] for v in created["attribute_values"][services]["array_value"]]
    assert labels == ["search", "checkout-web"]  # an alias is kept as the literal, the name is the label
    assert created["attribute_values"][percent]["value"] == {"literal": "12.5", "label": "12.5"}


def test_a_reference_label_follows_a_rename(http: httpx2.Client) -> None:
    service = types_by_name(http)["Service"]
    search = entries(http, service["id"], identifier="search-api")["catalog_entries"]
    assert [e["name"] for e in search] == ["search"]
    renamed = call(
        http,
        "PUT",
        f"/v3/catalog_entries/{search[0]['id']}",
        200,
        json={"name": "search-v2", "attribute_values": {}, "update_attributes": []},
    )["catalog_entry"]
    assert renamed["aliases"] == ["search-api"]  # left out: kept
    assert attribute(service, "Tier")["id"] in renamed["attribute_values"]  # not named: kept
    pipeline = entries(http, service["id"], identifier="etl")["catalog_entries"][0]
    linked = pipeline["attribute_values"][attribute(service, "Depended on by")["id"]]["array_value"]
    assert "search-v2" in {v["label"] for v in linked}


def test_update_attributes_clears_a_named_attribute_left_out(http: httpx2.Client) -> None:
    service = types_by_name(http)["Service"]
    tier, owner = attribute(service, "Tier")["id"], attribute(service, "Owner")["id"]
    entry = entries(http, service["id"], identifier="notifications")["catalog_entries"][0]
    updated = call(
        http,
        "PUT",
        f"/v3/catalog_entries/{entry['id']}",
        200,
        json={"name": entry["name"], "attribute_values": {}, "update_attributes": [tier]},
    )["catalog_entry"]
    assert tier not in updated["attribute_values"] and owner in updated["attribute_values"]
    replaced = call(
        http,
        "PUT",
        f"/v3/catalog_entries/{entry['id']}",
        200,
        json={"name": entry["name"], "attribute_values": {tier: {"value": {"literal": "2"}}}},
    )["catalog_entry"]
    assert set(replaced["attribute_values"]) == {tier}  # without update_attributes: all replaced


def test_external_ids_are_unique_and_a_create_with_one_updates(http: httpx2.Client, widget: Body) -> None:
    payload = {"catalog_type_id": widget["id"], "name": "one", "attribute_values": {}, "external_id": "f-1"}
    first = call(http, "POST", "/v3/catalog_entries", 201, json=payload)["catalog_entry"]
    again = call(http, "POST", "/v3/catalog_entries", 201, json={**payload, "name": "one again", "rank": 4})[
        "catalog_entry"
    ]
    assert again["id"] == first["id"] and again["name"] == "one again" and again["rank"] == 4
    second = call(
        http, "POST", "/v3/catalog_entries", 201, json={**payload, "name": "two", "external_id": "f-2"}
    )["catalog_entry"]
    error = refused(
        http,
        "PUT",
        f"/v3/catalog_entries/{second['id']}",
        json={"name": "two", "attribute_values": {}, "external_id": "f-1"},
    )
    assert error["source"]["field"] == "external_id"
    assert entries(http, widget["id"])["pagination_meta"]["total_record_count"] == 2


def test_listing_pages_with_the_cursor_and_needs_the_type_and_page_size(http: httpx2.Client) -> None:
    service = types_by_name(http)["Service"]
    seen: list[str] = []
    after = None
    while True:
        params: Body = {"catalog_type_id": service["id"], "page_size": 3}
        if after:
            params["after"] = after
        page = call(http, "GET", "/v3/catalog_entries", 200, params=params)
        seen += [e["name"] for e in page["catalog_entries"]]
        assert page["pagination_meta"]["total_record_count"] == 7
        after = page["pagination_meta"].get("after")
        if not after:
            break
    assert seen == sorted(seen) and len(seen) == 7
    assert refused(http, "GET", "/v3/catalog_entries", params={"page_size": 5})["source"]["field"] == (
        "catalog_type_id"
    )
    missing_size = refused(http, "GET", "/v3/catalog_entries", params={"catalog_type_id": service["id"]})
    assert missing_size["source"]["field"] == "page_size"
    assert entries(http, service["id"], identifier="nothing")["catalog_entries"] == []


def test_bulk_update_is_all_or_nothing(http: httpx2.Client) -> None:
    service = types_by_name(http)["Service"]
    tier = attribute(service, "Tier")["id"]
    listed = entries(http, service["id"])["catalog_entries"]
    first, second = listed[0], listed[1]
    bad = {
        "catalog_type_id": service["id"],
        "update_attributes": [tier],
        "entries": [
            {"entry_id": first["id"], "attribute_values": {tier: {"value": {"literal": "4"}}}},
            {"entry_id": second["id"], "attribute_values": {tier: {"value": {"literal": "four"}}}},
        ],
    }
    error = refused(http, "POST", "/v3/catalog_entries/actions/bulk_update", json=bad)
    assert error["source"]["field"] == f"entries[1].attribute_values.{tier}.value.literal"
    assert entries(http, service["id"], identifier=first["id"])["catalog_entries"][0] == first
    bad["entries"][1]["attribute_values"] = {tier: {"value": {"literal": "5"}}}
    bad["entries"][1]["name"] = "renamed"
    call(http, "POST", "/v3/catalog_entries/actions/bulk_update", 204, json=bad)
    after = {e["id"]: e for e in entries(http, service["id"])["catalog_entries"]}
    assert after[first["id"]]["attribute_values"][tier]["value"]["literal"] == "4"
    assert after[second["id"]]["name"] == "renamed"
    # update_attributes kept every other attribute.
    assert set(after[first["id"]]["attribute_values"]) == set(first["attribute_values"])


def test_schema_updates_name_their_version_and_check_attributes(http: httpx2.Client, widget: Body) -> None:
    path = f"/v3/catalog_types/{widget['id']}/actions/update_schema"
    kept = [{k: a[k] for k in ("id", "name", "type", "array")} for a in widget["schema"]["attributes"]]
    stale = refused(http, "POST", path, json={"version": 0, "attributes": kept})
    assert stale["source"]["field"] == "version"
    for attributes, field in [
        ([{"name": "X", "type": "Colour", "array": False}], "attributes[0].type"),
        ([{"name": "X", "type": "String"}], "attributes[0].array"),
        ([{"id": "gone", "name": "X", "type": "String", "array": False}], "attributes[0].id"),
        ([*kept, {"name": "note", "type": "Text", "array": False}], "attributes[4].name"),
        ([{"name": "X", "type": "String", "array": False, "mode": "path"}], "attributes[0].mode"),
    ]:
        assert (
            refused(http, "POST", path, json={"version": 1, "attributes": attributes})["source"]["field"]
            == field
        )
    note = attribute(widget, "Note")["id"]
    created = call(
        http,
        "POST",
        "/v3/catalog_entries",
        201,
        json={
            "catalog_type_id": widget["id"],
            "name": "e",
            "attribute_values": {note: {"value": {"literal": "n"}}},
        },
    )["catalog_entry"]
    # Dropping Note drops its values; the entry survives.
    updated = call(http, "POST", path, 200, json={"version": 1, "attributes": kept[1:]})["catalog_type"]
    assert updated["schema"]["version"] == 2
    shown = call(http, "GET", f"/v3/catalog_entries/{created['id']}", 200)
    assert shown["catalog_entry"]["attribute_values"] == {} and shown["catalog_type"]["id"] == widget["id"]


def test_types_update_and_archive_with_their_entries(http: httpx2.Client, widget: Body) -> None:
    path = f"/v3/catalog_types/{widget['id']}"
    updated = call(
        http, "PUT", path, 200, json={"name": "Flag", "description": "Feature flags", "color": "green"}
    )["catalog_type"]
    assert (updated["name"], updated["color"], updated["type_name"]) == ("Flag", "green", widget["type_name"])
    assert (
        refused(http, "PUT", path, json={"name": "Flag", "description": "x", "icon": "unicorn"})["source"][
            "field"
        ]
        == "icon"
    )
    assert (
        refused(http, "POST", "/v3/catalog_types", json={"name": "Flag"})["source"]["field"] == "description"
    )
    dup = refused(http, "POST", "/v3/catalog_types", json={"name": "Feature flag", "description": ""})
    assert dup["source"]["field"] == "type_name"
    entry = call(
        http,
        "POST",
        "/v3/catalog_entries",
        201,
        json={"catalog_type_id": widget["id"], "name": "x", "attribute_values": {}},
    )["catalog_entry"]
    call(http, "DELETE", path, 204)
    assert "Flag" not in types_by_name(http)
    call(http, "GET", path, 404)
    call(http, "GET", f"/v3/catalog_entries/{entry['id']}", 404)


def test_deleting_an_entry_archives_it(http: httpx2.Client) -> None:
    service = types_by_name(http)["Service"]
    search = entries(http, service["id"], identifier="search")["catalog_entries"][0]
    call(http, "DELETE", f"/v3/catalog_entries/{search['id']}", 204)
    call(http, "GET", f"/v3/catalog_entries/{search['id']}", 404)
    assert entries(http, service["id"])["pagination_meta"]["total_record_count"] == 6


def test_resources_list_primitives_and_every_type(http: httpx2.Client, widget: Body) -> None:
    resources = call(http, "GET", "/v3/catalog_resources", 200)["resources"]
    by_type = {r["type"]: r for r in resources}
    assert {"String", "Text", "Number", "Bool"} <= set(by_type)
    assert by_type['Custom["FeatureFlag"]']["category"] == "custom"
    assert (
        by_type['Custom["Service"]']["engine_resource_type"]
        == types_by_name(http)["Service"]["engine_resource_type"]
    )


def test_a_viewer_key_reads_the_catalog_but_cannot_write_it(demo: Emulator) -> None:
    with httpx2.Client(
        base_url="https://api.incident.io",
        transport=demo.transport(),
        headers={"Authorization": "Bearer viewer-key"},
    ) as viewer:
        assert viewer.get("/v3/catalog_types").status_code == 200
        assert viewer.get("/v3/teams").status_code == 200
        response = viewer.post("/v3/catalog_types", json={"name": "X", "description": ""})
        assert response.status_code == 403


@pytest.mark.parametrize("seed", ["default", "demo"])
def test_seeded_catalog_records_match_the_schema(seed: str) -> None:
    state = Emulator(seed=seed).state
    assert state.catalog_types and state.catalog_entries and state.teams
    schema.validate("GET", "/v3/catalog_types", 200, {"catalog_types": state.catalog_types})
    schema.validate("GET", "/v3/teams", 200, {"teams": state.teams, "pagination_meta": {"page_size": 25}})
    for catalog_type in state.catalog_types:
        mine = [e for e in state.catalog_entries if e["catalog_type_id"] == catalog_type["id"]]
        body = {"catalog_entries": mine, "catalog_type": catalog_type, "pagination_meta": {"page_size": 25}}
        schema.validate("GET", "/v3/catalog_entries", 200, body)
    assert not Emulator(seed="empty").state.catalog_types
