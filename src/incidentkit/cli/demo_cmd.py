"""``incidentkit demo``: the sandbox running the example workflows end to end, with no account and no key."""

from __future__ import annotations

import click


@click.command()
def demo() -> None:
    """Run the sandbox: emulator, receiver, dispatcher, worker and the example workflows.

    Declares incidents in the emulator, which sends signed webhooks to the receiver; the example
    workflows acknowledge, route by severity, post to a stand-in for Slack, file an issue in a
    stand-in for Linear, hand the incident to an agent and ask for approval before resolving.
    Each step is printed as it happens. Ends on its own in under a minute.
    """
    import logging

    from incidentkit.demo import run_sandbox_demo

    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    failed = run_sandbox_demo(click.echo)
    if failed:
        click.echo(f"{failed} run(s) did not succeed", err=True)
