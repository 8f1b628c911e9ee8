"""A dashboard URL of another organisation is refused before anything acts on it (issue: wrong org)."""

from __future__ import annotations

import pytest

from incidentkit.api import AsyncClient, Client, OrganisationMismatchError
from incidentkit.emulator import SANDBOX_API_KEY, Emulator

OTHER = "https://app.incident.io/some-other-org/incidents/1"
MINE = "https://app.incident.io/sandbox/incidents/1"


def test_a_url_of_another_organisation_is_refused_naming_both(client: Client) -> None:
    before = client.incidents.get("INC-1")
    with pytest.raises(OrganisationMismatchError) as excinfo:
        client.incidents.close(OTHER)
    message = str(excinfo.value)
    assert "'some-other-org'" in message and "'sandbox'" in message
    assert excinfo.value.url_organisation == "some-other-org"
    assert excinfo.value.key_organisation == "sandbox"
    after = client.incidents.get("INC-1")
    assert after.incident_status.id == before.incident_status.id  # nothing was changed


def test_every_operation_taking_a_ref_checks_it(client: Client) -> None:
    for call in (
        lambda: client.incidents.get(OTHER),
        lambda: client.incidents.resolve_id(OTHER),
        lambda: client.incidents.acknowledge(OTHER),
        lambda: client.incidents.edit(OTHER, name="x"),
        lambda: client.incident_updates.create(OTHER, message="x"),
        lambda: client.incident_timeline_items.list(incident=OTHER).to_list(),
        lambda: client.incidents.resolve_id(OTHER.replace("/1", "/01FDAG4SAP5TYPT98WGR2N7W91")),
    ):
        with pytest.raises(OrganisationMismatchError):
            call()


def test_a_url_of_the_keys_organisation_works_and_identity_is_fetched_once(
    emulator: Emulator, client: Client
) -> None:
    seen: list[str] = []
    original = emulator.transport()

    import httpx2

    def counting(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.url.path)
        return original.handle_request(request)

    with Client(SANDBOX_API_KEY, transport=httpx2.MockTransport(counting), rate_limit=None) as counted:
        assert counted.incidents.get(MINE).reference == "INC-1"
        assert counted.incidents.get(MINE.replace("/sandbox/", "/SandBox/")).reference == "INC-1"
        counted.incidents.get("INC-1")
    assert seen.count("/v1/identity") == 1


def test_an_identity_without_a_dashboard_url_refuses_urls(emulator: Emulator) -> None:
    import httpx2

    original = emulator.transport()

    def no_url(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/v1/identity":
            return httpx2.Response(200, json={"identity": {"name": "k", "roles": []}})
        return original.handle_request(request)

    with Client(SANDBOX_API_KEY, transport=httpx2.MockTransport(no_url), rate_limit=None) as blind:
        with pytest.raises(OrganisationMismatchError, match="did not say which organisation"):
            blind.incidents.get(MINE)
        assert blind.incidents.get("INC-1").reference == "INC-1"  # other forms need no identity


def test_the_emulator_identity_carries_the_dashboard_url_as_the_schema_says(client: Client) -> None:
    body = client.request("GET", "/v1/identity")["identity"]
    assert set(body) >= {"name", "roles", "dashboard_url", "team_roles", "teams"}
    assert body["dashboard_url"] == "https://app.incident.io/sandbox"


@pytest.mark.anyio
async def test_the_async_client_refuses_too(emulator: Emulator) -> None:
    async with AsyncClient(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None) as client:
        with pytest.raises(OrganisationMismatchError):
            await client.incidents.close(OTHER)
        assert (await client.incidents.get(MINE)).reference == "INC-1"
