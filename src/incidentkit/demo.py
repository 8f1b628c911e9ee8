"""The sandbox demo: incidents declared in the emulator, and what the example workflows do about them.

``make demo`` (``incidentkit demo``) runs everything ``incidentkit serve --sandbox`` runs, on
loopback, with no account and no key: the emulator sending signed webhooks, the receiver storing
them, the processor, the dispatcher and a worker running the example workflows shipped with the
package, a recorder standing in for Slack, and a small agent that answers ``agent.dispatch``
through the engine's HTTP endpoint, and a stand-in for Linear's API that ``http.request`` may
reach (the example's ``$vars.linear_graphql_url`` is pointed at it, and only loopback is
allow-listed). A monitor's alert opens the first incident through the seeded alert route; the
demo declares another, changes one, acknowledges the page a workflow sent, approves what the
workflows ask a person to approve, and prints, step by step, what the workflows did.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

Echo = Callable[[str], None]

DEADLINE_SECONDS = 10.0
# The approval gate of the example takes the incident's lead only; the demo makes this user the lead.
APPROVER = "priya@example.com"
# The example's constant that names the issue tracker's URL; the sandbox points it at a stand-in.
LINEAR_URL_VAR = "linear_graphql_url"


def example_workflows() -> list[tuple[str, str]]:
    """The example workflows shipped in the package: (file name, text)."""
    folder = resources.files("incidentkit.workflows").joinpath("examples")
    return sorted(
        (entry.name, entry.read_text("utf-8")) for entry in folder.iterdir() if entry.name.endswith(".yaml")
    )


def point_var_at(text: str, name: str, value: str) -> str:
    """The workflow text with the top-level ``vars:`` constant ``name`` set to ``value``.

    Raises:
        ValueError: the text defines no such constant (the example changed; the demo must too).
    """
    import re

    pattern = re.compile(rf'^(  {re.escape(name)}: )"[^"\n]*"$', re.MULTILINE)
    changed, count = pattern.subn(lambda match: match.group(1) + json.dumps(value), text)
    if count != 1:
        raise ValueError(f"the workflow defines no vars.{name} to point at the sandbox")
    return changed


@dataclass
class IssueTracker:
    """A loopback stand-in for Linear's GraphQL API: records each issue title, answers success.

    Attributes:
        url: where to POST (``http://127.0.0.1:<port>/graphql``).
        titles: ``variables.title`` of each request, in order.
    """

    url: str
    titles: list[str] = field(default_factory=list)


@contextmanager
def issue_tracker() -> Iterator[IssueTracker]:
    """Serve the stand-in for Linear on 127.0.0.1 for the duration of the block."""
    from incidentkit.testing.loopback import Answer, LoopbackServer, Received

    tracker = IssueTracker("")

    def create_issue(request: Received) -> Answer:
        tracker.titles.append(str(request.json().get("variables", {}).get("title", "")))
        issue = {"identifier": f"ENG-{len(tracker.titles)}"}
        return 200, {}, {"data": {"issueCreate": {"success": True, "issue": issue}}}

    with LoopbackServer(create_issue) as server:
        tracker.url = f"{server.url}/graphql"
        yield tracker


@contextmanager
def _agent() -> Iterator[str]:
    """A loopback agent: accepts each dispatch, then answers through the engine's callback URL.

    The callback URL carries the step's resume token, the agent's only credential: it never holds
    the API token that decides approvals.
    """
    import httpx2

    from incidentkit.testing.loopback import Answer, LoopbackServer, Received

    def answer(body: dict[str, Any]) -> None:
        summary = f"Checked recent deploys for {body['payload'].get('incidentId')}: none in the last hour."
        httpx2.post(body["callback_url"], json={"summary": summary}, timeout=10)

    def accept(request: Received) -> Answer:
        # Answer after accepting, as a real agent would: the engine parks the step on the 202 first.
        threading.Thread(target=answer, args=(request.json(),), daemon=True).start()
        return 202, {}, b""

    with LoopbackServer(accept) as server:
        yield f"{server.url}/dispatch"


def run_sandbox_demo(echo: Echo = print) -> int:
    """Run the whole sandbox and narrate it; returns how many runs did not succeed."""
    from incidentkit.credentials import Secret
    from incidentkit.emulator import SANDBOX_API_KEY
    from incidentkit.emulator.seed import MONITORING_SOURCE_ID, MONITORING_SOURCE_TOKEN
    from incidentkit.service import Service, ServiceSettings
    from incidentkit.service.sandbox import start_sandbox
    from incidentkit.wire import new_webhook_secret
    from incidentkit.workflows.config import EngineConfig
    from incidentkit.workflows.nodes import AgentEndpoint, AgentSettings, HttpSettings
    from incidentkit.workflows.runtime import engine_client

    secret = new_webhook_secret()  # this sandbox's only
    api_token = secrets.token_urlsafe(24)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="incidentkit-demo-")))
        workflows = folder / "workflows"
        workflows.mkdir()
        tracker = stack.enter_context(issue_tracker())
        for name, text in example_workflows():
            if f"  {LINEAR_URL_VAR}: " in text:
                text = point_var_at(text, LINEAR_URL_VAR, tracker.url)
            (workflows / name).write_text(text, encoding="utf-8")
        sandbox = stack.enter_context(start_sandbox())
        api, slack = sandbox.client, sandbox.slack
        agent_url = stack.enter_context(_agent())
        steps_client = stack.enter_context(engine_client(SANDBOX_API_KEY, sandbox.url))

        def narrate(run: Any, message: str) -> None:
            echo(f"     [{run.workflow}] {message}")

        config = EngineConfig(
            slack=sandbox.slack_settings,
            # Only the loopback stand-ins; any other host stays refused.
            http=HttpSettings(allowed_hosts=frozenset({"127.0.0.1"})),
            # The agent answers at the service's own callback URL, which the service fills in.
            agents=AgentSettings(
                agents={"incident-responder": AgentEndpoint(url=agent_url, timeout_seconds=60)},
                token_key=Secret(secrets.token_urlsafe(24)),
            ),
            api_token=Secret(api_token),
        )
        settings = ServiceSettings(
            store_url=f"sqlite:///{folder / 'store.db'}",
            port=0,
            webhook_secrets=(secret,),
            workflows_dir=workflows,
            engine=config,
            poll_interval=0.1,
        )
        service = Service(settings, client=api, steps_client=steps_client, on_event=narrate)
        stack.enter_context(service)
        runtime = service.runtime
        assert service.webhook_url is not None
        sandbox.register(service.webhook_url, secret)
        service.start()

        echo(f"Emulator on {sandbox.url}; receiver, dispatcher and worker on {service.url}")
        echo(f"Workflows: {', '.join(w.name for w in runtime.workflows())}")

        _prepare_investigation(api, runtime.store, echo)

        echo("1. A monitor raises a Critical alert; the Monitoring alert route opens an incident in triage")
        title = "Checkout failing for all customers"
        sent = api.alert_events.send(
            MONITORING_SOURCE_ID,
            MONITORING_SOURCE_TOKEN,
            title=title,
            deduplication_key="checkout-5xx",
            metadata={"severity": "Critical", "service": "checkout"},
        )
        echo(f"   Alert {sent.deduplication_key!r}: {sent.message}")
        critical = _incident_opened_by_alert(api, title)
        echo(f"   The route opened {critical.reference}; making {APPROVER} its lead")
        api.incidents.edit(critical.id, lead=APPROVER)
        _settle(runtime, echo)
        _show_incident(api, critical.id, echo)
        for page in api.escalations.list():
            if critical.id in [incident.id for incident in page.related_incidents]:
                paged = ", ".join(user.name for user in page.paged_users)
                echo(f"   Page {page.id} ({page.status}) to {paged}; they take it (escalations ack)")
                echo(f"   -> {api.escalations.acknowledge(page.id).status}")
        _settle(runtime, echo)

        echo("2. Declaring a Minor incident in triage (SEV-3)")
        minor = api.incidents.create(name="Search results slow in eu-west", severity="Minor", status="Triage")
        _settle(runtime, echo)
        _show_incident(api, minor.id, echo)

        echo("3. Moving the Critical incident to Monitoring: a workflow asks a person before resolving")
        api.incidents.edit(critical.id, status="Monitoring")
        _settle(runtime, echo)
        for approval in runtime.runs.list_approvals():
            echo(
                f"   Approval {approval.id}: {approval.prompt!r}; approving over HTTP as {APPROVER}, "
                "the incident's lead"
            )
            import httpx2

            answer = httpx2.post(
                f"{service.url}/api/approvals/{approval.id}/approve",
                json={"by": APPROVER},
                headers={"Authorization": f"Bearer {api_token}"},
                timeout=10,
            )
            echo(f"   -> HTTP {answer.status_code}")
        _settle(runtime, echo)
        _show_incident(api, critical.id, echo)

        echo("4. Running the open-incidents digest by hand (it is scheduled for weekday mornings)")
        runtime.dispatcher.start_manual("open-incidents-digest", {})
        _settle(runtime, echo)

        echo("Slack messages the workflows posted:")
        for message in slack.messages:
            text = message.text or ""
            echo(f"   {message.channel}: {text if len(text) <= 160 else text[:157] + '...'}")
        echo("Issues the workflows filed in the stand-in for Linear:")
        for title in tracker.titles:
            echo(f"   {title}")
        failed = 0
        echo("Runs:")
        for run in reversed(runtime.runs.list_runs(limit=None)):
            steps = ", ".join(f"{s.step_key}={s.status}" for s in runtime.runs.steps(run.id))
            echo(f"   {run.workflow}: {run.status} ({steps})")
            failed += run.status != "succeeded"
        return failed


def _prepare_investigation(api: Any, store: Any, echo: Echo) -> None:
    """Give the investigation something to find: the sandbox's history, and a deploy just before impact."""
    from datetime import UTC, datetime, timedelta

    from incidentkit.investigation import ChangeLog, History, InvestigationConfig
    from incidentkit.investigation.sync import sync_history

    synced = sync_history(api, History(store), InvestigationConfig())
    at = datetime.now(UTC) - timedelta(minutes=12)
    ChangeLog(store).record("checkout-web", version="v2.3.1", author="sam", at=at, source="cli")
    echo(
        f"Synced {synced.incidents} past incidents into the store and recorded a deploy of checkout-web "
        "v2.3.1 twelve minutes ago, for the investigation"
    )


def _settle(runtime: Any, echo: Echo) -> None:
    """Wait until no run is pending or running and no webhook waits (bounded; this is a demo, not a test)."""
    give_up = time.monotonic() + DEADLINE_SECONDS
    quiet_since: float | None = None
    while time.monotonic() < give_up:
        busy = runtime.runs.count_runs("pending") + runtime.runs.count_runs("running")
        busy += runtime.store.count_events("pending") + runtime.store.count_events("processing")
        waiting = runtime.runs.list_runs(status="waiting", limit=None)
        busy += sum(
            1 for run in waiting if run.next_attempt_at is not None and not runtime.runs.list_approvals()
        )
        if busy == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 0.5:  # webhooks of the changes just made have arrived
                return
        else:
            quiet_since = None
        time.sleep(0.05)
    echo("   (still busy after the demo's time limit; moving on)")


def _incident_opened_by_alert(api: Any, title: str) -> Any:
    """The incident the alert route opened for the alert called ``title`` (bounded wait)."""
    give_up = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < give_up:
        for incident in api.incidents.list(page_size=5):
            if incident.name == title:
                return incident
        time.sleep(0.05)
    raise RuntimeError(f"no incident was opened for the alert {title!r}")


def _show_incident(api: Any, incident_id: str, echo: Echo) -> None:
    incident = api.incidents.get(incident_id)
    severity = incident.severity.name if incident.severity else "no severity"
    echo(f"   Now: {incident.reference} [{incident.incident_status.name} / {severity}] {incident.name}")
    updates = api.request("GET", "/v2/incident_updates", params={"incident_id": incident_id})
    for update in reversed(updates.get("incident_updates", [])):
        if update.get("message"):
            echo(f"   Update: {update['message']}")
