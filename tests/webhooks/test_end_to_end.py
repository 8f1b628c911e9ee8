"""End to end over real HTTP: an incident created in the emulator reaches the store exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from incidentkit.api import Client
from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread
from incidentkit.store import EventStatus, Store
from incidentkit.webhooks.handling import IncidentEventHandler
from incidentkit.webhooks.processor import Processor
from incidentkit.webhooks.receiver import INGEST_PATH, create_receiver_app
from incidentkit.webhooks.verify import WebhookVerifier
from tests.conftest import FakeClock

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class LoseFirstAnswer:
    """Runs the receiver, but replaces its first answer with a 502, as a proxy dropping it would.

    The delivery is stored all the same, so the sender's retry is a duplicate that must not be
    stored twice.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lost = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.lost:
            await self.app(scope, receive, send)
            return
        self.lost += 1

        async def swallow(message: Any) -> None:
            if message["type"] == "http.response.start":
                await send({"type": "http.response.start", "status": 502, "headers": []})
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                await send({"type": "http.response.body", "body": b""})

        await self.app(scope, receive, swallow)


@pytest.fixture
def emulator(clock: FakeClock) -> Emulator:
    return Emulator(seed="demo", clock=clock, random_seed=11)


@pytest.fixture
def api(emulator: Emulator) -> Iterator[Client]:
    with (
        serve_in_thread(emulator.asgi_app()) as server,
        Client(SANDBOX_API_KEY, base_url=server.url, rate_limit=None) as client,
    ):
        yield client


def test_an_incident_created_in_the_emulator_is_stored_once_and_processed(
    store: Store, clock: FakeClock, emulator: Emulator, api: Client
) -> None:
    receiver = LoseFirstAnswer(create_receiver_app(store, WebhookVerifier([SECRET], clock=clock)))
    with serve_in_thread(receiver) as served:
        api.request(
            "POST", "/_emulator/webhook_endpoints", json={"url": served.url + INGEST_PATH, "secret": SECRET}
        )
        severity = api.request("GET", "/v1/severities")["severities"][0]["id"]
        incident = api.request(
            "POST",
            "/v2/incidents",
            json={
                "idempotency_key": "e2e",
                "name": "Payments failing",
                "severity_id": severity,
                "visibility": "public",
            },
        )["incident"]

        first = emulator.deliver_webhooks()  # answer lost: the emulator will retry
        clock.advance(seconds=5)
        retried = emulator.deliver_webhooks()

    assert (first, retried) == (1, 1)
    [message] = emulator.webhooks.messages()
    assert [a.status_code for a in message.attempts] == [502, 200]
    [stored] = store.list_events()
    assert (stored.webhook_id, stored.event_type) == (message.id, "public_incident.incident_created_v2")
    assert receiver.lost == 1

    processor = Processor(store, IncidentEventHandler(store, api))
    assert processor.process_pending() == 1
    processed = store.get_event(message.id)
    assert processed.status is EventStatus.PROCESSED
    assert [item["event_type"] for item in processed.outcome["lifecycle"]] == ["incident.created"]
    snapshot = store.get_snapshot(incident["id"])
    assert snapshot is not None and snapshot.data["name"] == "Payments failing"
