"""``incidentkit worker``: workflow workers alone, claiming runs from a shared store."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from incidentkit.cli.engine import (
    describe_workflows,
    engine_client_from_configuration,
    load_engine_config,
    workflows_option,
)
from incidentkit.cli.storage import store_option


@click.command()
@store_option
@workflows_option
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Worker threads.")
@click.option(
    "--lease",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds a claimed run stays this worker's without a checkpoint.",
)
@click.option(
    "--poll-interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.01),
    help="Seconds between looks for due runs.",
)
def worker(
    store_url: str | None, workflows_dir: Path | None, workers: int, lease: float, poll_interval: float
) -> None:
    """Run workflow workers: claim due runs from the store and execute them, until interrupted.

    Use it next to `incidentkit serve` on a shared PostgreSQL store to add capacity; runs are
    leased, so a worker that dies leaves its runs to the others once the lease expires.
    """
    from datetime import timedelta

    from incidentkit.service import Service, ServiceSettings

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    config = load_engine_config()
    settings = ServiceSettings(
        store_url=store_url,
        workflows_dir=workflows_dir or config.workflows_dir,
        engine=config,
        workers=workers,
        poll_interval=poll_interval,
        lease=timedelta(seconds=lease),
        receive=False,
    )
    with (
        engine_client_from_configuration() as client,
        Service(settings, steps_client=client) as service,
    ):

        def ready() -> None:
            click.echo(
                f"incidentkit worker on {service.store.url} ({workers} thread{'s' if workers != 1 else ''})"
            )
            describe_workflows(service.runtime)

        service.serve_forever(on_ready=ready)
