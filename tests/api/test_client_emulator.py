"""The client against the emulator: limits, retries, failures and idempotency end to end, no real time."""

from __future__ import annotations

import socket

import pytest

from incidentkit.api import (
    APIConnectionError,
    APIResponseError,
    AsyncClient,
    Client,
    PermissionDeniedError,
    RateLimitError,
    ReadOnlyError,
    RetryPolicy,
    UnknownNameError,
)
from incidentkit.api.ratelimit import TokenBucket
from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread
from tests.api.fakes import FakeClock


def client_for(emulator: Emulator, clock: FakeClock, **options: object) -> Client:
    return Client(
        SANDBOX_API_KEY, transport=emulator.transport(), sleep=clock.sleep, rng=lambda: 0.5, **options
    )  # type: ignore[arg-type]


def test_a_burst_under_the_same_limit_never_sees_a_429() -> None:
    clock = FakeClock()
    emulator = Emulator(seed="empty", rate_limit=30, clock=clock.now)
    # No retries: a single 429 would raise.
    client = client_for(
        emulator, clock, rate_limit=TokenBucket.per_minute(30, clock=clock), retry=RetryPolicy(max_retries=0)
    )
    for _ in range(90):  # three times the limit
        client.request("GET", "/v1/severities")
    assert sum(clock.sleeps) == pytest.approx(120, abs=3)  # 60 requests over the bucket, at 0.5 a second


def test_without_the_client_limit_the_same_burst_is_refused() -> None:
    clock = FakeClock()
    emulator = Emulator(seed="empty", rate_limit=30, clock=clock.now)
    client = client_for(emulator, clock, rate_limit=None, retry=RetryPolicy(max_retries=0))
    with pytest.raises(RateLimitError) as raised:
        for _ in range(90):
            client.request("GET", "/v1/severities")
    assert raised.value.status == 429


def test_a_429_storm_is_waited_out_honouring_retry_after() -> None:
    clock = FakeClock()
    emulator = Emulator(seed="default")
    emulator.inject_fault(status=429, path="/v1/severities", times=3, retry_after=7)
    severities = client_for(emulator, clock).severities.list()
    assert [s.name for s in severities] == ["Critical", "Major", "Minor"]
    assert clock.sleeps == [7, 7, 7]


def test_a_500_in_the_middle_of_a_list_is_retried_and_the_list_is_whole() -> None:
    clock = FakeClock()
    emulator = Emulator(seed="demo")
    expected = [i.id for i in client_for(emulator, clock).incidents.list(page_size=10)]
    emulator.inject_fault(status=500, path="/v2/incidents", method="GET", skip=2, times=1)
    listed = [i.id for i in client_for(emulator, clock).incidents.list(page_size=10)]
    assert listed == expected and len(expected) > 30
    assert len(clock.sleeps) == 1


def test_a_create_whose_answer_was_lost_is_retried_without_a_duplicate() -> None:
    clock = FakeClock()
    emulator = Emulator(seed="default")
    before = len(emulator.state.incidents)
    emulator.inject_fault(status=502, path="/v2/incidents", method="POST", processed=True)
    incident = client_for(emulator, clock).incidents.create(name="Once only", severity="Minor")
    assert len(emulator.state.incidents) == before + 1
    assert emulator.state.incidents[incident.id]["name"] == "Once only"


def test_a_lost_update_answer_is_retried_without_posting_twice() -> None:
    clock = FakeClock()
    emulator = Emulator(seed="default")
    client = client_for(emulator, clock)
    incident = client.incidents.create(name="x", severity="Minor")
    emulator.inject_fault(status=500, path="/v2/incident_updates", method="POST", processed=True)
    update = client.incident_updates.create(incident.id, message="posted once")
    # The update carries an idempotency key, so the retry returned the first update.
    posted = [u for u in emulator.state.incident_updates if u.get("message") == "posted once"]
    assert [u["id"] for u in posted] == [update.id]


def test_malformed_json_from_the_server_is_a_clear_error() -> None:
    emulator = Emulator(seed="default")
    emulator.inject_fault(status=200, path="/v1/severities", malformed=True)
    with pytest.raises(APIResponseError, match="JSON"):
        client_for(emulator, FakeClock(), retry=RetryPolicy(max_retries=0)).severities.list()


def test_a_refused_connection_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = FakeClock()
    client = Client(SANDBOX_API_KEY, base_url=f"http://127.0.0.1:{port}", sleep=clock.sleep, rng=lambda: 0.5)
    with pytest.raises(APIConnectionError) as raised:
        client.severities.list()
    assert len(clock.sleeps) == RetryPolicy().max_retries
    assert SANDBOX_API_KEY not in str(raised.value)


def test_a_read_only_key_and_a_read_only_client() -> None:
    emulator = Emulator(seed="default", read_only_keys=["viewer"])
    viewer = Client("viewer", transport=emulator.transport())
    assert viewer.incidents.get("INC-1").reference == "INC-1"
    with pytest.raises(PermissionDeniedError) as refused:
        viewer.incidents.create(name="x", severity="Minor")
    assert "viewer" not in str(refused.value).replace("viewer key", "")
    before = len(emulator.state.incidents)
    cautious = Client(SANDBOX_API_KEY, transport=emulator.transport(), read_only=True)
    with pytest.raises(ReadOnlyError):
        cautious.incidents.create(name="x", severity="Minor")
    assert len(emulator.state.incidents) == before


def test_names_resolve_against_the_organisation() -> None:
    emulator = Emulator(seed="demo")
    client = client_for(emulator, FakeClock())
    critical = {i.id for i in client.incidents.list(severity="SEV-1")}
    assert critical == {
        i["id"]
        for i in emulator.state.incidents.values()
        if i.get("severity", {}).get("name") == "Critical" and i["mode"] in ("standard", "retrospective")
    }
    with pytest.raises(UnknownNameError, match="Critical, Major, Minor"):
        list(client.incidents.list(severity="Catastrophic"))


def test_page_sizes_over_the_maximum_are_refused_before_sending() -> None:
    emulator = Emulator(seed="default", rate_limit=1)
    client = client_for(emulator, FakeClock(), retry=RetryPolicy(max_retries=0))
    with pytest.raises(ValueError, match="500"):
        list(client.incidents.list(page_size=501))
    client.severities.list()  # the one request the emulator allows was still unused


@pytest.mark.anyio
async def test_the_async_client_over_loopback() -> None:
    emulator = Emulator(seed="demo", rate_limit=None)
    with serve_in_thread(emulator.asgi_app()) as server:
        async with AsyncClient(SANDBOX_API_KEY, base_url=server.url) as client:
            listed = [incident.reference async for incident in client.incidents.list(page_size=8)]
            created = await client.incidents.create(name="Async", severity="Major")
            closed = await client.incidents.close(created.id, message="done")
    assert len(listed) == len(set(listed)) > 30
    assert closed.incident.incident_status.category == "closed"


def test_held_writes_let_reads_through_and_stop_the_first_write_unsent() -> None:
    from incidentkit.api.errors import WriteHeldError

    emulator = Emulator(seed="default")
    client = client_for(emulator, FakeClock())
    declared = client.incidents.create(name="Held", severity="SEV-3")
    updates_before = len(emulator.state.incident_updates)
    with client.hold_writes():
        assert client.incidents.get(declared.id).name == "Held"  # a read goes out
        with pytest.raises(WriteHeldError) as held:
            client.incidents.escalate(declared.id, message="worse")
    # With a message, the change goes out as an incident update that moves the severity.
    assert (held.value.method, held.value.path) == ("POST", "/v2/incident_updates")
    assert held.value.body is not None
    assert (held.value.body["incident_id"], held.value.body["message"]) == (declared.id, "worse")
    assert held.value.body["to_severity_id"] != declared.severity.id  # type: ignore[union-attr]
    assert client.incidents.get(declared.id).severity == declared.severity  # nothing was sent
    assert len(emulator.state.incident_updates) == updates_before
    # Outside the block, and for another client inside it, writes go out as usual.
    other = client_for(emulator, FakeClock())
    with other.hold_writes():
        assert client.incidents.escalate(declared.id).changed
