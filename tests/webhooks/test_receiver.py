"""The receiver: verified deliveries become durable before the answer; everything else is a clear 4xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from incidentkit.emulator import serve_in_thread
from incidentkit.store import EventStatus, Store
from incidentkit.webhooks.receiver import HEALTH_PATH, INGEST_PATH, create_receiver_app, event_type_of
from incidentkit.webhooks.verify import WebhookVerifier, signed_headers
from tests.conftest import FakeClock

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_SECRET = "whsec_c2VjcmV0LXRoYXQtaXMtbm90LW91cnMtYXQtYWxsISE="
LIMIT = 4096


def envelope(event_type: str = "public_incident.incident_created_v2", **payload: Any) -> bytes:
    return json.dumps({"event_type": event_type, event_type: {"id": "01HX", **payload}}).encode()


@pytest.fixture
def wakes() -> list[int]:
    return []


@pytest.fixture
def receiver(store: Store, clock: FakeClock, wakes: list[int]) -> Iterator[TestClient]:
    app = create_receiver_app(
        store,
        WebhookVerifier([SECRET], clock=clock),
        max_body_bytes=LIMIT,
        on_stored=lambda: wakes.append(1),
    )
    with TestClient(app) as client:
        yield client


def deliver(
    client: TestClient | httpx2.Client, body: bytes, *, msg_id: str, clock: FakeClock, secret: str = SECRET
) -> httpx2.Response:
    headers = signed_headers(secret, msg_id, body, clock.now)
    headers["Content-Type"] = "application/json"
    return client.post(INGEST_PATH, content=body, headers=headers)


def test_a_good_delivery_is_stored_pending_then_acknowledged(
    receiver: TestClient, store: Store, clock: FakeClock, wakes: list[int]
) -> None:
    body = envelope()
    response = deliver(receiver, body, msg_id="msg_1", clock=clock)

    assert response.status_code == 202
    assert response.content == b""
    event = store.get_event("msg_1")
    assert (event.body, event.status, event.event_type) == (
        body,
        EventStatus.PENDING,
        "public_incident.incident_created_v2",
    )
    assert event.headers["webhook-id"] == "msg_1"
    assert wakes == [1]


def test_a_duplicate_delivery_succeeds_and_stores_nothing_new(
    receiver: TestClient, store: Store, clock: FakeClock, wakes: list[int]
) -> None:
    first = deliver(receiver, envelope(), msg_id="msg_1", clock=clock)
    clock.advance(seconds=30)
    again = deliver(receiver, envelope(), msg_id="msg_1", clock=clock)

    assert (first.status_code, again.status_code) == (202, 200)
    assert store.count_events() == 1
    assert wakes == [1]


def test_a_body_over_the_limit_is_refused_with_413(
    receiver: TestClient, store: Store, clock: FakeClock
) -> None:
    body = envelope(padding="x" * LIMIT)
    response = deliver(receiver, body, msg_id="msg_big", clock=clock)

    assert response.status_code == 413
    assert str(LIMIT) in response.json()["error"]
    assert store.count_events() == 0


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(
    receiver: TestClient, store: Store, clock: FakeClock
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1024

    headers = signed_headers(SECRET, "msg_stream", b"", clock.now)
    response = receiver.post(INGEST_PATH, content=chunks(), headers=headers)

    assert response.status_code == 413
    assert store.count_events() == 0


def test_a_forged_signature_is_refused_and_nothing_is_stored(
    receiver: TestClient, store: Store, clock: FakeClock
) -> None:
    response = deliver(receiver, envelope(), msg_id="msg_forged", clock=clock, secret=OTHER_SECRET)

    assert response.status_code == 401
    assert "signature" in response.json()["error"]
    assert SECRET not in response.text and "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in response.text
    assert store.count_events() == 0


def test_a_tampered_body_is_refused(receiver: TestClient, store: Store, clock: FakeClock) -> None:
    headers = signed_headers(SECRET, "msg_1", envelope(), clock.now)
    response = receiver.post(INGEST_PATH, content=envelope(name="changed"), headers=headers)
    assert response.status_code == 401
    assert store.count_events() == 0


def test_an_old_timestamp_is_refused_as_a_replay(
    receiver: TestClient, store: Store, clock: FakeClock
) -> None:
    body = envelope()
    headers = signed_headers(SECRET, "msg_1", body, clock.now)
    clock.advance(minutes=6)

    response = receiver.post(INGEST_PATH, content=body, headers=headers)

    assert response.status_code == 401
    assert "old" in response.json()["error"]
    assert store.count_events() == 0


def test_missing_signature_headers_are_a_400_naming_the_header(
    receiver: TestClient, store: Store, clock: FakeClock
) -> None:
    response = receiver.post(INGEST_PATH, content=envelope(), headers={"webhook-id": "msg_1"})
    assert response.status_code == 400
    assert "webhook-timestamp" in response.json()["error"]
    assert store.count_events() == 0


def test_with_no_secret_configured_every_delivery_is_refused(store: Store, clock: FakeClock) -> None:
    app = create_receiver_app(store, WebhookVerifier([], clock=clock))
    with TestClient(app) as client:
        response = deliver(client, envelope(), msg_id="msg_1", clock=clock)
    assert response.status_code == 401
    assert "no webhook signing secret" in response.json()["error"]
    assert store.count_events() == 0


def test_an_unknown_event_type_or_a_body_that_is_not_json_is_still_stored(
    receiver: TestClient, store: Store, clock: FakeClock
) -> None:
    assert deliver(receiver, envelope("brand_new.thing_v9"), msg_id="msg_new", clock=clock).status_code == 202
    assert deliver(receiver, b"not json", msg_id="msg_junk", clock=clock).status_code == 202

    assert store.get_event("msg_new").event_type == "brand_new.thing_v9"
    assert store.get_event("msg_junk").event_type is None


def test_when_the_store_cannot_write_the_delivery_is_not_acknowledged(
    receiver: TestClient, store: Store, clock: FakeClock
) -> None:
    with store.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE inbox"))

    response = deliver(receiver, envelope(), msg_id="msg_1", clock=clock)

    assert response.status_code == 503
    assert "retry" in response.json()["error"]


def test_health(receiver: TestClient) -> None:
    response = receiver.get(HEALTH_PATH)
    assert (response.status_code, response.json()) == (200, {"status": "ok", "store": "ok"})


def test_over_real_http_on_loopback(store: Store, clock: FakeClock) -> None:
    app = create_receiver_app(store, WebhookVerifier([SECRET], clock=clock), max_body_bytes=LIMIT)
    with serve_in_thread(app) as server, httpx2.Client(base_url=server.url) as http:
        accepted = deliver(http, envelope(), msg_id="msg_1", clock=clock)
        duplicate = deliver(http, envelope(), msg_id="msg_1", clock=clock)
        too_big = deliver(http, envelope(padding="x" * 100_000), msg_id="msg_2", clock=clock)
        forged = deliver(http, envelope(), msg_id="msg_3", clock=clock, secret=OTHER_SECRET)

    assert [r.status_code for r in (accepted, duplicate, too_big, forged)] == [202, 200, 413, 401]
    assert [e.webhook_id for e in store.list_events()] == ["msg_1"]


def test_concurrent_deliveries_are_all_stored_and_a_raced_duplicate_once(
    store: Store, clock: FakeClock
) -> None:
    app = create_receiver_app(store, WebhookVerifier([SECRET], clock=clock))
    bodies = {f"msg_{n:02}": envelope(name=f"incident {n}") for n in range(24)}
    with serve_in_thread(app) as server, httpx2.Client(base_url=server.url) as http:

        def send(msg_id: str) -> int:
            return deliver(http, bodies[msg_id], msg_id=msg_id, clock=clock).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(send, [*["msg_00"] * 6, *bodies]))

    assert (statuses.count(202), statuses.count(200)) == (24, 6)
    assert store.count_events() == 24
    assert {e.webhook_id: e.body for e in store.list_events(limit=None)} == bodies


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"event_type": "public_incident.incident_created_v2", "x": {}}',
            "public_incident.incident_created_v2",
        ),
        (b' \n{"event_type":"a.b"}', "a.b"),
        (b'{"event_type": "\\u0061.b"}', "a.b"),  # an escape: parsed in full
        (b'{"x": {"event_type": "nested"}, "event_type": "outer"}', "outer"),
        (b'{"event_type": "first", "event_type": "last"}', "last"),  # as json.loads: the last one wins
        (b'{"event_type": "a\nb"}', None),  # a raw newline: not JSON
        (b'{"event_type": "\xff"}', None),  # not UTF-8: not JSON
        (b'{"event_type": ""}', None),
        (b'{"event_type": 7}', None),
        (b"[1, 2]", None),
        (b"not json", None),
    ],
)
def test_the_event_type_is_read_as_a_json_parser_reads_it(body: bytes, expected: str | None) -> None:
    assert event_type_of(body) == expected
