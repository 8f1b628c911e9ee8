"""``incidentkit emulator serve``: incident.io's API on loopback, for trying things and for tests."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def emulator() -> None:
    """Run incident.io on your machine."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the organisation in this JSON file across restarts.",
)
@click.option(
    "--seed",
    type=click.Choice(["default", "demo", "empty"]),
    default="default",
    show_default=True,
    help="The organisation to start from (ignored when --state names an existing file).",
)
@click.option(
    "--api-key", "api_keys", multiple=True, metavar="KEY", help="Accept KEY with full access (repeatable)."
)
@click.option(
    "--read-only-key", "read_only_keys", multiple=True, metavar="KEY", help="Accept KEY for reading only."
)
@click.option(
    "--rate-limit",
    default=1200,
    show_default=True,
    type=click.IntRange(min=0),
    help="Requests a minute per key; 0 turns the limit off.",
)
def serve(
    host: str,
    port: int,
    state_file: Path | None,
    seed: str,
    api_keys: tuple[str, ...],
    read_only_keys: tuple[str, ...],
    rate_limit: int,
) -> None:
    """Serve the incident.io API on HOST:PORT until interrupted.

    Without --api-key it accepts the documented sandbox key, which it prints. Webhook endpoints
    registered with POST /_emulator/webhook_endpoints get signed deliveries, retried on failure.
    """
    from incidentkit.emulator import SANDBOX_API_KEY, Emulator
    from incidentkit.serving import bind, serve_forever, url_of

    emulator = Emulator(
        seed=seed,
        state_file=state_file,
        api_keys=api_keys,
        read_only_keys=read_only_keys,
        rate_limit=rate_limit or None,
    )
    if not api_keys and SANDBOX_API_KEY in emulator.state.api_keys:
        click.echo(f"API key: {SANDBOX_API_KEY}")
    try:
        sock = bind(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None
    url = url_of(sock)

    def ready() -> None:
        click.echo(f"incident.io emulator listening on {url}")
        click.echo(f"Try: INCIDENT_IO_BASE_URL={url} incidentkit incidents list")

    # Webhooks registered under /_emulator/webhook_endpoints are delivered as they fall due.
    worker = emulator.deliver_in_background()
    try:
        serve_forever(emulator.asgi_app(), sock, on_ready=ready)
    finally:
        worker.stop()
