"""``incidentkit worker``: workflow workers alone, claiming runs from a shared store."""

from __future__ import annotations

from pathlib import Path

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
@account_options
@logging_options
def worker(
    store_url: str | None,
    workflows_dir: Path | None,
    workers: int,
    lease: float,
    poll_interval: float,
    connection: Connection,
) -> None:
    """Run workflow workers: claim due runs from the store and execute them, until interrupted.

    Use it next to `incidentkit serve` on a shared PostgreSQL store to add capacity; runs are
    leased, so a worker that dies leaves its runs to the others once the lease expires. The
    steps act with the key of --profile, --api-key/--base-url, else the environment, else the
    default profile; the organisation it acts on is printed at start.
    """
    from datetime import timedelta

    from incidentkit.service import Service, ServiceSettings

    config = load_engine_config()
    settings = ServiceSettings(
        workflows_dir=workflows_dir or config.workflows_dir,
        engine=config,
        workers=workers,
        poll_interval=poll_interval,
        lease=timedelta(seconds=lease),
        receive=False,
    )
    with (
        engine_client_from_configuration(connection) as client,
        open_store(store_url, create=True) as store,
        Service(settings, steps_client=client, store=store) as service,
    ):

        def ready() -> None:
            threads = f"{workers} thread{'s' if workers != 1 else ''}"
            click.echo(f"incidentkit worker on {store.url} ({threads})")
            click.echo(describe_organisation(client))
            describe_workflows(service.runtime)

        service.serve_forever(on_ready=ready)
