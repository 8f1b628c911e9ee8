"""The official SDK against the served emulator, for the incident extras: timestamps, custom field
options, roles, memberships, attachments, post-mortems, relationships, and create/edit's new fields."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from incident_io import AuthenticatedClient
from incident_io.api.custom_field_options_v1 import (
    custom_field_options_v1_create,
    custom_field_options_v1_delete,
    custom_field_options_v1_list,
    custom_field_options_v1_show,
    custom_field_options_v1_update,
)
from incident_io.api.custom_fields_v2 import custom_fields_v2_list
from incident_io.api.incident_attachments_v1 import (
    incident_attachments_v1_create,
    incident_attachments_v1_delete,
    incident_attachments_v1_list,
)
from incident_io.api.incident_memberships_v1 import (
    incident_memberships_v1_create,
    incident_memberships_v1_revoke,
)
from incident_io.api.incident_relationships_v1 import incident_relationships_v1_list
from incident_io.api.incident_roles_v2 import (
    incident_roles_v2_create,
    incident_roles_v2_delete,
    incident_roles_v2_list,
    incident_roles_v2_update,
)
from incident_io.api.incident_timestamps_v2 import incident_timestamps_v2_list, incident_timestamps_v2_show
from incident_io.api.incidents_v2 import (
    incidents_v2_create,
    incidents_v2_edit,
    incidents_v2_import_postmortem_document,
    incidents_v2_list,
)
from incident_io.api.postmortem_documents_v1 import (
    postmortem_documents_v1_attach,
    postmortem_documents_v1_list,
    postmortem_documents_v1_show,
    postmortem_documents_v1_show_content,
    postmortem_documents_v1_update_status,
)
from incident_io.api.severities_v1 import severities_v1_list
from incident_io.api.users_v2 import users_v2_list
from incident_io.models import (
    CustomFieldOptionsCreatePayloadV1,
    CustomFieldOptionsUpdatePayloadV1,
    IncidentAttachmentsCreatePayloadV1,
    IncidentMembershipsCreatePayloadV1,
    IncidentMembershipsRevokePayloadV1,
    IncidentRolesCreatePayloadV2,
    IncidentRolesUpdatePayloadV2,
    IncidentsCreatePayloadV2,
    IncidentsEditPayloadV2,
    IncidentsImportPostmortemDocumentPayloadV2,
    PostmortemDocumentsAttachPayloadV1,
    PostmortemDocumentsUpdateStatusPayloadV1,
)

from incidentkit.emulator import Emulator, RunningServer, serve_in_thread
from tests.emulator.test_official_sdk import KEY, ok


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    emulator = Emulator(seed="demo", api_keys=[KEY], rate_limit=None, random_seed=11)
    with serve_in_thread(emulator.asgi_app()) as running:
        yield running


@pytest.fixture
def sdk(server: RunningServer) -> Iterator[AuthenticatedClient]:
    with AuthenticatedClient(base_url=server.url, token=KEY, raise_on_unexpected_status=True) as client:
        yield client


def declare(sdk: AuthenticatedClient, key: str, **fields: Any) -> Any:
    severity = ok(severities_v1_list.sync(client=sdk)).severities[-1].id
    body = {
        "idempotency_key": key,
        "visibility": "public",
        "name": "SDK extras",
        "severity_id": severity,
        **fields,
    }
    return ok(incidents_v2_create.sync(client=sdk, body=IncidentsCreatePayloadV2.from_dict(body))).incident


def test_timestamps_and_the_create_and_edit_fields(sdk: AuthenticatedClient) -> None:
    timestamps = ok(incident_timestamps_v2_list.sync(client=sdk)).incident_timestamps
    impact = next(t for t in timestamps if t.name == "Impact started at")
    assert ok(incident_timestamps_v2_show.sync(impact.id, client=sdk)).incident_timestamp.rank == impact.rank
    lead = next(
        r for r in ok(incident_roles_v2_list.sync(client=sdk)).incident_roles if r.role_type.value == "lead"
    )
    created = declare(
        sdk,
        "sdk-extras-1",
        incident_timestamp_values=[{"incident_timestamp_id": impact.id, "value": "2026-03-01T08:00:00Z"}],
        slack_channel_name_override="inc-sdk-extras",
    )
    assert created.slack_channel_name == "inc-sdk-extras"
    [value] = [v for v in created.incident_timestamp_values if v.incident_timestamp.id == impact.id]
    assert value.value.value.isoformat().startswith("2026-03-01T08:00:00")
    edited = ok(
        incidents_v2_edit.sync(
            created.id,
            client=sdk,
            body=IncidentsEditPayloadV2.from_dict(
                {
                    "incident": {
                        "incident_role_assignments": [
                            {"incident_role_id": lead.id, "assignee": {"email": "mei@example.com"}}
                        ]
                    },
                    "notify_incident_channel": False,
                }
            ),
        )
    ).incident
    [assignment] = [a for a in edited.incident_role_assignments if a.role.id == lead.id]
    assert assignment.assignee.name == "Mei Lin"

    retro = declare(
        sdk,
        "sdk-extras-retro",
        mode="retrospective",
        retrospective_incident_options={
            "external_id": 4242,
            "postmortem_document_url": "https://docs.example.com/r",
        },
    )
    assert retro.reference == "INC-4242" and retro.postmortem_document_url == "https://docs.example.com/r"


def test_custom_field_options_and_roles(sdk: AuthenticatedClient) -> None:
    service = next(
        f for f in ok(custom_fields_v2_list.sync(client=sdk)).custom_fields if f.name == "Affected service"
    )
    page = ok(custom_field_options_v1_list.sync(client=sdk, custom_field_id=service.id, page_size=2))
    assert (
        len(page.custom_field_options) == 2 and page.pagination_meta.after == page.custom_field_options[-1].id
    )
    created = ok(
        custom_field_options_v1_create.sync(
            client=sdk,
            body=CustomFieldOptionsCreatePayloadV1.from_dict(
                {"custom_field_id": service.id, "value": "sdk-svc"}
            ),
        )
    ).custom_field_option
    assert created.sort_key == 1000
    updated = ok(
        custom_field_options_v1_update.sync(
            created.id,
            client=sdk,
            body=CustomFieldOptionsUpdatePayloadV1.from_dict({"value": "sdk", "sort_key": 1}),
        )
    ).custom_field_option
    assert (
        ok(custom_field_options_v1_show.sync(created.id, client=sdk)).custom_field_option.value
        == updated.value
    )
    assert custom_field_options_v1_delete.sync_detailed(created.id, client=sdk).status_code == 204

    role = ok(
        incident_roles_v2_create.sync(
            client=sdk,
            body=IncidentRolesCreatePayloadV2.from_dict(
                {
                    "name": "SDK scribe",
                    "shortform": "sdkscribe",
                    "description": "Notes.",
                    "instructions": "Write.",
                }
            ),
        )
    ).incident_role
    renamed = ok(
        incident_roles_v2_update.sync(
            role.id,
            client=sdk,
            body=IncidentRolesUpdatePayloadV2.from_dict(
                {
                    "name": "SDK notes",
                    "shortform": "sdkscribe",
                    "description": "Notes.",
                    "instructions": "Write.",
                }
            ),
        )
    ).incident_role
    assert renamed.name == "SDK notes"
    assert incident_roles_v2_delete.sync_detailed(role.id, client=sdk).status_code == 204


def test_memberships_attachments_post_mortems_and_relationships(sdk: AuthenticatedClient) -> None:
    private = declare(sdk, "sdk-extras-private", visibility="private")
    user = ok(users_v2_list.sync(client=sdk, email="sam@example.com")).users[0]
    membership_body = {"incident_id": private.id, "user_id": user.id}
    membership = ok(
        incident_memberships_v1_create.sync(
            client=sdk, body=IncidentMembershipsCreatePayloadV1.from_dict(membership_body)
        )
    ).incident_membership
    assert membership.user.id == user.id
    revoked = incident_memberships_v1_revoke.sync_detailed(
        client=sdk, body=IncidentMembershipsRevokePayloadV1.from_dict(membership_body)
    )
    assert revoked.status_code == 204

    attachment = ok(
        incident_attachments_v1_create.sync(
            client=sdk,
            body=IncidentAttachmentsCreatePayloadV1.from_dict(
                {
                    "incident_id": private.id,
                    "resource": {"resource_type": "sentry_issue", "external_id": "77"},
                }
            ),
        )
    ).incident_attachment
    listed = ok(incident_attachments_v1_list.sync(client=sdk, incident_id=private.id)).incident_attachments
    assert [a.id for a in listed] == [attachment.id] and attachment.resource.permalink.endswith("/77/")
    assert incident_attachments_v1_delete.sync_detailed(attachment.id, client=sdk).status_code == 204

    external = ok(
        postmortem_documents_v1_attach.sync(
            client=sdk,
            body=PostmortemDocumentsAttachPayloadV1.from_dict(
                {
                    "incident_id": private.id,
                    "permalink": "https://docs.example.com/sdk",
                    "document_provider": "notion",
                }
            ),
        )
    ).postmortem_document
    reviewed = ok(
        postmortem_documents_v1_update_status.sync(
            external.id,
            client=sdk,
            body=PostmortemDocumentsUpdateStatusPayloadV1.from_dict({"status": "in_review"}),
        )
    ).postmortem_document
    assert reviewed.status.value == "in_review"
    public = declare(sdk, "sdk-extras-pm")
    imported = ok(
        incidents_v2_import_postmortem_document.sync(
            public.id,
            client=sdk,
            body=IncidentsImportPostmortemDocumentPayloadV2.from_dict({"title": "SDK", "content": "# SDK"}),
        )
    ).postmortem_document
    assert (
        ok(postmortem_documents_v1_show.sync(imported.id, client=sdk)).postmortem_document.type_.value
        == "in_app"
    )
    assert ok(postmortem_documents_v1_show_content.sync(imported.id, client=sdk)).markdown == "# SDK"
    documents = ok(postmortem_documents_v1_list.sync(client=sdk, page_size=250)).postmortem_documents
    assert {external.id, imported.id} <= {d.id for d in documents}

    incidents = ok(incidents_v2_list.sync(client=sdk, page_size=100)).incidents
    related = [
        ok(incident_relationships_v1_list.sync(client=sdk, incident_id=i.id)).incident_relationships
        for i in incidents
    ]
    assert any(related) and all(
        r.incident.id != i.id for i, rs in zip(incidents, related, strict=True) for r in rs
    )
