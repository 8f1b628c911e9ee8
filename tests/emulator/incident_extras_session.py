"""The incident extras' part of the conformance session: every operation they add, called by the client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidentkit.api import Client, NotFoundError, UnprocessableEntityError


def exercise_incident_extras(client: Client) -> None:
    """Timestamps, custom field options, roles, memberships, attachments, post-mortems, relationships."""
    timestamps = client.incident_timestamps.list()
    client.incident_timestamps.get(timestamps[-1].name)
    with pytest.raises(NotFoundError):
        client.request("GET", "/v2/incident_timestamps/01HZZZZZZZZZZZZZZZZZZZZZZZ")

    service = "Affected service"
    options = client.custom_field_options.list(service, page_size=2).to_list()
    client.custom_field_options.get(options[0].id)
    option = client.custom_field_options.create(service, "schema-check", sort_key=3)
    client.custom_field_options.update(option.id, value="schema-checked")
    with pytest.raises(UnprocessableEntityError):
        client.custom_field_options.create(service, "schema-checked")
    client.custom_field_options.delete(option.id)

    role = client.incident_roles.create(name="Scribe", shortform="scribe", description="Takes notes.")
    client.incident_roles.update(role.id, instructions="Write everything down.")
    client.incident_roles.delete(role.id)

    lead = next(iter(client.users.list()))
    incident = client.incidents.create(
        name="Extras check",
        severity="Minor",
        visibility="private",
        lead=lead.email,
        timestamps={"Impact started at": datetime(2026, 2, 28, 23, 0, tzinfo=UTC)},
        slack_channel_name="inc-extras-check",
        custom_fields={service: "search"},
    )
    client.incidents.edit(incident.id, lead="", timestamps={"Impact started at": None})
    client.incident_memberships.create(incident.id, lead.id)
    client.incident_memberships.revoke(incident.id, lead.id)

    attachment = client.incident_attachments.create(incident.id, "pager_duty_incident", external_id="P1")
    client.incident_attachments.list(incident.id)
    client.incident_attachments.delete(attachment.id)

    retro = client.incidents.create(
        name="Imported",
        severity="Minor",
        mode="retrospective",
        retrospective_incident_options={"postmortem_document_url": "https://docs.example.com/retro"},
    )
    [external] = client.postmortem_documents.list(retro.id).to_list()
    client.postmortem_documents.attach(
        retro.id, "https://docs.example.com/retro-2", document_provider="notion"
    )
    client.postmortem_documents.update_status(external.id, "in_review")
    imported = client.postmortem_documents.import_markdown(incident.id, title="Notes", content="# Notes")
    client.postmortem_documents.get(imported.id)
    client.postmortem_documents.content(imported.id)
    with pytest.raises(UnprocessableEntityError):
        client.postmortem_documents.content(external.id)

    related = next(
        i for i in client.incidents.list(limit=50) if client.incident_relationships.list(i.id).to_list()
    )
    client.incident_relationships.list(related.id, page_size=1).to_list()
