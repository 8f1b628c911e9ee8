"""``incidentkit sync``: copy incident history and the catalog's services into the store, incrementally."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from incidentkit.cli.connection import Connection, connection_options
from incidentkit.cli.storage import open_store, store_option


@click.command()
@click.option(
    "--full", is_flag=True, help="Copy every incident again, not only what changed since the last sync."
)
@store_option
@connection_options
def sync(full: bool, store_url: str | None, connection: Connection) -> None:
    """Copy incidents, their updates, timeline items, custom fields and follow-ups into the store,
    and the catalog's services with their dependencies.

    Only what changed since the last sync (by updated_at) is fetched. The history feeds
    `incidentkit similar` and, offline, `incidentkit changes for`; a progress bar shows on a
    terminal.
    """
    from incidentkit.investigation import History, load_investigation_config
    from incidentkit.investigation.sync import sync_history

    config = load_investigation_config()
    client = connection.client()
    with open_store(store_url, create=True) as store, _progress() as progress:
        result = sync_history(client, History(store), config, full=full, progress=progress)
        where = store.url
    kind = "full" if result.full else "incremental"
    next_start = result.high_water.isoformat() if result.high_water else "the beginning"
    click.echo(
        f"Synced {result.incidents} incidents ({result.updates} updates, {result.timeline_items} timeline "
        f"items, {result.follow_ups} follow-ups; {kind}) into {where}; the next sync starts at {next_start}."
    )
    if result.services is not None:
        click.echo(f"The catalog's services: {result.services} kept.")
    if result.catalog_note:
        click.echo(f"Note: {result.catalog_note}.", err=True)


@contextmanager
def _progress() -> Iterator[Callable[[int, int | None], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise (scripts, logs, pipes)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Syncing incidents", total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
