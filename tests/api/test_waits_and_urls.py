"""What the client says about itself: bad base URLs, what it waits for, how often it tried, and why."""

from __future__ import annotations

import socket

import pytest

from incidentkit.api import (
    APIConnectionError,
    AsyncClient,
    Client,
    ConfigurationError,
    IncidentIOError,
    InternalServerError,
    InvalidBaseURLError,
    NotFoundError,
    RateLimitError,
    TokenBucket,
)
from incidentkit.api.errors import hint
from incidentkit.emulator import SANDBOX_API_KEY, Emulator
from tests.api.fakes import FakeClock


@pytest.mark.parametrize(
    ("base_url", "said"),
    [
        ("http://localhost:abc", "Invalid port: 'abc'"),
        ("http://[::1", "Invalid port"),
        (
            "api.incident.io",
            "it has no scheme; add http:// or https:// (for example 'https://api.incident.io')",
        ),
        ("not a url", "it has no scheme"),
        ("ftp://api.incident.io", "the scheme must be http or https"),
        ("http://", "no host"),
        ("https://api.incident.io/v2", "ends with the API version '/v2'"),
        ("https://api.incident.io/v1/", "drop it ('https://api.incident.io')"),
    ],
)
def test_a_bad_base_url_is_a_configuration_error_naming_it(base_url: str, said: str) -> None:
    with pytest.raises(InvalidBaseURLError) as raised:
        Client(SANDBOX_API_KEY, base_url=base_url)
    assert isinstance(raised.value, ConfigurationError) and isinstance(raised.value, IncidentIOError)
    assert f"invalid base_url {base_url!r}" in str(raised.value)
    assert said in str(raised.value)
    with pytest.raises(InvalidBaseURLError):
        AsyncClient(SANDBOX_API_KEY, base_url=base_url)


def test_the_environment_base_url_is_checked_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENT_IO_BASE_URL", "http://localhost:abc")
    with pytest.raises(InvalidBaseURLError, match="invalid INCIDENT_IO_BASE_URL 'http://localhost:abc'"):
        Client(SANDBOX_API_KEY)


def test_good_base_urls_are_kept_without_a_trailing_slash() -> None:
    assert Client(SANDBOX_API_KEY, base_url="http://127.0.0.1:8765/").base_url == "http://127.0.0.1:8765"
    assert Client(SANDBOX_API_KEY, base_url="https://proxy.example.com/incident-io").base_url.endswith(
        "/incident-io"
    )


class Waits:
    """Records every on_wait call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, int]] = []

    def __call__(self, reason: str, seconds: float, attempt: int) -> None:
        self.calls.append((reason, seconds, attempt))


def test_on_wait_hears_every_retry_and_the_final_error_counts_the_attempts() -> None:
    clock, waits = FakeClock(), Waits()
    emulator = Emulator(seed="default")
    emulator.inject_fault(status=429, path="/v1/severities", times=10, retry_after=58)
    client = Client(SANDBOX_API_KEY, transport=emulator.transport(), sleep=clock.sleep, rng=lambda: 0.5,
                    rate_limit=None, on_wait=waits)  # fmt: skip
    with pytest.raises(RateLimitError) as raised:
        client.severities.list()
    assert waits.calls == [("rate limited by incident.io", 58, attempt) for attempt in (2, 3, 4, 5)]
    assert clock.sleeps == [58, 58, 58, 58]
    assert raised.value.attempts == 5
    assert "(gave up after 5 attempts)" in str(raised.value)


def test_server_errors_and_the_client_side_limit_are_announced_too() -> None:
    clock, waits = FakeClock(), Waits()
    emulator = Emulator(seed="default")
    emulator.inject_fault(status=503, path="/v1/severities", times=1)
    client = Client(SANDBOX_API_KEY, transport=emulator.transport(), sleep=clock.sleep, rng=lambda: 0.5,
                    rate_limit=TokenBucket(capacity=1, refill_per_second=0.5, clock=clock),
                    on_wait=waits)  # fmt: skip
    client.severities.list()
    reasons = [reason for reason, _, _ in waits.calls]
    assert reasons == ["incident.io answered 503", "holding to the client-side rate limit"]


def test_max_wait_stops_retrying_before_waiting_past_it() -> None:
    clock = FakeClock()
    emulator = Emulator(seed="default")
    emulator.inject_fault(status=429, path="/v1/severities", times=10, retry_after=58)
    client = Client(SANDBOX_API_KEY, transport=emulator.transport(), sleep=clock.sleep, rng=lambda: 0.5,
                    rate_limit=None, max_wait=100)  # fmt: skip
    with pytest.raises(RateLimitError) as raised:
        client.severities.list()
    assert clock.sleeps == [58]  # a second wait of 58 s would pass 100 s
    assert raised.value.attempts == 2


def test_a_refused_connection_says_nothing_listens_and_how_often_it_tried() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = FakeClock()
    client = Client(SANDBOX_API_KEY, base_url=f"http://127.0.0.1:{port}", sleep=clock.sleep, rng=lambda: 0.5)
    with pytest.raises(APIConnectionError) as raised:
        client.severities.list()
    assert raised.value.attempts == 5 and "gave up after 5 attempts" in str(raised.value)
    assert f"nothing accepts connections at http://127.0.0.1:{port}" in (hint(raised.value) or "")
    assert "network" not in (hint(raised.value) or "")


def test_a_404_hint_matches_its_cause() -> None:
    emulator = Emulator(seed="default")
    client = Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None)
    with pytest.raises(NotFoundError) as doubled:
        client.request("GET", "/v2/v2/incidents")
    assert "the API version twice" in (hint(doubled.value) or "")
    with pytest.raises(NotFoundError) as nowhere:
        client.request("GET", "/v9/nothing_here")
    assert "there is no endpoint GET /v9/nothing_here at this base URL" in (hint(nowhere.value) or "")
    with pytest.raises(NotFoundError) as missing:
        client.incidents.get("01HZZZZZZZZZZZZZZZZZZZZZZZ")
    assert hint(missing.value) == "Check the reference or id."


def test_one_attempt_says_nothing_about_attempts() -> None:
    emulator = Emulator(seed="default")
    emulator.inject_fault(status=500, path="/v2/incidents", method="POST", processed=True)
    client = Client(SANDBOX_API_KEY, transport=emulator.transport(), rate_limit=None, sleep=FakeClock().sleep)
    with pytest.raises(InternalServerError) as raised:
        client.request("POST", "/v2/incidents", json={"name": "x"})  # not retry-safe: one attempt
    assert raised.value.attempts == 1 and "attempts" not in str(raised.value)


def test_a_bad_base_url_never_shows_its_password() -> None:
    for url in ("http://user:hunter2@localhost:abc", "https://user:hunter2@proxy.example.com/v2"):
        with pytest.raises(InvalidBaseURLError) as raised:
            Client(SANDBOX_API_KEY, base_url=url)
        assert "hunter2" not in str(raised.value) and "user:***@" in str(raised.value)
