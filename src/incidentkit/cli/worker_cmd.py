"""``incidentkit worker``: workflow workers alone, claiming runs from a shared store."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from incidentkit.cli.engine import (
    describe_workflows,
    engine_client_from_configuration,
    load_engine_config,
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
def worker(
    store_url: str | None, workflows_dir: Path | None, workers: int, lease: float, poll_interval: float
) -> None:
    """Run workflow workers: claim due runs from the store and execute them, until interrupted.

    Use it next to `incidentkit serve` on a shared PostgreSQL store to add capacity; runs are
    leased, so a worker that dies leaves its runs to the others once the lease expires.
    """
    from datetime import timedelta

    from incidentkit.workflows.runtime import EngineRuntime

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    config = load_engine_config()
    client = engine_client_from_configuration()
    store = open_store(store_url, create=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        runtime = EngineRuntime(
            store,
            workflows_dir or config.workflows_dir,
            client,
            config,
            workers=workers,
            poll_interval=poll_interval,
            lease=timedelta(seconds=lease),
        )
        click.echo(f"incidentkit worker on {store.url} ({workers} thread{'s' if workers != 1 else ''})")
        describe_workflows(runtime)
        runtime.start()
        try:
            stop.wait()
        finally:
            runtime.stop()
    finally:
        client.close()
        store.close()
