"""The service builder: one process's receiver, processor, dispatcher and workers, from settings."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from incidentkit.emulator import SANDBOX_API_KEY
from incidentkit.service import Service, ServiceSettings, describe
from incidentkit.webhooks.verify import signed_headers
from incidentkit.workflows.config import EngineConfig
from incidentkit.workflows.nodes import AgentEndpoint, AgentSettings
from incidentkit.workflows.runtime import engine_client

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def settings(tmp_path: Path, **fields: object) -> ServiceSettings:
    defaults: dict[str, object] = {
        "store_url": f"sqlite:///{tmp_path / 'store.db'}",
        "port": 0,
        "webhook_secrets": (SECRET,),
        "poll_interval": 0.05,
    }
    return ServiceSettings(**{**defaults, **fields})  # type: ignore[arg-type]


def test_the_url_is_known_before_anything_starts(tmp_path: Path) -> None:
    with Service(settings(tmp_path, workers=0)) as service:
        assert service.url is not None and service.url.startswith("http://127.0.0.1:")
        assert service.webhook_url == service.url + "/api/webhooks/ingest/incident-io"
        # Bound, so nobody else can take the port, but not answering until started.
        port = int(service.url.rsplit(":", 1)[1])
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", port))


def test_agents_answer_at_the_service_unless_a_callback_is_configured(tmp_path: Path) -> None:
    agents = AgentSettings(agents={"responder": AgentEndpoint(url="http://127.0.0.1:9/dispatch")})
    with Service(settings(tmp_path, engine=EngineConfig(agents=agents), workers=0)) as service:
        assert service.runtime.settings.agents.callback_url == f"{service.url}/api/agent-dispatch"

    elsewhere = "https://incidentkit.example.com/api/agent-dispatch"
    configured = AgentSettings(agents=agents.agents, callback_url=elsewhere)
    with Service(settings(tmp_path, engine=EngineConfig(agents=configured), workers=0)) as service:
        assert service.runtime.settings.agents.callback_url == configured.callback_url


def test_a_started_service_stores_a_signed_delivery_once(tmp_path: Path) -> None:
    body = b'{"event_type":"private_incident.incident_created_v2","private_incident.incident_created_v2":{}}'
    headers = signed_headers(SECRET, "msg_1", body, datetime.now(UTC))
    with Service(settings(tmp_path, workers=0)) as service:
        service.start()
        assert service.webhook_url is not None
        assert httpx2.post(service.webhook_url, content=body, headers=headers).status_code == 202
        assert httpx2.post(service.webhook_url, content=body, headers=headers).status_code == 200
        assert service.store.count_events() == 1


def test_stop_closes_the_socket_and_the_store_it_opened(tmp_path: Path) -> None:
    service = Service(settings(tmp_path, workers=0)).start()
    assert service.url is not None
    assert httpx2.get(service.url + "/healthz").status_code == 200
    service.stop()
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(service.url + "/healthz")


def test_routes_mounted_before_start_are_served(tmp_path: Path) -> None:
    with Service(settings(tmp_path, workers=0)) as service:
        service.mount([Route("/dashboard", lambda request: PlainTextResponse("hello"))])
        service.start()
        assert httpx2.get(f"{service.url}/dashboard").text == "hello"


def test_a_worker_service_has_no_receiver(tmp_path: Path) -> None:
    with (
        engine_client(SANDBOX_API_KEY, None) as client,
        Service(settings(tmp_path, receive=False), steps_client=client) as service,
    ):
        assert (service.url, service.app, service.processor) == (None, None, None)
        with pytest.raises(RuntimeError, match="no receiver"):
            service.mount([])


def test_describe_says_where_it_listens_and_never_shows_a_secret(tmp_path: Path) -> None:
    with Service(settings(tmp_path, workers=0)) as service:
        lines = "\n".join(describe(service))
    assert f"listening on {service.url}" in lines
    assert "Signing secrets: " in lines
    assert SECRET not in lines and SECRET[6:] not in lines
