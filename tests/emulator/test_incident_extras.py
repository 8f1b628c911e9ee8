"""The emulator's incident extras: timestamps, channel names, retrospective imports, roles on edit,
custom field options, memberships, attachments, post-mortems, relationships and role settings."""

from __future__ import annotations

from typing import Any

import httpx2
import jsonschema
import pytest

from incidentkit.emulator import Emulator
from incidentkit.webhooks.events import event_types
from tests.emulator.schema import _FORMATS, _components, validate
from tests.emulator.test_emulator_api import declare, error_of

Events = list[tuple[str, dict[str, Any]]]


def ok(response: httpx2.Response, status: int = 200) -> Any:
    """The body of a successful response, checked against the schema."""
    assert response.status_code == status, response.text
    body = response.json() if response.content else None
    validate(response.request.method, response.request.url.path, status, body)
    return body


def refused(response: httpx2.Response, field: str | None, status: int = 422) -> str:
    """The message of a refusal that names ``field`` (``None``: no field), checked against the schema."""
    assert response.status_code == status, response.text
    validate(response.request.method, response.request.url.path, status, response.json())
    error = error_of(response)
    if field is None:
        assert "source" not in error, error
    else:
        assert error["source"] == {"field": field, "pointer": "/" + field.replace(".", "/")}, error
    return str(error["message"])


def events_of(demo: Emulator) -> Events:
    """Every webhook the emulator emits from now on, each checked against its x-webhooks schema."""
    seen: Events = []

    def keep(kind: str, envelope: dict[str, Any]) -> None:
        components = _components()
        root = {**components["schemas"][event_types()[kind].schema], "components": components}
        errors = list(jsonschema.Draft7Validator(root, format_checker=_FORMATS).iter_errors(envelope))
        assert not errors, [e.message for e in errors[:3]]
        seen.append((kind, envelope[kind]))

    demo.subscribe(keep)
    return seen


def timestamp_id(http: httpx2.Client, name: str) -> str:
    found = ok(http.get("/v2/incident_timestamps"))["incident_timestamps"]
    return str(next(t["id"] for t in found if t["name"] == name))


def value_of(incident: dict[str, Any], name: str) -> str | None:
    entry = next(e for e in incident["incident_timestamp_values"] if e["incident_timestamp"]["name"] == name)
    return entry.get("value", {}).get("value")


def edit(http: httpx2.Client, incident_id: str, **changes: Any) -> httpx2.Response:
    return http.post(
        f"/v2/incidents/{incident_id}/actions/edit",
        json={"incident": changes, "notify_incident_channel": False},
    )


def private_incident(http: httpx2.Client, key: str = "private-1") -> dict[str, Any]:
    incident: dict[str, Any] = ok(declare(http, key, visibility="private"))["incident"]
    return incident


# Incident timestamps


def test_timestamps_are_listed_in_rank_order_and_shown_by_id(http: httpx2.Client) -> None:
    found = ok(http.get("/v2/incident_timestamps"))["incident_timestamps"]
    assert [t["rank"] for t in found] == sorted(t["rank"] for t in found)
    assert found[0]["name"] == "Reported at"
    assert ok(http.get(f"/v2/incident_timestamps/{found[1]['id']}"))["incident_timestamp"] == found[1]
    assert http.get("/v2/incident_timestamps/01HZZZZZZZZZZZZZZZZZZZZZZZ").status_code == 404


def test_timestamp_values_are_applied_on_create_and_edit(http: httpx2.Client) -> None:
    impact, fixed = timestamp_id(http, "Impact started at"), timestamp_id(http, "Fixed at")
    incident = ok(
        declare(
            http,
            incident_timestamp_values=[
                {"incident_timestamp_id": impact, "value": "2026-02-28T23:10:00+01:00"}
            ],
        )
    )["incident"]
    assert value_of(incident, "Impact started at") == "2026-02-28T22:10:00.000000Z"
    assert value_of(incident, "Fixed at") is None
    assert value_of(incident, "Reported at") == incident["created_at"]

    edited = ok(
        edit(
            http,
            incident["id"],
            incident_timestamp_values=[
                {"incident_timestamp_id": fixed, "value": "2026-03-01T11:00:00Z"},
                {"incident_timestamp_id": impact},  # no value: clears it
            ],
        )
    )["incident"]
    assert value_of(edited, "Fixed at") == "2026-03-01T11:00:00.000000Z"
    assert value_of(edited, "Impact started at") is None
    shown = ok(http.get(f"/v2/incidents/{incident['id']}"))["incident"]
    assert shown["incident_timestamp_values"] == edited["incident_timestamp_values"]


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"incident_timestamp_id": "nope", "value": "2026-03-01T11:00:00Z"}, "incident_timestamp_id"),
        ({"value": "2026-03-01T11:00:00Z"}, "incident_timestamp_id"),
        ({"incident_timestamp_id": "IMPACT", "value": "yesterday"}, "value"),
    ],
)
def test_a_bad_timestamp_value_is_422_naming_it(
    http: httpx2.Client, entry: dict[str, str], field: str
) -> None:
    if entry.get("incident_timestamp_id") == "IMPACT":
        entry = {**entry, "incident_timestamp_id": timestamp_id(http, "Impact started at")}
    message = refused(
        declare(http, "bad-ts", incident_timestamp_values=[entry]), f"incident_timestamp_values[0].{field}"
    )
    assert message
    incident = ok(declare(http, "good"))["incident"]
    refused(
        edit(http, incident["id"], incident_timestamp_values=[entry]),
        f"incident.incident_timestamp_values[0].{field}",
    )


# Slack channel names and retrospective incidents


def test_the_channel_name_override_names_the_channel(http: httpx2.Client) -> None:
    incident = ok(declare(http, slack_channel_name_override="inc-db-down"))["incident"]
    assert incident["slack_channel_name"] == "inc-db-down"
    assert (
        ok(edit(http, incident["id"], slack_channel_name_override="inc-db-fixed"))["incident"][
            "slack_channel_name"
        ]
        == "inc-db-fixed"
    )
    assert "lower case" in refused(
        declare(http, "bad-name", slack_channel_name_override="Has Spaces"), "slack_channel_name_override"
    )
    refused(
        edit(http, incident["id"], slack_channel_name_override="x" * 81),
        "incident.slack_channel_name_override",
    )


def test_a_retrospective_import_takes_its_reference_document_and_channel(http: httpx2.Client) -> None:
    options = {
        "external_id": 900,
        "postmortem_document_url": "https://docs.example.com/pm-900",
        "slack_channel_id": "C0IMPORTED",
    }
    incident = ok(declare(http, mode="retrospective", retrospective_incident_options=options))["incident"]
    assert incident["reference"] == "INC-900" and incident["permalink"].endswith("/incidents/900")
    assert incident["incident_status"]["category"] == "closed"
    assert incident["slack_channel_id"] == "C0IMPORTED" and "slack_channel_name" not in incident
    assert incident["postmortem_document_url"] == "https://docs.example.com/pm-900"
    [document] = ok(http.get("/v1/postmortem_documents", params={"incident_id": incident["id"]}))[
        "postmortem_documents"
    ]
    assert document["type"] == "external" and document["id"] in incident["postmortem_document_ids"]
    assert ok(http.get("/v2/incidents/900"))["incident"]["id"] == incident["id"]
    assert ok(declare(http, "next"))["incident"]["reference"] == "INC-901"  # numbered after the import

    bare = ok(declare(http, "bare", mode="retrospective"))["incident"]
    assert bare["slack_channel_id"] == "" and "slack_channel_url" not in bare

    refused(
        declare(http, "taken", mode="retrospective", retrospective_incident_options={"external_id": 900}),
        "retrospective_incident_options.external_id",
    )
    assert "retrospective" in refused(
        declare(http, "not-retro", retrospective_incident_options={"external_id": 901}),
        "retrospective_incident_options",
    )


# Incident roles on edit


def test_the_lead_is_assigned_by_email_or_slack_id_and_unassigned(
    http: httpx2.Client, demo: Emulator
) -> None:
    events = events_of(demo)
    lead = next(r for r in demo.state.incident_roles if r["role_type"] == "lead")
    priya = next(u for u in demo.state.users if u["name"] == "Priya Shah")
    incident = ok(declare(http))["incident"]

    def lead_of(shown: dict[str, Any]) -> Any:
        entry = next(a for a in shown["incident_role_assignments"] if a["role"]["id"] == lead["id"])
        return entry.get("assignee", {}).get("name")

    by_email = ok(
        edit(
            http,
            incident["id"],
            incident_role_assignments=[
                {"incident_role_id": lead["id"], "assignee": {"email": "PRIYA@example.com"}}
            ],
        )
    )["incident"]
    assert lead_of(by_email) == "Priya Shah"
    by_slack = ok(
        edit(
            http,
            incident["id"],
            incident_role_assignments=[
                {"incident_role_id": lead["id"], "assignee": {"slack_user_id": "U062HDG5TGA"}}
            ],
        )
    )["incident"]
    assert lead_of(by_slack) == "Tomás García"
    unassigned = ok(edit(http, incident["id"], incident_role_assignments=[{"incident_role_id": lead["id"]}]))[
        "incident"
    ]
    assert lead_of(unassigned) is None
    assert [kind for kind, _ in events].count("public_incident.incident_updated_v2") == 3
    assert lead_of(events[-1][1]) is None  # the webhook carries the incident as it now is

    field = "incident.incident_role_assignments[0].assignee"
    assert "two different users" in refused(
        edit(
            http,
            incident["id"],
            incident_role_assignments=[
                {"incident_role_id": lead["id"], "assignee": {"id": priya["id"], "email": "mei@example.com"}}
            ],
        ),
        field,
    )
    refused(
        edit(
            http,
            incident["id"],
            incident_role_assignments=[
                {"incident_role_id": lead["id"], "assignee": {"email": "nobody@example.com"}}
            ],
        ),
        field + ".email",
    )
    reporter = next(r for r in demo.state.incident_roles if r["role_type"] == "reporter")
    assert "creating" in refused(
        edit(
            http,
            incident["id"],
            incident_role_assignments=[{"incident_role_id": reporter["id"], "assignee": {"id": priya["id"]}}],
        ),
        "incident.incident_role_assignments[0].incident_role_id",
    )


# Incident roles


def test_roles_are_created_updated_and_deleted(http: httpx2.Client, demo: Emulator) -> None:
    body = {"name": "Scribe", "shortform": "scribe", "description": "Keeps notes.", "instructions": "Write."}
    role = ok(http.post("/v2/incident_roles", json=body), 201)["incident_role"]
    assert role["role_type"] == "custom"
    refused(http.post("/v2/incident_roles", json=body), "name")
    refused(http.post("/v2/incident_roles", json={**body, "name": "Other", "description": ""}), "description")
    incident = ok(
        declare(
            http,
            incident_role_assignments=[
                {"incident_role_id": role["id"], "assignee": {"email": "mei@example.com"}}
            ],
        )
    )["incident"]

    renamed = ok(http.put(f"/v2/incident_roles/{role['id']}", json={**body, "name": "Note taker"}))[
        "incident_role"
    ]
    assert renamed["name"] == "Note taker"
    shown = ok(http.get(f"/v2/incidents/{incident['id']}"))["incident"]
    assert "Note taker" in [a["role"]["name"] for a in shown["incident_role_assignments"]]

    assert ok(http.delete(f"/v2/incident_roles/{role['id']}"), 204) is None
    assert http.get(f"/v2/incident_roles/{role['id']}").status_code == 404
    shown = ok(http.get(f"/v2/incidents/{incident['id']}"))["incident"]
    assert role["id"] not in [a["role"]["id"] for a in shown["incident_role_assignments"]]
    lead = next(r for r in demo.state.incident_roles if r["role_type"] == "lead")
    refused(http.delete(f"/v2/incident_roles/{lead['id']}"), "id")


# Custom field options


def test_custom_field_options_crud_filter_and_pages(http: httpx2.Client, demo: Emulator) -> None:
    service = next(f for f in demo.state.custom_fields if f["name"] == "Affected service")
    listed = ok(
        http.get("/v1/custom_field_options", params={"custom_field_id": service["id"], "page_size": 3})
    )
    assert len(listed["custom_field_options"]) == 3
    rest = ok(
        http.get(
            "/v1/custom_field_options",
            params={
                "custom_field_id": service["id"],
                "page_size": 250,
                "after": listed["pagination_meta"]["after"],
            },
        )
    )
    values = [o["value"] for o in listed["custom_field_options"] + rest["custom_field_options"]]
    assert "after" not in rest["pagination_meta"] and values[0] == "api-gateway" and len(values) == 7

    created = ok(
        http.post("/v1/custom_field_options", json={"custom_field_id": service["id"], "value": "billing"}),
        201,
    )["custom_field_option"]
    assert created["sort_key"] == 1000  # the default: near the end
    first = ok(
        http.post(
            "/v1/custom_field_options",
            json={"custom_field_id": service["id"], "value": "edge", "sort_key": -1},
        ),
        201,
    )
    everything = ok(http.get("/v1/custom_field_options", params={"custom_field_id": service["id"]}))
    ordered = [o["value"] for o in everything["custom_field_options"]]
    assert ordered[0] == "edge" and ordered[-1] == "billing"
    assert first["custom_field_option"]["id"] in [o["id"] for o in everything["custom_field_options"]]

    incident = ok(
        declare(
            http,
            custom_field_entries=[
                {"custom_field_id": service["id"], "values": [{"value_option_id": created["id"]}]}
            ],
        )
    )["incident"]
    updated = ok(
        http.put(f"/v1/custom_field_options/{created['id']}", json={"value": "invoicing", "sort_key": 5})
    )
    assert updated["custom_field_option"]["value"] == "invoicing"
    assert ok(http.get(f"/v1/custom_field_options/{created['id']}"))["custom_field_option"]["sort_key"] == 5
    entry = next(
        e
        for e in ok(http.get(f"/v2/incidents/{incident['id']}"))["incident"]["custom_field_entries"]
        if e["custom_field"]["id"] == service["id"]
    )
    assert entry["values"] == [{"value_option": updated["custom_field_option"]}]
    assert "invoicing" in [o["value"] for o in entry["custom_field"]["options"]]

    assert ok(http.delete(f"/v1/custom_field_options/{created['id']}"), 204) is None
    assert http.get(f"/v1/custom_field_options/{created['id']}").status_code == 404
    entry = next(
        e
        for e in ok(http.get(f"/v2/incidents/{incident['id']}"))["incident"]["custom_field_entries"]
        if e["custom_field"]["id"] == service["id"]
    )
    assert entry["values"] == []


def test_bad_custom_field_options_are_refused_naming_the_field(http: httpx2.Client, demo: Emulator) -> None:
    service = next(f for f in demo.state.custom_fields if f["name"] == "Affected service")
    refused(http.get("/v1/custom_field_options"), "custom_field_id")
    refused(http.get("/v1/custom_field_options", params={"custom_field_id": "nope"}), "custom_field_id")
    refused(http.post("/v1/custom_field_options", json={"value": "x"}), "custom_field_id")
    refused(http.post("/v1/custom_field_options", json={"custom_field_id": service["id"]}), "value")
    refused(
        http.post("/v1/custom_field_options", json={"custom_field_id": service["id"], "value": " padded"}),
        "value",
    )
    refused(
        http.post("/v1/custom_field_options", json={"custom_field_id": service["id"], "value": "Search"}),
        "value",
    )  # already an option, in another case
    option = demo.state.custom_field_options[service["id"]][0]
    refused(http.put(f"/v1/custom_field_options/{option['id']}", json={"value": "renamed"}), "sort_key")
    text_field = next(
        (f for f in demo.state.custom_fields if f["field_type"] not in ("single_select", "multi_select")),
        None,
    )
    if text_field is not None:
        refused(
            http.post("/v1/custom_field_options", json={"custom_field_id": text_field["id"], "value": "x"}),
            "custom_field_id",
        )


# Memberships of private incidents


def test_memberships_of_private_incidents_are_granted_and_revoked(
    http: httpx2.Client, demo: Emulator
) -> None:
    events = events_of(demo)
    incident = private_incident(http)
    mei = next(u for u in demo.state.users if u["name"] == "Mei Lin")
    body = {"incident_id": incident["id"], "user_id": mei["id"]}
    membership = ok(http.post("/v1/incident_memberships", json=body), 201)["incident_membership"]
    assert membership["user"]["email"] == "mei@example.com" and membership["incident_id"] == incident["id"]
    again = ok(http.post("/v1/incident_memberships", json=body), 201)["incident_membership"]
    assert again["id"] == membership["id"]  # granted once
    assert ok(http.post("/v1/incident_memberships/actions/revoke", json=body), 204) is None
    refused(http.post("/v1/incident_memberships/actions/revoke", json=body), "user_id")
    membership_events = [(kind, payload) for kind, payload in events if "membership" in kind]
    assert membership_events == [
        ("private_incident.membership_granted_v1", {"incident_id": incident["id"], "user_id": mei["id"]}),
        ("private_incident.membership_revoked_v1", {"incident_id": incident["id"], "user_id": mei["id"]}),
    ]

    public = ok(declare(http, "public-1"))["incident"]
    assert "private" in refused(
        http.post("/v1/incident_memberships", json={"incident_id": public["id"], "user_id": mei["id"]}),
        "incident_id",
    )
    refused(
        http.post("/v1/incident_memberships", json={"incident_id": incident["id"], "user_id": "nope"}),
        "user_id",
    )


# Attachments


def test_attachments_are_attached_listed_and_removed(http: httpx2.Client) -> None:
    incident = ok(declare(http))["incident"]

    def attach(**resource: str) -> Any:
        return http.post(
            "/v1/incident_attachments", json={"incident_id": incident["id"], "resource": resource}
        )

    pager = ok(attach(resource_type="pager_duty_incident", external_id="Q1ABC"), 201)["incident_attachment"]
    assert pager["resource"]["permalink"] == "https://app.pagerduty.com/incidents/Q1ABC"
    pull = ok(attach(resource_type="github_pull_request", url="https://github.com/acme/api/pull/42"), 201)
    assert pull["incident_attachment"]["resource"]["external_id"] == "42"
    link = ok(attach(resource_type="arbitrary_url", url="https://status.example.com", title="Status"), 201)
    assert link["incident_attachment"]["resource"]["title"] == "Status"

    listed = ok(http.get("/v1/incident_attachments", params={"incident_id": incident["id"]}))
    assert [a["id"] for a in listed["incident_attachments"]] == [
        pager["id"],
        pull["incident_attachment"]["id"],
        link["incident_attachment"]["id"],
    ]
    by_resource = ok(
        http.get(
            "/v1/incident_attachments",
            params={"resource_type": "pager_duty_incident", "external_id": "Q1ABC"},
        )
    )
    assert [a["id"] for a in by_resource["incident_attachments"]] == [pager["id"]]

    refused(attach(resource_type="pager_duty_incident", external_id="Q1ABC"), "resource")  # already attached
    refused(
        attach(resource_type="pager_duty_incident", external_id="X", url="https://example.com/x"), "resource"
    )
    refused(attach(resource_type="jira_issue", external_id="OPS-1"), "resource.url")
    refused(attach(resource_type="sentry_issue", external_id="1", title="t"), "resource.title")
    refused(attach(resource_type="fax"), "resource.resource_type")
    refused(http.get("/v1/incident_attachments", params={"external_id": "Q1ABC"}), "incident_id")

    assert ok(http.delete(f"/v1/incident_attachments/{pager['id']}"), 204) is None
    assert http.delete(f"/v1/incident_attachments/{pager['id']}").status_code == 404
    listed = ok(http.get("/v1/incident_attachments", params={"incident_id": incident["id"]}))
    assert pager["id"] not in [a["id"] for a in listed["incident_attachments"]]


# Post-mortem documents


def test_an_external_post_mortem_is_attached_and_re_pointed(http: httpx2.Client, demo: Emulator) -> None:
    events = events_of(demo)
    incident = ok(declare(http))["incident"]
    body = {
        "incident_id": incident["id"],
        "permalink": "https://notion.so/pm-1",
        "document_provider": "notion",
    }
    document = ok(http.post("/v1/postmortem_documents/actions/attach", json=body), 201)["postmortem_document"]
    assert (document["type"], document["status"], document["document_url"]) == (
        "external",
        "in_progress",
        "https://notion.so/pm-1",
    )
    again = ok(
        http.post(
            "/v1/postmortem_documents/actions/attach", json={**body, "permalink": "https://notion.so/pm-2"}
        ),
        201,
    )["postmortem_document"]
    assert again["id"] == document["id"] and again["document_url"] == "https://notion.so/pm-2"
    shown = ok(http.get(f"/v2/incidents/{incident['id']}"))["incident"]
    assert shown["postmortem_document_url"] == "https://notion.so/pm-2"
    assert shown["postmortem_document_ids"] == [document["id"]]
    assert "outside incident.io" in refused(
        http.get(f"/v1/postmortem_documents/{document['id']}/content"), None
    )

    reviewed = ok(http.put(f"/v1/postmortem_documents/{document['id']}", json={"status": "in_review"}))
    assert reviewed["postmortem_document"]["status"] == "in_review"
    ok(http.put(f"/v1/postmortem_documents/{document['id']}", json={"status": "in_review"}))  # no change
    [(kind, change)] = [(k, p) for k, p in events if "postmortem" in k]
    assert kind == "public_incident.postmortem_document_status_updated_v1"
    assert (change["previous_status"], change["new_status"]) == ("created", "review")
    refused(http.put(f"/v1/postmortem_documents/{document['id']}", json={"status": "done"}), "status")
    refused(
        http.post("/v1/postmortem_documents/actions/attach", json={**body, "permalink": "notion"}),
        "permalink",
    )
    refused(
        http.post("/v1/postmortem_documents/actions/attach", json={**body, "document_provider": "word"}),
        "document_provider",
    )


def test_an_imported_post_mortem_keeps_its_markdown(http: httpx2.Client) -> None:
    incident = ok(declare(http))["incident"]
    imported = ok(
        http.post(
            f"/v2/incidents/{incident['id']}/actions/import_postmortem_document",
            json={"title": "What happened", "content": "# Summary\n\nThe disk filled."},
        ),
        201,
    )
    document = imported["postmortem_document"]
    assert document["type"] == "in_app" and document["title"] == "What happened"
    assert document["document_url"].endswith(f"/post-mortems/{document['id']}")
    content = ok(http.get(f"/v1/postmortem_documents/{document['id']}/content"))
    assert content == {"markdown": "# Summary\n\nThe disk filled."}
    assert ok(http.get(f"/v1/postmortem_documents/{document['id']}"))["postmortem_document"] == document
    assert "in-app" in refused(
        http.post(
            "/v1/postmortem_documents/actions/attach",
            json={"incident_id": incident["id"], "permalink": "https://docs.example.com/x"},
        ),
        "incident_id",
    )
    refused(
        http.post(f"/v2/incidents/{incident['id']}/actions/import_postmortem_document", json={"title": "t"}),
        "content",
    )


def test_post_mortems_list_by_incident_in_either_order(http: httpx2.Client) -> None:
    made = []
    for key in ("pm-a", "pm-b", "pm-c"):
        incident = ok(declare(http, key))["incident"]
        made.append(
            ok(
                http.post(
                    "/v1/postmortem_documents/actions/attach",
                    json={"incident_id": incident["id"], "permalink": f"https://docs.example.com/{key}"},
                ),
                201,
            )["postmortem_document"]["id"]
        )
    newest = ok(http.get("/v1/postmortem_documents", params={"page_size": 2}))
    assert [d["id"] for d in newest["postmortem_documents"]] == made[::-1][:2]
    oldest = ok(http.get("/v1/postmortem_documents", params={"sort_by": "created_at_oldest_first"}))
    assert [d["id"] for d in oldest["postmortem_documents"]][-3:] == made
    assert http.get("/v1/postmortem_documents/01HZZZZZZZZZZZZZZZZZZZZZZZ").status_code == 404


def test_a_private_incident_s_post_mortem_event_carries_only_its_id(
    http: httpx2.Client, demo: Emulator
) -> None:
    events = events_of(demo)
    incident = private_incident(http, "private-pm")
    document = ok(
        http.post(
            "/v1/postmortem_documents/actions/attach",
            json={"incident_id": incident["id"], "permalink": "https://docs.example.com/secret"},
        ),
        201,
    )["postmortem_document"]
    ok(http.put(f"/v1/postmortem_documents/{document['id']}", json={"status": "completed"}))
    assert events[-1] == ("private_incident.postmortem_document_status_updated_v1", {"id": document["id"]})


# Relationships


def test_related_incidents_are_listed_from_either_side(http: httpx2.Client, demo: Emulator) -> None:
    assert demo.state.incident_relationships  # the demo relates incidents of the same service
    first, second = ok(declare(http, "rel-1"))["incident"], ok(declare(http, "rel-2"))["incident"]
    related = http.post(
        "/_emulator/incident_relationships",
        json={"incident_id": first["id"], "related_incident_id": second["reference"]},
    )
    assert related.status_code == 201
    listed = ok(http.get("/v1/incident_relationships", params={"incident_id": first["id"]}))
    [relationship] = listed["incident_relationships"]
    assert relationship["incident"] == {
        "id": second["id"],
        "name": second["name"],
        "external_id": int(second["reference"][4:]),
    }
    other_side = ok(http.get("/v1/incident_relationships", params={"incident_id": second["id"]}))
    assert [r["incident"]["id"] for r in other_side["incident_relationships"]] == [first["id"]]
    assert other_side["incident_relationships"][0]["id"] == relationship["id"]
    refused(http.get("/v1/incident_relationships"), "incident_id")
    refused(http.get("/v1/incident_relationships", params={"incident_id": "nope"}), "incident_id")
    same = http.post(
        "/_emulator/incident_relationships",
        json={"incident_id": first["id"], "related_incident_id": first["id"]},
    )
    assert same.status_code == 422
