"""``incidentkit demo``: the sandbox doing a real scenario end to end, with no account and no key."""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--seed",
    type=click.Choice(["default", "demo", "empty"]),
    default="demo",
    show_default=True,
    help="The organisation the emulator starts from.",
)
def demo(seed: str) -> None:
    """Serve the emulator on loopback and run an incident's life through the client.

    Declares an incident, acknowledges, escalates, posts an update, adds a timeline item,
    closes it and lists what is still live, printing each step.
    """
    from incidentkit.api import Client
    from incidentkit.demo import run_scenario
    from incidentkit.emulator import SANDBOX_API_KEY, Emulator, serve_in_thread

    with serve_in_thread(Emulator(seed=seed).asgi_app()) as server:
        click.echo(f"Emulator (seed '{seed}') listening on {server.url}")
        with Client(SANDBOX_API_KEY, base_url=server.url) as client:
            run_scenario(client, click.echo)
