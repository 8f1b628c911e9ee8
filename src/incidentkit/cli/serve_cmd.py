"""``incidentkit serve``: the webhook receiver, its processor, workflow engine and retention, in one process.

Workflows come from ``--workflows DIR``, else ``workflows =`` in the configuration file, else
``./workflows`` when it exists; they reload when their files change. The serve app also takes
approval decisions and agent answers over HTTP (``/api/approvals/{id}/approve|reject``,
``/api/agent-dispatch/{token}``): decisions need the bearer token from ``INCIDENTKIT_API_TOKEN``;
an agent's answer is authenticated by the signed resume token in its path.

With ``--sandbox`` it also serves the emulator on loopback, registers the receiver with it and
seeds the demo organisation, so the whole path (an incident changes, a signed webhook arrives, it
is stored and processed) runs with no account.
"""

from __future__ import annotations

import base64
import logging
import secrets as random_secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from incidentkit.cli.engine import (
    describe_workflows,
    engine_client_from_configuration,
    load_engine_config,
    workflows_option,
)
from incidentkit.cli.storage import open_store, store_option
from incidentkit.webhooks.config import SECRET_ENV

if TYPE_CHECKING:
    from incidentkit.api import Client


def new_sandbox_secret() -> str:
    """A fresh random signing secret, for the sandbox only."""
    return "whsec_" + base64.b64encode(random_secrets.token_bytes(24)).decode()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8700, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@store_option
@click.option(
    "--webhook-secret",
    "webhook_secrets",
    multiple=True,
    metavar="whsec_...",
    help=f"Signing secret of the incident.io webhook endpoint (repeatable, for rotation); prefer "
    f"{SECRET_ENV} (several separated by commas or spaces) or [webhooks] secrets in the configuration "
    "file, which keep it out of your shell history.",
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Also serve the emulator with the demo organisation, and register this receiver with it.",
)
@click.option(
    "--max-body-bytes",
    default=1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="Refuse larger webhook bodies with 413.",
)
@click.option(
    "--retention-days",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="Delete processed events after this many days (dead ones are kept).",
)
@workflows_option
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=0), help="Workflow worker threads."
)
def serve(
    host: str,
    port: int,
    store_url: str | None,
    webhook_secrets: tuple[str, ...],
    sandbox: bool,
    max_body_bytes: int,
    retention_days: int,
    workflows_dir: Path | None,
    workers: int,
) -> None:
    """Receive incident.io webhooks on HOST:PORT, store them durably and process them.

    Point an incident.io webhook endpoint at the printed URL and pass its signing secret.
    Without a secret every delivery is refused (verification fails closed). Workflows run
    from --workflows DIR (default: the configuration's workflows, else ./workflows if present).
    """
    from incidentkit.emulator import SANDBOX_API_KEY
    from incidentkit.emulator.server import bind, serve_forever, url_of
    from incidentkit.store import RetentionPolicy
    from incidentkit.webhooks.config import configured_secrets
    from incidentkit.webhooks.handling import IncidentEventHandler
    from incidentkit.webhooks.processor import Processor
    from incidentkit.webhooks.receiver import INGEST_PATH, create_receiver_app
    from incidentkit.webhooks.verify import WebhookVerifier, secret_fingerprint
    from incidentkit.workflows.runtime import EngineRuntime, engine_client, engine_routes

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one line per API call is noise here
    secrets = configured_secrets(webhook_secrets).secrets
    if sandbox and not secrets:
        secrets = [new_sandbox_secret()]
    verifier = WebhookVerifier(secrets)  # refuses malformed secrets here, naming their position only
    try:
        sock = bind(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None
    receiver_url = url_of(sock)
    try:
        store = open_store(store_url)
    except BaseException:
        sock.close()
        raise
    sandboxed: Sandbox | None = None
    client: Client | None = None
    step_client: Client | None = None
    config = load_engine_config()
    try:
        if sandbox:
            sandboxed = _start_sandbox(receiver_url + INGEST_PATH, secrets[0])
            client = sandboxed.client
            step_client = engine_client(SANDBOX_API_KEY, sandboxed.url)
        else:
            client = _client_from_configuration()
            step_client = engine_client_from_configuration() if client is not None else None
        runtime = EngineRuntime(
            store, workflows_dir or config.workflows_dir, step_client, config, workers=max(workers, 1)
        )
        handler = IncidentEventHandler(store, client, subscribers=[runtime.dispatcher])
        processor = Processor(
            store, handler, retention=RetentionPolicy(processed_for=timedelta(days=retention_days))
        )
        alive = {"processor": lambda: processor.alive}
        if workers:
            alive["workers"] = runtime.alive
        app = create_receiver_app(
            store, verifier, max_body_bytes=max_body_bytes, on_stored=processor.wake, alive=alive
        )
        app.router.routes.extend(engine_routes(runtime, config.api_token))

        def ready() -> None:
            click.echo(f"incidentkit receiver listening on {receiver_url}")
            click.echo(f"Webhook URL: {receiver_url}{INGEST_PATH}")
            click.echo(f"Store: {store.url}")
            fingerprints = (
                ", ".join(secret_fingerprint(s) for s in secrets) or "none: every delivery is refused"
            )
            click.echo(f"Signing secrets: {fingerprints}")
            if sandboxed is not None:
                click.echo(
                    f"Sandbox emulator on {sandboxed.url} (demo organisation, receiver registered); "
                    f"try: INCIDENT_IO_BASE_URL={sandboxed.url} INCIDENT_IO_API_KEY={SANDBOX_API_KEY} "
                    "incidentkit incidents create --name ... --severity Minor"
                )
            describe_workflows(runtime)

        processor.start()
        if workers:
            runtime.start()
        try:
            serve_forever(app, sock, on_ready=ready)
        finally:
            runtime.stop()
            processor.stop()
            logging.getLogger("incidentkit.serve").info("Workers and processor stopped; closing the store")
    finally:
        if step_client is not None:
            step_client.close()
        if sandboxed is not None:
            sandboxed.stop()
        elif client is not None:
            client.close()
        store.close()


@dataclass
class Sandbox:
    """The emulator served next to the receiver, delivering its webhooks to it."""

    url: str
    client: Client
    stop: Callable[[], None]


def _start_sandbox(webhook_url: str, secret: str) -> Sandbox:
    """Serve the demo emulator, deliver its webhooks in the background, and register the receiver."""
    from incidentkit.api import Client
    from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread

    emulator = Emulator(seed="demo")
    server = serve_in_thread(emulator.asgi_app())
    worker = emulator.deliver_in_background()
    client = Client(SANDBOX_API_KEY, base_url=server.url, rate_limit=None)

    def stop() -> None:
        client.close()
        worker.stop()
        server.stop()

    try:
        client.request("POST", "/_emulator/webhook_endpoints", json={"url": webhook_url, "secret": secret})
    except BaseException:
        stop()
        raise
    return Sandbox(server.url, client, stop)


def _client_from_configuration() -> Client | None:
    """A client from the environment or the saved profile, to fetch private incidents; None without a key."""
    from incidentkit.api import ConfigurationError
    from incidentkit.cli.connection import Connection

    try:
        return Connection(read_only=True).client()
    except ConfigurationError:
        click.echo("No incident.io API key: private incidents' events will be kept as dead.", err=True)
        return None
