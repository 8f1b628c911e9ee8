"""The loopback stand-in server: it records each request and answers with the test's function."""

from __future__ import annotations

import threading

import httpx2

from incidentkit.testing import LoopbackServer, Received
from incidentkit.testing.loopback import Answer


def test_it_records_requests_and_answers_json_or_bytes() -> None:
    def respond(request: Received) -> Answer:
        if request.path == "/raw":
            return 201, {"X-Kind": "raw"}, b"plain"
        return 200, {}, {"echo": request.json(), "method": request.method}

    with LoopbackServer(respond) as server:
        answer = httpx2.post(server.url + "/json?x=1", json={"a": 1}, headers={"X-Token": "t"})
        raw = httpx2.put(server.url + "/raw", content=b"body")

    assert answer.json() == {"echo": {"a": 1}, "method": "POST"}
    assert answer.headers["content-type"].startswith("application/json")
    assert (raw.status_code, raw.headers["x-kind"], raw.content) == (201, "raw", b"plain")
    first, second = server.received
    assert (first.method, first.path, first.headers["x-token"]) == ("POST", "/json?x=1", "t")
    assert (second.method, second.body) == ("PUT", b"body")


def test_a_held_request_does_not_hold_the_others() -> None:
    release = threading.Event()

    def respond(request: Received) -> Answer:
        if request.path == "/slow":
            release.wait(10)
        return 200, {}, {"path": request.path}

    with LoopbackServer(respond) as server:
        slow = threading.Thread(target=httpx2.get, args=(server.url + "/slow",), kwargs={"timeout": 10})
        slow.start()
        try:
            assert httpx2.get(server.url + "/fast", timeout=5).json() == {"path": "/fast"}
        finally:
            release.set()
            slow.join()


def test_it_listens_on_loopback_only() -> None:
    with LoopbackServer(lambda request: (204, {}, b"")) as server:
        assert server.url.startswith("http://127.0.0.1:")
