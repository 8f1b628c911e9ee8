"""The client against scripted HTTP answers: retries, errors, read-only mode and secrets."""

from __future__ import annotations

import logging

import httpx2
import pytest

from incidentkit.api import (
    APIConnectionError,
    APIResponseError,
    AuthenticationError,
    Client,
    ConfigurationError,
    InternalServerError,
    RateLimitError,
    ReadOnlyError,
    RetryPolicy,
    UnprocessableEntityError,
)
from tests.api.fakes import FakeClock, ScriptedAPI, error_body, json_response
from tests.api.payloads import incident

SECRET = "inc_live_super_secret_key_0123456789"


def make_client(api: ScriptedAPI, clock: FakeClock, **options: object) -> Client:
    return Client(
        SECRET,
        base_url="https://api.example.test",
        transport=api.transport(),
        sleep=clock.sleep,
        now=clock.now,
        rng=lambda: 1.0,
        rate_limit=None,
        **options,  # type: ignore[arg-type]
    )


def test_sends_the_key_as_a_bearer_token_and_parses_the_envelope() -> None:
    api = ScriptedAPI([json_response(200, {"incident": incident(7)})])
    client = make_client(api, FakeClock())
    found = client.incidents.get("INC-7")
    assert found.reference == "INC-7"
    assert api.requests[0].url.path == "/v2/incidents/7"
    assert api.requests[0].headers["authorization"] == f"Bearer {SECRET}"


def test_429_is_retried_after_retry_after() -> None:
    clock = FakeClock()
    api = ScriptedAPI(
        [
            json_response(429, error_body(429, "rate_limit_reached", "slow down"), {"Retry-After": "5"}),
            json_response(200, {"incident": incident(1)}),
        ]
    )
    make_client(api, clock).incidents.get("1")
    assert len(api.requests) == 2
    assert clock.sleeps == [5.0]


def test_a_429_storm_ends_in_a_rate_limit_error() -> None:
    clock = FakeClock()
    storm = [json_response(429, error_body(429, "rate_limit_reached", "slow down"), {"Retry-After": "1"})] * 4
    api = ScriptedAPI(list(storm))
    client = make_client(api, clock, retry=RetryPolicy(max_retries=3, initial_delay=0.1))
    with pytest.raises(RateLimitError) as excinfo:
        client.incidents.get("1")
    assert len(api.requests) == 4
    assert excinfo.value.request_id == "req-123"


def test_a_create_retried_after_a_500_sends_the_same_idempotency_key() -> None:
    clock = FakeClock()
    api = ScriptedAPI(
        [
            json_response(500, error_body(500, "api_error", "boom")),
            httpx2.ReadError("connection reset"),
            json_response(200, {"incident": incident(3)}),
        ]
    )
    client = make_client(api, clock)
    created = client.incidents.create(name="DB down", visibility="public")
    assert created.reference == "INC-3"
    keys = [body["idempotency_key"] for body in api.bodies()]
    assert len(keys) == 3 and len(set(keys)) == 1
    assert api.bodies()[0]["visibility"] == "public"


def test_a_post_without_idempotency_key_is_not_retried_after_a_500() -> None:
    api = ScriptedAPI([json_response(500, error_body(500, "api_error", "boom"))])
    with pytest.raises(InternalServerError):
        make_client(api, FakeClock()).request("POST", "/v1/something", json={"a": 1})
    assert len(api.requests) == 1


def test_a_refused_connection_is_retried_then_reported() -> None:
    clock = FakeClock()
    api = ScriptedAPI([httpx2.ConnectError("connection refused")] * 3)
    client = make_client(api, clock, retry=RetryPolicy(max_retries=2))
    with pytest.raises(APIConnectionError) as excinfo:
        client.incidents.get("1")
    assert "could not reach the API" in str(excinfo.value)
    assert len(api.requests) == 3


def test_malformed_json_is_a_clear_error() -> None:
    api = ScriptedAPI([httpx2.Response(200, content=b"<html>oops")])
    with pytest.raises(APIResponseError) as excinfo:
        make_client(api, FakeClock()).incidents.get("1")
    assert "not JSON" in str(excinfo.value)
    assert "<html>oops" in str(excinfo.value)


def test_422_exposes_the_field_errors() -> None:
    body = error_body(422, "validation_error", "A severity is required to open an incident", "severity_id")
    api = ScriptedAPI([json_response(422, body)])
    with pytest.raises(UnprocessableEntityError) as excinfo:
        make_client(api, FakeClock()).incidents.create(name="x")
    assert excinfo.value.field_errors == {"severity_id": ["A severity is required to open an incident"]}
    assert "severity_id" in str(excinfo.value)
    assert len(api.requests) == 1


def test_the_key_never_appears_in_errors_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api = ScriptedAPI(
        [
            json_response(500, error_body(500, "api_error", "boom")),
            json_response(401, error_body(401, "authentication_error", "bad key")),
        ]
    )
    client = make_client(api, FakeClock())
    with pytest.raises(AuthenticationError) as excinfo:
        client.incidents.get("1")
    assert SECRET not in str(excinfo.value)
    assert SECRET not in repr(excinfo.value)
    assert SECRET not in repr(client)
    assert SECRET not in caplog.text
    assert "retry 1" in caplog.text


def test_read_only_refuses_writes_before_sending() -> None:
    api = ScriptedAPI([])
    client = make_client(api, FakeClock(), read_only=True)
    with pytest.raises(ReadOnlyError) as excinfo:
        client.request("POST", "/v2/incidents", json={"idempotency_key": "k", "visibility": "public"})
    assert "nothing was sent" in str(excinfo.value)
    assert api.requests == []


def test_a_missing_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENT_IO_API_KEY", raising=False)
    monkeypatch.delenv("INCIDENTIO_API_KEY", raising=False)
    with pytest.raises(ConfigurationError) as excinfo:
        Client()
    assert "INCIDENT_IO_API_KEY" in str(excinfo.value)


def test_the_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENT_IO_API_KEY", raising=False)
    monkeypatch.setenv("INCIDENTIO_API_KEY", "from-env")
    monkeypatch.setenv("INCIDENT_IO_BASE_URL", "http://127.0.0.1:9/")
    api = ScriptedAPI([json_response(200, {"identity": {"name": "ci", "roles": ["viewer"]}})])
    client = Client(transport=api.transport(), rate_limit=None)
    assert client.base_url == "http://127.0.0.1:9"
    assert client.identity.get().name == "ci"
    assert api.requests[0].headers["authorization"] == "Bearer from-env"


def test_edit_with_no_fields_sends_nothing() -> None:
    api = ScriptedAPI([])
    with pytest.raises(ValueError, match="nothing to edit"):
        make_client(api, FakeClock()).incidents.edit("01J00000000000000000000001")
    assert api.requests == []


def read_timeout(request: httpx2.Request) -> object:
    return request.extensions["timeout"]["read"]


def test_timeout_cap_bounds_each_call_in_the_block_and_only_shortens() -> None:
    api = ScriptedAPI([json_response(200, {"incident": incident(n)}) for n in range(4)])
    client = make_client(api, FakeClock(), timeout=20.0)
    client.incidents.get("0")
    with client.timeout_cap(2.5):
        client.incidents.get("1")
    with client.timeout_cap(60.0):  # a cap longer than the client's own timeout changes nothing
        client.incidents.get("2")
    client.incidents.get("3")
    assert [read_timeout(r) for r in api.requests] == [20.0, 2.5, 20.0, 20.0]


def test_timeout_cap_is_per_thread_and_per_client() -> None:
    import threading

    api = ScriptedAPI([json_response(200, {"incident": incident(n)}) for n in range(3)])
    client = make_client(api, FakeClock(), timeout=20.0)
    other = make_client(api, FakeClock(), timeout=20.0)
    with client.timeout_cap(1.0):
        thread = threading.Thread(target=lambda: client.incidents.get("0"))
        thread.start()
        thread.join()
        other.incidents.get("1")
        client.incidents.get("2")
    assert [read_timeout(r) for r in api.requests] == [20.0, 20.0, 1.0]


def test_timeout_cap_refuses_a_non_positive_bound() -> None:
    client = make_client(ScriptedAPI([]), FakeClock())
    with pytest.raises(ValueError, match="positive number of seconds, not 0"), client.timeout_cap(0):
        pass
