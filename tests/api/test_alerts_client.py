"""client.alerts, alert_sources, alert_routes, incident_alerts and alert_events against the emulator."""

from __future__ import annotations

import httpx2
import pytest

from incidentkit.api import AsyncClient, AuthenticationError, Client, InvalidArgumentError, ReadOnlyError
from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread
from incidentkit.emulator.seed import MONITORING_ROUTE_ID, MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN
from tests.api.fakes import FakeClock


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(seed="default", random_seed=11)


@pytest.fixture
def client(emulator: Emulator) -> Client:
    return Client(
        SANDBOX_API_KEY,
        transport=emulator.transport(),
        sleep=FakeClock().sleep,
        rng=lambda: 0.5,
        rate_limit=None,
    )


def send(client: Client, **options: object) -> str:
    result = client.alert_events.send(MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN, **options)  # type: ignore[arg-type]
    return result.deduplication_key


def test_sending_an_alert_opens_an_incident_the_client_can_follow(client: Client) -> None:
    result = client.alert_events.send(
        MONITORING_SOURCE_ID,
        MONITORING_SOURCE_TOKEN,
        title="Payments API 5xx",
        deduplication_key="pay-5xx",
        description="Error rate 12%",
        metadata={"severity": "Critical"},
        source_url="https://grafana.example.com/d/pay",
    )
    assert (result.deduplication_key, result.status) == ("pay-5xx", "success")
    [alert] = client.alerts.list(deduplication_key="pay-5xx")
    assert (alert.title, alert.status, alert.description) == ("Payments API 5xx", "firing", "Error rate 12%")
    [link] = client.incident_alerts.list(alert_id=alert.id)
    assert link.alert_route_id == MONITORING_ROUTE_ID
    incident = client.incidents.get(link.incident.id)
    assert incident.severity is not None and incident.severity.name == "Critical"
    assert incident.status_category == "triage"
    assert incident.creator is not None and incident.creator.display_name == "alert: Payments API 5xx"
    assert [a.alert.id for a in client.incident_alerts.list(incident.reference)] == [alert.id]


def test_the_token_goes_in_the_header_not_the_api_key(emulator: Emulator) -> None:
    seen: list[httpx2.Request] = []
    inner = emulator.transport()

    def record(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return inner.handle_request(request)

    with Client(SANDBOX_API_KEY, transport=httpx2.MockTransport(record), rate_limit=None) as client:
        client.alert_events.send(MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN, title="Header check")
        with pytest.raises(AuthenticationError):
            client.alert_events.send(MONITORING_SOURCE_ID, SANDBOX_API_KEY, title="The API key is no token")
    assert seen[0].headers["authorization"] == f"Bearer {MONITORING_SOURCE_TOKEN}"
    assert MONITORING_SOURCE_TOKEN not in str(seen[0].url)
    assert MONITORING_SOURCE_TOKEN not in repr(client)


def test_a_retried_event_raises_one_alert_even_without_a_key(emulator: Emulator, client: Client) -> None:
    path = f"/v2/alert_events/http/{MONITORING_SOURCE_ID}"
    emulator.inject_fault(status=502, path=path, method="POST", processed=True)
    key = send(client, title="Flaky network")
    assert len(list(client.alerts.list())) == 1
    assert [a.deduplication_key for a in client.alerts.list()] == [key]
    assert len(list(client.incident_alerts.list())) == 1


def test_resolving_by_event_and_by_api(client: Client) -> None:
    send(client, title="A", deduplication_key="a")
    send(client, title="B", deduplication_key="b")
    send(client, title="A", deduplication_key="a", status="resolved")
    [b] = client.alerts.list(status="firing")
    assert b.deduplication_key == "b"
    assert client.alerts.resolve(b.id).status == "resolved"
    assert list(client.alerts.list(status="firing")) == []
    assert len(list(client.alerts.list(status_not_in="firing"))) == 2


def test_alert_lists_page_through_every_alert(client: Client) -> None:
    for index in range(7):
        send(client, title=f"Alert {index}", deduplication_key=f"k{index}")
    pager = client.alerts.list(page_size=3)
    pages = list(pager.pages())
    assert [len(page.items) for page in pages] == [3, 3, 1]
    assert len(list(client.alerts.list(limit=4))) == 4
    assert len(list(client.alerts.list(alert_source="Monitoring"))) == 7  # a source by name


def test_tags(client: Client) -> None:
    send(client, title="Noisy", deduplication_key="n")
    [alert] = client.alerts.list()
    assert client.alerts.add_tags(alert.id, ["noisy", "flappy"]).tag_names == ["noisy", "flappy"]
    assert client.alerts.remove_tags(alert.id, "flappy").tag_names == ["noisy"]
    assert client.alerts.set_tags(alert.id, []).tag_names == []
    assert sorted(t.name for t in client.alerts.tags()) == ["flappy", "noisy"]
    assert [t.name for t in client.alerts.tags(search="fla")] == ["flappy"]


def test_sources_and_routes(client: Client) -> None:
    [monitoring] = client.alert_sources.list()
    assert (monitoring.config_id, monitoring.secret_token) == (MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN)
    assert "secret_token" not in repr(monitoring)
    assert client.alert_sources.get("monitoring").id == MONITORING_SOURCE_ID
    with pytest.raises(InvalidArgumentError, match="'Monitoring'"):
        client.alert_sources.get("Datadog")
    source = client.alert_sources.create(name="Cron")
    assert source.secret_token and source.alert_events_url
    send_to = client.alert_events.send(source.id, source.secret_token, title="Backup missed")
    assert send_to.status == "success"
    [route] = client.alert_routes.list()
    full = client.alert_routes.get(route.id)
    assert full.creates_incidents and full.alert_source_ids == [MONITORING_SOURCE_ID]
    payload = full.to_json()
    for key in ("id", "version", "created_at", "updated_at"):
        payload.pop(key)
    payload["incident_config"]["template"]["name"] = {"autogenerated": False}
    updated = client.alert_routes.update(route.id, {**payload, "name": "Renamed"})
    assert (updated.name, updated.version) == ("Renamed", 2)
    client.alert_routes.delete(route.id)
    assert list(client.alert_routes.list()) == []
    client.alert_sources.delete(source.id)
    assert [s.name for s in client.alert_sources.list()] == ["Monitoring"]


def test_bad_arguments_are_refused_before_sending(client: Client) -> None:
    with pytest.raises(InvalidArgumentError, match="firing or resolved"):
        client.alert_events.send(MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN, title="x", status="open")
    with pytest.raises(InvalidArgumentError, match="title"):
        client.alert_events.send(MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN, title=" ")
    with pytest.raises(InvalidArgumentError, match="firing or resolved"):
        list(client.alerts.list(status="open"))
    with pytest.raises(InvalidArgumentError, match="related or unrelated"):
        client.incident_alerts.transition("01HZZZZZZZZZZZZZZZZZZZZZZZ", "maybe")


def test_a_read_only_client_sends_no_event(emulator: Emulator) -> None:
    with (
        Client(SANDBOX_API_KEY, transport=emulator.transport(), read_only=True) as client,
        pytest.raises(ReadOnlyError),
    ):
        client.alert_events.send(MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN, title="x")


@pytest.mark.anyio
async def test_the_async_client_over_loopback(emulator: Emulator) -> None:
    with serve_in_thread(emulator.asgi_app()) as server:
        async with AsyncClient(SANDBOX_API_KEY, base_url=server.url, rate_limit=None) as client:
            result = await client.alert_events.send(
                MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN, title="Async alert", deduplication_key="async"
            )
            assert result.deduplication_key == "async"
            alerts = [alert async for alert in client.alerts.list()]
            assert [a.title for a in alerts] == ["Async alert"]
            links = await client.incident_alerts.list(alert_id=alerts[0].id).to_list()
            assert len(links) == 1
            assert (await client.alerts.resolve(alerts[0].id)).status == "resolved"
            assert [s.name for s in await client.alert_sources.list()] == ["Monitoring"]
            assert [r.id async for r in client.alert_routes.list()] == [MONITORING_ROUTE_ID]
