"""The client's incident extras against the emulator: leads, timestamps, filters by name, custom field
options, roles, memberships, attachments, post-mortems and related incidents, sync and async."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidentkit.api import (
    AsyncClient,
    Client,
    InvalidArgumentError,
    UnknownNameError,
    UnprocessableEntityError,
)
from incidentkit.emulator import SANDBOX_API_KEY, Emulator

IMPACT = datetime(2026, 2, 28, 22, 10, tzinfo=UTC)


def test_create_sets_the_lead_timestamps_channel_and_fields_by_name(client: Client) -> None:
    incident = client.incidents.create(
        name="Checkout down",
        severity="Major",
        lead="PRIYA@example.com",
        timestamps={"impact started at": IMPACT},
        slack_channel_name="inc-checkout-down",
        custom_fields={"Affected service": "Payments-API"},  # an option's value, in any case
    )
    assert incident.lead is not None and incident.lead.name == "Priya Shah"
    assert incident.timestamp("Impact started at") == IMPACT
    assert incident.slack_channel_name == "inc-checkout-down"
    [service] = [e for e in incident.custom_field_entries if e.custom_field.name == "Affected service"]
    assert [v.value_option.value for v in service.values if v.value_option] == ["payments-api"]


def test_edit_reassigns_and_unassigns_the_lead_and_clears_a_timestamp(client: Client) -> None:
    incident = client.incidents.create(name="Slow search", severity="Minor", timestamps={"Fixed at": IMPACT})
    by_slack = client.incidents.edit(incident.id, lead="U062HDG5MLN")
    assert by_slack.lead is not None and by_slack.lead.name == "Mei Lin"
    cleared = client.incidents.edit(incident.id, lead="", timestamps={"Fixed at": None})
    assert cleared.lead is None and cleared.timestamp("Fixed at") is None


def test_bad_names_are_refused_before_anything_is_sent(client: Client) -> None:
    with pytest.raises(UnknownNameError, match="Impact started at"):
        client.incidents.create(name="x", severity="Minor", timestamps={"Impact begun": IMPACT})
    with pytest.raises(InvalidArgumentError, match="its options: api-gateway"):
        client.incidents.create(name="x", severity="Minor", custom_fields={"Affected service": "mainframe"})
    with pytest.raises(InvalidArgumentError, match="nothing to edit"):
        client.incidents.edit("INC-1")
    with pytest.raises(UnprocessableEntityError, match=r"nobody@example\.com"):
        client.incidents.create(name="x", severity="Minor", lead="nobody@example.com")


@pytest.mark.incidentkit_seed("demo")
def test_incidents_are_listed_by_lead_and_by_field_value(client: Client) -> None:
    led = [i for i in client.incidents.list(lead="priya@example.com", limit=100)]
    assert led and all(i.lead is not None and i.lead.email == "priya@example.com" for i in led)
    search = list(client.incidents.list(custom_fields={"Affected service": "search"}, limit=100))
    assert search
    for incident in search:
        [entry] = [e for e in incident.custom_field_entries if e.custom_field.name == "Affected service"]
        assert entry.values[0].value_option is not None and entry.values[0].value_option.value == "search"
    with pytest.raises(InvalidArgumentError, match="no user has the email"):
        list(client.incidents.list(lead="nobody@example.com"))


def test_custom_field_options_by_field_name(client: Client) -> None:
    options = client.custom_field_options.list("affected service").to_list()
    assert [o.value for o in options][:2] == ["api-gateway", "auth-service"]
    added = client.custom_field_options.create("Affected service", "billing", sort_key=-5)
    assert client.custom_field_options.list("Affected service").to_list()[0].id == added.id
    renamed = client.custom_field_options.update(added.id, value="invoicing")
    assert (renamed.value, renamed.sort_key) == ("invoicing", -5)  # the sort key it had
    moved = client.custom_field_options.update(added.id, sort_key=2000)
    assert (moved.value, moved.sort_key) == ("invoicing", 2000)
    client.custom_field_options.delete(added.id)
    assert added.id not in [o.id for o in client.custom_field_options.list("Affected service")]
    with pytest.raises(InvalidArgumentError, match="no custom field 'Nope'"):
        client.custom_field_options.list("Nope").to_list()


def test_roles_timestamps_and_their_names(client: Client) -> None:
    assert client.incident_timestamps.list()[0].name == "Reported at"
    assert client.incident_timestamps.get("closed AT").name == "Closed at"
    with pytest.raises(UnknownNameError):
        client.incident_timestamps.get("Opened at")
    role = client.incident_roles.create(name="Scribe", shortform="scribe", description="Takes notes.")
    updated = client.incident_roles.update(role.id, description="Takes careful notes.")
    assert (updated.name, updated.description) == ("Scribe", "Takes careful notes.")
    client.incident_roles.delete(role.id)
    assert role.id not in [r.id for r in client.incident_roles.list()]


def test_memberships_attachments_and_post_mortems(client: Client, emulator: Emulator) -> None:
    incident = client.incidents.create(name="Leaked token", severity="Major", visibility="private")
    membership = client.incident_memberships.create(incident.reference, "mei@example.com")
    assert membership.user.name == "Mei Lin"
    client.incident_memberships.revoke(incident.id, "mei@example.com")
    assert emulator.state.incident_memberships == []

    attachment = client.incident_attachments.create(
        incident.id, "arbitrary_url", url="https://status.example.com", title="Status page"
    )
    assert attachment.resource.title == "Status page"
    assert [a.id for a in client.incident_attachments.list(incident.id)] == [attachment.id]
    client.incident_attachments.delete(attachment.id)
    assert client.incident_attachments.list(incident.id) == []
    with pytest.raises(InvalidArgumentError):
        client.incident_attachments.create(incident.id, "sentry_issue")

    linked = client.postmortem_documents.attach(incident.id, "https://docs.example.com/pm")
    reviewed = client.postmortem_documents.update_status(linked.id, "in_review")
    assert (reviewed.type, reviewed.status) == ("external", "in_review")
    assert [d.id for d in client.postmortem_documents.list(incident.id)] == [linked.id]
    assert client.incidents.get(incident.id).postmortem_document_url == "https://docs.example.com/pm"

    other = client.incidents.create(name="Imported notes", severity="Minor")
    imported = client.postmortem_documents.import_markdown(other.id, title="Notes", content="# Notes\n")
    assert client.postmortem_documents.content(imported.id) == "# Notes\n"


@pytest.mark.incidentkit_seed("demo")
def test_related_incidents_name_the_other_incident(client: Client, emulator: Emulator) -> None:
    relationship = emulator.state.incident_relationships[0]
    first, second = relationship["incident_ids"]
    [related] = client.incident_relationships.list(first).to_list()
    assert related.incident.id == second
    assert related.incident.reference == emulator.state.incidents[second]["reference"]


@pytest.mark.anyio
@pytest.mark.incidentkit_seed("demo")
async def test_the_async_client_has_the_same_operations(emulator: Emulator) -> None:
    async with AsyncClient(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None) as client:
        incident = await client.incidents.create(name="Async", severity="Minor", lead="mei@example.com")
        assert incident.lead is not None and incident.lead.name == "Mei Lin"
        options = await client.custom_field_options.list("Affected service").to_list()
        assert len(options) == 7
        timestamps = await client.incident_timestamps.list()
        assert timestamps[0].name == "Reported at"
        document = await client.postmortem_documents.attach(incident.id, "https://docs.example.com/a")
        assert [d.id async for d in client.postmortem_documents.list(incident.id)] == [document.id]
        relationship = emulator.state.incident_relationships[0]
        related = await client.incident_relationships.list(relationship["incident_ids"][0]).to_list()
        assert related[0].incident.id == relationship["incident_ids"][1]
