"""End to end: a monitor's alert opens an incident, a workflow pages the on-call person, they acknowledge.

Everything is real and on loopback: the emulator serving the demo organisation (its "Monitoring" alert
source and route, its "Primary on-call" schedule and "Platform" escalation path), the service that
``incidentkit serve`` runs (receiver, processor, dispatcher, worker) with the shipped ``page-on-call``
example, and the command line for the two things a person does: ``alerts send`` and ``escalations ack``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner

from incidentkit.cli import main
from incidentkit.emulator import SANDBOX_API_KEY
from incidentkit.emulator.seed import MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN
from incidentkit.service import Service, ServiceSettings
from incidentkit.service.sandbox import Sandbox, start_sandbox
from incidentkit.wire import new_webhook_secret
from incidentkit.workflows.config import EngineConfig
from incidentkit.workflows.runtime import engine_client

DEADLINE_SECONDS = 30.0
T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str) -> T:
    """``probe()``'s first truthy answer; the service works in its own threads, so this waits (bounded)."""
    give_up = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < give_up:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Running:
    sandbox: Sandbox
    service: Service


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    example = resources.files("incidentkit.workflows").joinpath("examples", "page-on-call.yaml")
    (workflows / "page-on-call.yaml").write_text(example.read_text("utf-8"), encoding="utf-8")
    secret = new_webhook_secret()
    with start_sandbox() as sandbox, engine_client(SANDBOX_API_KEY, sandbox.url) as steps_client:
        settings = ServiceSettings(
            store_url=f"sqlite:///{tmp_path / 'store.db'}",
            port=0,
            webhook_secrets=(secret,),
            workflows_dir=workflows,
            engine=EngineConfig(slack=sandbox.slack_settings),
            poll_interval=0.05,
        )
        with Service(settings, client=sandbox.client, steps_client=steps_client) as service:
            assert service.webhook_url is not None
            sandbox.register(service.webhook_url, secret)
            service.start()
            yield Running(sandbox, service)


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_an_alert_opens_an_incident_whose_workflow_pages_the_on_call_person(running: Running) -> None:
    api, store, url = running.sandbox.client, running.service.store, running.sandbox.url
    on_call = api.oncall.now("Primary on-call")
    assert on_call.users  # someone to page

    source = ("--source", MONITORING_SOURCE_ID, "--token", MONITORING_SOURCE_TOKEN)
    title = ("--title", "Checkout error rate above 5%", "--dedup-key", "checkout-errors")
    cli("alerts", "send", "--base-url", url, *source, *title, "--metadata", "severity=Critical")

    # The seeded alert route opened an incident for the alert, with the alert attached.
    incident = eventually(
        lambda: next((i for i in api.incidents.list() if i.name == "Checkout error rate above 5%"), None),
        "the alert route's incident",
    )
    assert incident.severity is not None and incident.severity.name == "Critical"
    [attached] = list(api.incident_alerts.list(incident.id))
    assert attached.alert.title == "Checkout error rate above 5%"

    # The incident's webhook ran page-on-call: the Platform path paged whoever is on call now.
    run = eventually(
        lambda: next((r for r in running.service.runtime.runs.list_runs() if r.status == "succeeded"), None),
        "the page-on-call run",
    )
    assert run.workflow == "page-on-call"
    [escalation] = [e for e in api.escalations.list() if incident.id in [i.id for i in e.related_incidents]]
    assert escalation.status == "triggered"
    assert {u.id for u in escalation.paged_users} == {u.id for u in on_call.users}
    [message] = running.sandbox.slack.messages
    assert escalation.paged_users[0].name in (message.text or "") and incident.reference in (
        message.text or ""
    )

    # The person on call takes the page from a terminal.
    cli("escalations", "ack", escalation.id, "--base-url", url, "--api-key", SANDBOX_API_KEY)
    assert api.escalations.get(escalation.id).status == "acked"

    # Every webhook each step caused reached the service and was stored once.
    def stored() -> dict[str, int] | None:
        counts: dict[str, int] = {}
        for event in store.list_events(limit=None):
            counts[event.event_type or ""] = counts.get(event.event_type or "", 0) + 1
        return counts if "public_escalation.escalation_status_updated_v1" in counts else None

    counts = eventually(stored, "the acknowledgement's webhook")
    assert counts["public_incident.incident_created_v2"] == 1
    assert counts["public_alert.alert_created_v1"] == 1
    assert counts["public_escalation.escalation_created_v1"] == 1
    assert counts["public_escalation.escalation_status_updated_v1"] == 1
