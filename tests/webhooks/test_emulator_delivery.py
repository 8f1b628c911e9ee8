"""The emulator sends signed webhooks to a real receiver on 127.0.0.1, retrying on Svix's schedule."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import httpx2
import jsonschema
import pytest

from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread
from incidentkit.emulator.delivery import RETRY_SCHEDULE
from incidentkit.webhooks.events import event_types, parse_event
from incidentkit.webhooks.verify import WebhookVerifier, secret_fingerprint
from tests.conftest import FakeClock
from tests.emulator.schema import _FORMATS, _components
from tests.webhooks.conftest import declare
from tests.webhooks.receiver import Received, running_receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def register(api: httpx2.Client, url: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/_emulator/webhook_endpoints", json={"url": url, **fields})
    assert response.status_code == 201, response.text
    endpoint: dict[str, Any] = response.json()["webhook_endpoint"]
    return endpoint


def verifier(secret: str, clock: FakeClock) -> WebhookVerifier:
    return WebhookVerifier([secret], clock=clock)


def assert_matches_schema(envelope: dict[str, Any]) -> None:
    """Strictly (no undeclared properties) against the event type's envelope schema in x-webhooks."""
    name = event_types()[envelope["event_type"]].schema
    components = _components()
    root = {**components["schemas"][name], "components": components}
    errors = list(jsonschema.Draft7Validator(root, format_checker=_FORMATS).iter_errors(envelope))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]


def payload(received: Received) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(received.body)
    return document


def test_a_delivery_reaches_a_real_receiver_and_verifies(
    api: httpx2.Client, emulator: Emulator, clock: FakeClock
) -> None:
    with running_receiver() as receiver:
        endpoint = register(api, receiver.url)
        assert endpoint["secret"].startswith("whsec_")  # generated, and shown once
        incident = declare(api)
        assert emulator.deliver_webhooks() == 1
        [delivery] = receiver.wait_for(1)
    webhook_id = verifier(endpoint["secret"], clock).verify(delivery.headers, delivery.body)
    assert webhook_id.startswith("msg_")
    assert delivery.headers["content-type"] == "application/json"
    event = parse_event(delivery.body, webhook_id=webhook_id, received_at=datetime.now(UTC))
    assert (event.event_type, event.subject_id, event.private) == (
        "public_incident.incident_created_v2",
        incident["id"],
        False,
    )
    assert_matches_schema(payload(delivery))
    assert emulator.deliver_webhooks() == 0  # delivered once, not again


def test_updates_and_status_changes_match_their_schemas(
    api: httpx2.Client, emulator: Emulator, clock: FakeClock
) -> None:
    closed = next(s["id"] for s in emulator.state.incident_statuses if s["category"] == "closed")
    with running_receiver() as receiver:
        register(api, receiver.url, secret=SECRET)
        incident = declare(api)
        edit = f"/v2/incidents/{incident['id']}/actions/edit"
        api.post(edit, json={"incident": {"summary": "s"}, "notify_incident_channel": False})
        api.post(edit, json={"incident": {"incident_status_id": closed}, "notify_incident_channel": False})
        assert emulator.deliver_webhooks() == 3
        deliveries = receiver.wait_for(3)
    envelopes = [payload(d) for d in deliveries]
    assert [e["event_type"] for e in envelopes] == [
        "public_incident.incident_created_v2",
        "public_incident.incident_updated_v2",
        "public_incident.incident_status_updated_v2",
    ]
    for envelope in envelopes:
        assert_matches_schema(envelope)
    status_change = envelopes[2]["public_incident.incident_status_updated_v2"]
    assert status_change["new_status"]["category"] == "closed"
    assert envelopes[1]["public_incident.incident_updated_v2"]["summary"] == "s"
    # Each event keeps the incident as it was then, even though it changed again afterwards.
    assert "summary" not in envelopes[0]["public_incident.incident_created_v2"]
    ids = {verifier(SECRET, clock).verify(d.headers, d.body) for d in deliveries}
    assert len(ids) == 3


def test_a_private_incident_sends_only_its_id(api: httpx2.Client, emulator: Emulator) -> None:
    with running_receiver() as receiver:
        register(api, receiver.url, secret=SECRET)
        incident = declare(api, visibility="private", name="Secret project leak")
        api.post(
            f"/v2/incidents/{incident['id']}/actions/edit",
            json={"incident": {"summary": "still secret"}, "notify_incident_channel": False},
        )
        emulator.deliver_webhooks()
        deliveries = receiver.wait_for(2)
    envelopes = [payload(d) for d in deliveries]
    assert envelopes == [
        {
            "event_type": "private_incident.incident_created_v2",
            "private_incident.incident_created_v2": {"id": incident["id"]},
        },
        {
            "event_type": "private_incident.incident_updated_v2",
            "private_incident.incident_updated_v2": {"id": incident["id"]},
        },
    ]
    for envelope in envelopes:
        assert_matches_schema(envelope)
    assert all(b"Secret project" not in d.body and b"still secret" not in d.body for d in deliveries)


def test_an_endpoint_gets_only_the_event_types_it_asked_for(api: httpx2.Client, emulator: Emulator) -> None:
    with running_receiver() as receiver:
        register(api, receiver.url, event_types=["public_incident.incident_updated_v2"])
        incident = declare(api)
        api.post(
            f"/v2/incidents/{incident['id']}/actions/edit",
            json={"incident": {"name": "renamed"}, "notify_incident_channel": False},
        )
        assert emulator.deliver_webhooks() == 1
        [delivery] = receiver.wait_for(1)
    assert payload(delivery)["event_type"] == "public_incident.incident_updated_v2"


def test_a_failing_receiver_gets_retries_at_the_scheduled_times_with_one_webhook_id(
    api: httpx2.Client, emulator: Emulator, clock: FakeClock
) -> None:
    with running_receiver(statuses=[500, 503, 404]) as receiver:
        register(api, receiver.url, secret=SECRET)
        declare(api)
        start = clock.now
        assert emulator.deliver_webhooks() == 1  # immediately: 500
        clock.advance(seconds=4)
        assert emulator.deliver_webhooks() == 0  # the retry is not due before 5 s
        clock.advance(seconds=1)
        assert emulator.deliver_webhooks() == 1  # 5 s later: 503
        clock.advance(seconds=299)
        assert emulator.deliver_webhooks() == 0
        clock.advance(seconds=1)
        assert emulator.deliver_webhooks() == 1  # 5 min after that: 404 (any non-2xx is a failure)
        clock.advance(seconds=30 * 60)
        assert emulator.deliver_webhooks() == 1  # 30 min after that: 200
        deliveries = receiver.wait_for(4)
    timestamps = [int(d.headers["webhook-timestamp"]) for d in deliveries]
    assert [t - int(start.timestamp()) for t in timestamps] == [0, 5, 305, 2105]
    assert len({d.headers["webhook-id"] for d in deliveries}) == 1
    assert len({d.headers["webhook-signature"] for d in deliveries}) == 4  # re-signed on each attempt
    for delivery in deliveries:
        at_that_time = WebhookVerifier(
            [SECRET],
            clock=lambda d=delivery: datetime.fromtimestamp(int(d.headers["webhook-timestamp"]), UTC),
        )
        at_that_time.verify(delivery.headers, delivery.body)

    [shown] = api.get("/_emulator/webhook_deliveries").json()["webhook_deliveries"]
    assert shown["state"] == "delivered" and shown["next_attempt_at"] is None
    assert [(a["attempt"], a["status_code"], a["succeeded"]) for a in shown["attempts"]] == [
        (1, 500, False),
        (2, 503, False),
        (3, 404, False),
        (4, 200, True),
    ]
    assert shown["attempts"][0]["error"] == "HTTP 500"
    assert shown["payload"]["event_type"] == "public_incident.incident_created_v2"


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"  # nothing listens here once the socket is closed


def test_an_unreachable_endpoint_is_retried_for_24_hours_then_marked_failed(
    api: httpx2.Client, emulator: Emulator, clock: FakeClock
) -> None:
    register(api, _closed_port_url(), secret=SECRET)
    declare(api)
    start = clock.now
    sent_at = []
    while (due := emulator.webhooks.next_due()) is not None:
        clock.now = due
        assert emulator.deliver_webhooks() == 1
        sent_at.append((clock.now - start).total_seconds())
    assert len(sent_at) == len(RETRY_SCHEDULE) == 7
    assert sent_at == [0, 5, 305, 2105, 9305, 27305, 63305]
    assert sent_at[-1] < 24 * 3600
    [shown] = api.get("/_emulator/webhook_deliveries", params={"state": "failed"}).json()[
        "webhook_deliveries"
    ]
    assert all(a["status_code"] is None and "Connect" in a["error"] for a in shown["attempts"])
    assert (
        api.get("/_emulator/webhook_deliveries", params={"state": "pending"}).json()["webhook_deliveries"]
        == []
    )


def test_listings_show_the_secret_fingerprint_never_the_secret(api: httpx2.Client) -> None:
    register(api, "http://127.0.0.1:9/hook", secret=SECRET)
    declare(api)
    for path in ("/_emulator/webhook_endpoints", "/_emulator/webhook_deliveries"):
        text = api.get(path).text
        assert SECRET not in text and SECRET.removeprefix("whsec_") not in text
    [endpoint] = api.get("/_emulator/webhook_endpoints").json()["webhook_endpoints"]
    assert endpoint["secret_fingerprint"] == secret_fingerprint(SECRET)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"secret": "hunter2-plain"}, "secret", "must start with 'whsec_'"),
        ({"secret": "whsec_!!!"}, "secret", "not valid base64"),
        ({"secret": 5}, "secret", "must be a string"),
        ({"event_types": "public_incident.incident_created_v2"}, "event_types", "must be a list"),
    ],
)
def test_a_bad_registration_names_the_field_without_echoing_the_secret(
    api: httpx2.Client, fields: dict[str, Any], field: str, message: str
) -> None:
    response = api.post("/_emulator/webhook_endpoints", json={"url": "http://127.0.0.1:9/hook", **fields})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["source"]["field"] == field and message in error["message"]
    assert "hunter2" not in response.text


def test_a_served_emulator_delivers_in_the_background() -> None:
    emulator = Emulator(seed="demo", random_seed=11)
    worker = emulator.deliver_in_background()
    try:
        with running_receiver(statuses=[502]) as receiver, serve_in_thread(emulator.asgi_app()) as server:
            api = httpx2.Client(base_url=server.url, headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"})
            with api:
                endpoint = register(api, receiver.url)
                declare(api)
                [delivery] = receiver.wait_for(1)  # sent at once, without anyone draining the queue
        assert WebhookVerifier([endpoint["secret"]]).verify(delivery.headers, delivery.body)
        # The 502 leaves a retry due in 5 s of real time; it stays queued, not lost.
        [message] = emulator.webhooks.messages()
        assert message.state == "pending" and message.next_attempt_at is not None
    finally:
        worker.stop()


def test_emulator_serve_delivers_in_the_background() -> None:
    command = [sys.executable, "-m", "incidentkit", "emulator", "serve", "--port", "0", "--seed", "demo"]
    with (
        running_receiver() as receiver,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process,
    ):
        try:
            assert process.stdout is not None
            process.stdout.readline()  # the sandbox key
            url = process.stdout.readline().strip().rsplit(" ", 1)[1]
            with httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"}) as api:
                endpoint = register(api, receiver.url, secret=SECRET)
                incident = declare(api)
                [delivery] = receiver.wait_for(1)
                assert WebhookVerifier([SECRET]).verify(delivery.headers, delivery.body).startswith("msg_")
                assert payload(delivery)["public_incident.incident_created_v2"]["id"] == incident["id"]
                [shown] = api.get("/_emulator/webhook_deliveries").json()["webhook_deliveries"]
                assert shown["endpoint_id"] == endpoint["id"]
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
