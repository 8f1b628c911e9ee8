"""``incidentkit emulator``: incident.io's API on loopback (``serve``); a fresh ``--sandbox`` (``reset``)."""

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
    sandbox_key = not api_keys and SANDBOX_API_KEY in emulator.state.api_keys
    if sandbox_key:
        click.echo(f"API key: {SANDBOX_API_KEY}")
    try:
        sock = bind(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None
    url = url_of(sock)

    def ready() -> None:
        click.echo(f"incident.io emulator listening on {url}")
        click.echo(f"Try: {try_line(url, SANDBOX_API_KEY if sandbox_key else None)}")

    # Webhooks registered under /_emulator/webhook_endpoints are delivered as they fall due.
    worker = emulator.deliver_in_background()
    try:
        serve_forever(emulator.asgi_app(), sock, on_ready=ready)
    finally:
        worker.stop()


def try_line(url: str, api_key: str | None) -> str:
    """A command line that works when pasted: the base URL and, when it is the public sandbox key, the key.

    A key given with ``--api-key`` is the user's own and is never printed; the line then reads it
    from the environment, where the user puts it.
    """
    key = api_key if api_key is not None else '"$YOUR_API_KEY"'
    return f"INCIDENT_IO_BASE_URL={url} INCIDENT_IO_API_KEY={key} incidentkit incidents list"


@emulator.command()
def reset() -> None:
    """Start the --sandbox organisation afresh.

    Commands run with --sandbox keep their organisation (incidents declared, statuses changed)
    between runs in sandbox-state.json in the data directory; this deletes that file, so the next
    --sandbox command starts again from the demo seed.
    """
    from incidentkit.cli.connection import sandbox_state_file

    state = sandbox_state_file()
    if state.exists():
        state.unlink()
        click.echo(f"Removed {state}; the next --sandbox command starts from the demo seed.")
    else:
        click.echo(f"Nothing to reset: {state} does not exist yet.")
