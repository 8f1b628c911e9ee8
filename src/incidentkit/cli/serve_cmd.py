"""``incidentkit serve``: the webhook receiver, its processor, workflow engine and retention, in one process.

Workflows come from ``--workflows DIR``, else ``workflows =`` in the configuration file, else
``./workflows`` when it exists; they reload when their files change. The serve app also takes
approval decisions and agent answers over HTTP (``/api/approvals/{id}/approve|reject``,
``/api/agent-dispatch/{token}``): decisions need the bearer token from ``INCIDENTKIT_API_TOKEN``;
an agent's answer is authenticated by the signed resume token in its path. Changes come in at
``POST /api/changes`` (with ``--changes-token``) and GitHub deployments at ``/github/webhooks`` (with
``--github-secret``): see :mod:`incidentkit.service.changes_routes`.

With ``--sandbox`` it also serves the emulator on loopback, registers the receiver with it and
seeds the demo organisation, and serves the demo's stand-in for Slack for ``slack.post`` steps, so
the whole path (an incident changes, a signed webhook arrives, it is stored and processed, the
workflows run) works with no account.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from incidentkit.cli.connection import Connection, account_options, describe_organisation
from incidentkit.cli.engine_setup import (
    describe_workflows,
    engine_client_from_configuration,
    load_engine_config,
    logging_options,
    workflows_option,
)
from incidentkit.cli.storage import open_store, store_option
from incidentkit.webhooks.config import SECRET_ENV
from incidentkit.webhooks.receiver import DEFAULT_PORT

if TYPE_CHECKING:
    from incidentkit.api import Client


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0 picks a free port.",
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
@click.option(
    "--changes-token",
    metavar="TOKEN",
    help="Bearer token that turns on POST /api/changes for CI pipelines; prefer INCIDENTKIT_CHANGES_TOKEN "
    "or [changes] token in the configuration file.",
)
@click.option(
    "--github-secret",
    metavar="SECRET",
    help="Secret of the GitHub webhook that sends deployment_status events to /github/webhooks; prefer "
    "INCIDENTKIT_GITHUB_SECRET or [changes] github_secret. Without one GitHub deliveries are refused.",
)
@workflows_option
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(min=0), help="Workflow worker threads."
)
@account_options
@logging_options
def serve(
    host: str,
    port: int,
    store_url: str | None,
    webhook_secrets: tuple[str, ...],
    sandbox: bool,
    max_body_bytes: int,
    retention_days: int,
    changes_token: str | None,
    github_secret: str | None,
    workflows_dir: Path | None,
    workers: int,
    connection: Connection,
) -> None:
    """Receive incident.io webhooks on HOST:PORT, store them durably and process them.

    Point an incident.io webhook endpoint at the printed URL and pass its signing secret.
    Without a secret every delivery is refused (verification fails closed). Workflows run
    from --workflows DIR (default: the configuration's workflows, else ./workflows if present).
    The key (--profile, --api-key, --base-url, else the environment, else the default profile)
    fetches private incidents and runs the workflow steps; the organisation it acts on is
    printed at start.
    """
    from incidentkit.emulator import SANDBOX_API_KEY
    from incidentkit.service import Service, ServiceSettings, describe
    from incidentkit.service.changes_routes import change_intake_from_configuration
    from incidentkit.service.sandbox import Sandbox, start_sandbox
    from incidentkit.store import RetentionPolicy
    from incidentkit.webhooks.config import configured_secrets
    from incidentkit.wire import new_webhook_secret
    from incidentkit.workflows.runtime import engine_client

    if sandbox and (connection.profile or connection.api_key or connection.base_url):
        raise click.UsageError(
            "--sandbox runs against its own emulator: drop --profile, --api-key and --base-url"
        )
    secrets = configured_secrets(webhook_secrets).secrets
    if sandbox and not secrets:
        secrets = [new_webhook_secret()]  # the sandbox's own, fresh each time
    config = load_engine_config()
    intake = change_intake_from_configuration(changes_token, github_secret)
    with ExitStack() as stack:
        sandboxed: Sandbox | None = None
        client: Client | None = None
        step_client: Client | None = None
        if sandbox:
            slack_log = logging.getLogger("incidentkit.sandbox.slack")
            sandboxed = stack.enter_context(
                start_sandbox(
                    on_slack_message=lambda message: slack_log.info(
                        "Slack stand-in: message to %s: %s", message.channel, message.text
                    )
                )
            )
            client = sandboxed.client
            step_client = stack.enter_context(engine_client(SANDBOX_API_KEY, sandboxed.url))
            config = replace(config, slack=sandboxed.slack_settings)  # the demo's Slack stand-in, not Slack
        else:
            client = _client_from_configuration(connection)
            if client is not None:
                stack.enter_context(client)
                step_client = stack.enter_context(engine_client_from_configuration(connection))
        store = stack.enter_context(open_store(store_url, create=True))
        settings = ServiceSettings(
            host=host,
            port=port,
            webhook_secrets=tuple(secrets),
            max_body_bytes=max_body_bytes,
            retention=RetentionPolicy(processed_for=timedelta(days=retention_days)),
            workflows_dir=workflows_dir or config.workflows_dir,
            engine=config,
            workers=workers,
            changes=intake,
        )
        try:
            service = stack.enter_context(
                Service(settings, client=client, steps_client=step_client, store=store)
            )
        except OSError as error:
            raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None
        if sandboxed is not None and service.webhook_url is not None:
            sandboxed.register(service.webhook_url, secrets[0])

        def ready() -> None:
            for line in describe(service):
                click.echo(line)
            if sandboxed is not None:
                click.echo(
                    f"Sandbox emulator on {sandboxed.url} (demo organisation, receiver registered); "
                    f"try: INCIDENT_IO_BASE_URL={sandboxed.url} INCIDENT_IO_API_KEY={SANDBOX_API_KEY} "
                    "incidentkit incidents declare --name ... --severity Minor"
                )
                click.echo(
                    f"Slack stand-in on {sandboxed.slack.base_url} (as in `incidentkit demo`): slack.post "
                    "steps post there and each message is logged; nothing reaches Slack"
                )
            describe_workflows(service.runtime)
            if client is not None:
                # Asked last, once the receiver accepts: a slow API never holds up storing webhooks.
                click.echo(describe_organisation(client))

        service.serve_forever(on_ready=ready)


def _client_from_configuration(connection: Connection) -> Client | None:
    """A client from the flags, environment or profile, to fetch private incidents; None without a key."""
    from incidentkit.api import ConfigurationError

    try:
        return Connection(
            connection.profile, connection.api_key, connection.base_url, read_only=True
        ).client()
    except ConfigurationError:
        click.echo("No incident.io API key: private incidents' events will be kept as dead.", err=True)
        return None
